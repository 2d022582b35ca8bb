import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { brokenCommands } from '../../scripts/doc-commands.ts';

let root: string;
afterEach(() => rmSync(root, { recursive: true, force: true }));

function repo(readme: string): string {
  root = mkdtempSync(join(tmpdir(), 'doc-commands-'));
  writeFileSync(
    join(root, 'package.json'),
    JSON.stringify({ scripts: { start: 'x', test: 'x', 'start:cluster': 'x' } }),
  );
  mkdirSync(join(root, 'examples'));
  writeFileSync(join(root, 'examples/watch.ts'), '');
  writeFileSync(join(root, 'README.md'), readme);
  return root;
}

describe('the docs command check', () => {
  it('accepts the scripts and files that exist, npm’s own commands, and prose outside code blocks', () => {
    const readme = [
      'Run `npm run nothing` in prose: not checked.',
      '```sh',
      'npm ci && npm start    # a comment may say npm run whatever',
      'npm ci && npm test',
      'npm run start:cluster',
      'npx tsx examples/watch.ts http://127.0.0.1:8080',
      '```',
      '```ts',
      "const s = 'npm run not-shell';",
      '```',
    ].join('\n');
    expect(brokenCommands(repo(readme), 'README.md')).toEqual([]);
  });

  it('names each command whose script or file is missing, with its line', () => {
    const readme = ['# Title', '```sh', 'npm run bench:quik', 'node examples/gone.mjs', '```'].join(
      '\n',
    );
    expect(brokenCommands(repo(readme), 'README.md')).toEqual([
      {
        file: 'README.md',
        line: 3,
        command: 'npm run bench:quik',
        problem: 'no script "bench:quik"',
      },
      {
        file: 'README.md',
        line: 4,
        command: 'node examples/gone.mjs',
        problem: 'no file examples/gone.mjs',
      },
    ]);
  });
});
