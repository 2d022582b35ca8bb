import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import ts from 'typescript';

/** A TypeScript error in a code block of the docs, placed at its Markdown line. */
export interface DocCodeError {
  file: string;
  line: number;
  code: string;
  message: string;
}

/** A ```ts or ```tsx block of a Markdown text: its code and the Markdown line of its first line. */
interface CodeBlock {
  file: string;
  firstLine: number;
  extension: 'ts' | 'tsx';
  code: string;
}

const TS_FENCE = /^```(tsx?)\s*$/;
// A block that cannot stand alone says so on the line above it; keep these rare.
const FRAGMENT_MARK = '<!-- fragment -->';

function codeBlocks(file: string, markdown: string): CodeBlock[] {
  const lines = markdown.split('\n');
  const blocks: CodeBlock[] = [];
  let open: CodeBlock | undefined;
  let inOtherFence = false;
  lines.forEach((line, index) => {
    // Fences inside list items are indented; the code in them compiles the same.
    const text = line.trimStart();
    if (open) {
      if (text.startsWith('```')) {
        blocks.push(open);
        open = undefined;
      } else open.code += `${line}\n`;
      return;
    }
    if (!text.startsWith('```')) return;
    if (inOtherFence) {
      inOtherFence = false;
      return;
    }
    const match = TS_FENCE.exec(text);
    const fragment = lines[index - 1]?.trim() === FRAGMENT_MARK;
    if (match && !fragment)
      open = { file, firstLine: index + 2, extension: match[1] as 'ts' | 'tsx', code: '' };
    else inOtherFence = true;
  });
  return blocks;
}

/** The repository's compiler options (strict, with `paths` mapping `tether-live/*` to the sources). */
function compilerOptions(root: string): ts.CompilerOptions {
  const configPath = join(root, 'tsconfig.json');
  const { config } = ts.readConfigFile(configPath, ts.sys.readFile) as { config: unknown };
  const parsed = ts.parseJsonConfigFileContent(config, ts.sys, root, undefined, configPath);
  return { ...parsed.options, noEmit: true };
}

// The package's sources and the libraries' declarations, parsed once per process: a test that
// checks several Markdown texts then parses them once.
const parsedFiles = new Map<string, ts.SourceFile | undefined>();

/**
 * Type-checks every ```ts and ```tsx block of the Markdown `docs` against the package's sources
 * in `root`. Each block is its own module, so blocks never see each other's names.
 */
export function docCodeErrors(
  root: string,
  docs: { file: string; markdown: string }[],
): DocCodeError[] {
  const blocks = new Map<string, CodeBlock>();
  for (const { file, markdown } of docs) {
    for (const block of codeBlocks(file, markdown)) {
      const name = `${file.replace(/[^\w]/g, '_')}_${block.firstLine}.${block.extension}`;
      blocks.set(join(root, '.doc-code', name), { ...block, code: `${block.code}export {};\n` });
    }
  }
  const options = compilerOptions(root);
  const host = ts.createCompilerHost(options);
  const { fileExists, readFile, getSourceFile } = host;
  host.fileExists = (path) => blocks.has(path) || fileExists(path);
  host.readFile = (path) => blocks.get(path)?.code ?? readFile(path);
  host.getSourceFile = (path, language, ...rest) => {
    const block = blocks.get(path);
    if (block) return ts.createSourceFile(path, block.code, language, true);
    if (!parsedFiles.has(path)) parsedFiles.set(path, getSourceFile(path, language, ...rest));
    return parsedFiles.get(path);
  };
  const program = ts.createProgram([...blocks.keys()], options, host);
  const errors: DocCodeError[] = [];
  for (const [path, block] of blocks) {
    const source = program.getSourceFile(path)!;
    const diagnostics = [
      ...program.getSyntacticDiagnostics(source),
      ...program.getSemanticDiagnostics(source),
    ];
    for (const diagnostic of diagnostics) {
      const { line } = source.getLineAndCharacterOfPosition(diagnostic.start ?? 0);
      errors.push({
        file: block.file,
        line: block.firstLine + line,
        code: `TS${diagnostic.code}`,
        message: ts.flattenDiagnosticMessageText(diagnostic.messageText, ' '),
      });
    }
  }
  return errors;
}

/** Reads the Markdown `files` (relative to `root`) and type-checks their code blocks. */
export function checkDocFiles(root: string, files: string[]): DocCodeError[] {
  return docCodeErrors(
    root,
    files.map((file) => ({ file, markdown: readFileSync(join(root, file), 'utf8') })),
  );
}
