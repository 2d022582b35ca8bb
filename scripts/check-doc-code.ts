import { fileURLToPath } from 'node:url';
import { checkDocFiles } from './doc-code.ts';
import { docPages } from './doc-pages.ts';

// The TypeScript examples of the docs compile against the package as it is now. A block that
// cannot stand alone is marked `<!-- fragment -->` on the line above it (keep those rare).
const root = fileURLToPath(new URL('..', import.meta.url));
const files = docPages(root);
const errors = checkDocFiles(root, files);
for (const { file, line, code, message } of errors)
  console.error(`${file}:${line}: ${code} ${message}`);
if (errors.length > 0) process.exit(1);
console.log(`doc code: the TypeScript blocks of ${files.length} files type-check`);
