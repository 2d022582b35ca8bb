import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** A command in a shell code block of the docs that would not run in this repository. */
export interface BrokenCommand {
  file: string;
  line: number;
  command: string;
  problem: string;
}

const SHELL_FENCE = /^```(?:sh|bash|shell|console)?\s*$/;
const NPM_BUILTINS = new Set(['ci', 'install', 'i', 'pack', 'view', 'exec', 'publish']);

/** The lines of the shell code blocks of a Markdown text, with their line numbers. */
function shellLines(markdown: string): { line: number; text: string }[] {
  const out: { line: number; text: string }[] = [];
  let inShell = false;
  let inFence = false;
  markdown.split('\n').forEach((text, index) => {
    if (text.startsWith('```')) {
      inShell = !inFence && SHELL_FENCE.test(text);
      inFence = !inFence;
      return;
    }
    if (inShell) out.push({ line: index + 1, text: text.replace(/#.*$/, '') });
  });
  return out;
}

/**
 * Checks every `npm run X`, `npm start|test` and `npx tsx|node <file>` in the shell blocks of
 * `file` against package.json's scripts and the files of the repository at `root`.
 */
export function brokenCommands(root: string, file: string): BrokenCommand[] {
  const scripts = (
    JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
      scripts: Record<string, string>;
    }
  ).scripts;
  const broken: BrokenCommand[] = [];
  for (const { line, text } of shellLines(readFileSync(join(root, file), 'utf8'))) {
    for (const match of text.matchAll(/\bnpm (?:run )?([\w:-]+)/g)) {
      const name = match[1]!;
      const isRun = match[0].includes(' run ');
      if (!isRun && NPM_BUILTINS.has(name)) continue;
      if (!(name in scripts))
        broken.push({ file, line, command: match[0], problem: `no script "${name}"` });
    }
    for (const match of text.matchAll(/\b(?:npx tsx|node|sh)\s+([\w./-]+\.(?:ts|mjs|js|sh))/g)) {
      if (!existsSync(join(root, match[1]!)))
        broken.push({ file, line, command: match[0], problem: `no file ${match[1]}` });
    }
  }
  return broken;
}
