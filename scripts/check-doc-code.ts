import { fileURLToPath } from 'node:url';
import { checkDocFiles } from './doc-code.ts';

// The TypeScript examples of the user-facing pages compile against the package as it is now.
const root = fileURLToPath(new URL('..', import.meta.url));
const files = ['README.md', 'docs/solid.md', 'docs/server.md'];
const errors = checkDocFiles(root, files);
for (const { file, line, code, message } of errors)
  console.error(`${file}:${line}: ${code} ${message}`);
if (errors.length > 0) process.exit(1);
console.log(`doc code: the TypeScript blocks of ${files.join(', ')} type-check`);
