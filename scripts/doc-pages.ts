import { readdirSync } from 'node:fs';
import { join } from 'node:path';

/** The Markdown pages the docs checks read, relative to `root`: the README and docs/*.md. */
export function docPages(root: string): string[] {
  return [
    'README.md',
    ...readdirSync(join(root, 'docs'))
      .filter((name) => name.endsWith('.md'))
      .map((name) => `docs/${name}`),
  ];
}
