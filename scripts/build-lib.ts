/**
 * Builds the package's lib/: ESM JavaScript and .d.ts from tsc (tsconfig.build.json), then points
 * the SharedWorker URLs at the emitted .js. tsc rewrites import specifiers but leaves
 * `new URL('./worker.ts', import.meta.url)` alone, and a bundler that follows that URL in the
 * package (Vite, webpack 5) must find a file that exists there.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const lib = join(root, 'lib');
const WORKER_URL = /new URL\((['"])(\.{1,2}\/[^'"]+)\.ts\1, import\.meta\.url\)/g;

rmSync(lib, { recursive: true, force: true });
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
execFileSync(process.execPath, [tsc, '-p', join(root, 'tsconfig.build.json')], {
  stdio: 'inherit',
});

let rewritten = 0;
for (const file of readdirSync(lib, { recursive: true, encoding: 'utf8' })) {
  if (!file.endsWith('.js')) continue;
  const path = join(lib, file);
  const text = readFileSync(path, 'utf8');
  const next = text.replace(WORKER_URL, (_match, quote: string, stem: string) => {
    rewritten++;
    return `new URL(${quote}${stem}.js${quote}, import.meta.url)`;
  });
  if (next !== text) writeFileSync(path, next);
  if (/['"]\.{1,2}\/[^'"]+\.tsx?['"]/.test(next)) throw new Error(`${file} still names a .ts file`);
}
if (rewritten === 0) throw new Error('no worker URL was rewritten: has share.ts changed?');
