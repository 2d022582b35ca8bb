import { fileURLToPath } from 'node:url';
import { brokenCommands } from './doc-commands.ts';
import { docPages } from './doc-pages.ts';

// Every command the docs tell a reader to run exists: a script in package.json, a file in the tree.
const root = fileURLToPath(new URL('..', import.meta.url));
const files = docPages(root);
const broken = files.flatMap((file) => brokenCommands(root, file));
for (const { file, line, command, problem } of broken)
  console.error(`${file}:${line}: \`${command}\`: ${problem}`);
if (broken.length > 0) process.exit(1);
console.log(`doc commands: ${files.length} files checked, all commands exist`);
