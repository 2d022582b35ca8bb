import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { brokenDocRefs } from './doc-refs.ts';

// Code comments that send a reader to a docs section still find it after the docs are rewritten.
const root = fileURLToPath(new URL('..', import.meta.url));
const SOURCE = /\.(?:ts|tsx|js|mjs)$/;
// The check's own test cites made-up pages on purpose.
const FIXTURES = 'tests/unit/doc-refs.test.ts';
const files = ['machines', 'src', 'server', 'scripts', 'tests', 'bench', 'examples'].flatMap(
  (dir) =>
    readdirSync(`${root}/${dir}`, { recursive: true, encoding: 'utf8' })
      .filter((path) => SOURCE.test(path) && !path.split('/').includes('node_modules'))
      .map((path) => `${dir}/${path}`)
      .filter((file) => file !== FIXTURES),
);
const broken = brokenDocRefs(root, files);
for (const { file, line, ref, problem } of broken)
  console.error(`${file}:${line}: ${ref}: ${problem}`);
if (broken.length > 0) process.exit(1);
console.log(`doc refs: ${files.length} source files checked, every cited docs section exists`);
