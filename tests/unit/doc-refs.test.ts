import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { brokenDocRefs } from '../../scripts/doc-refs.ts';

let root: string;
afterEach(() => rmSync(root, { recursive: true, force: true }));

function repo(source: string): string {
  root = mkdtempSync(join(tmpdir(), 'doc-refs-'));
  mkdirSync(join(root, 'docs'));
  writeFileSync(
    join(root, 'docs/guide.md'),
    ['# Guide', '## Merging concurrent edits', '```md', '## Not a heading', '```'].join('\n'),
  );
  writeFileSync(join(root, 'code.ts'), source);
  return root;
}

describe('the docs section references in code comments', () => {
  it('accepts a section cited by its heading or by the heading’s first words', () => {
    const source = [
      '// see docs/guide.md, "Merging concurrent edits"',
      '/** docs/guide.md § Merging, and docs/guide.md without a section */',
    ].join('\n');
    expect(brokenDocRefs(repo(source), ['code.ts'])).toEqual([]);
  });

  it('names the file, line and reference of a section or page that is gone', () => {
    const source = [
      'const a = 1;',
      '// docs/guide.md, "Client runtime contract" and docs/gone.md § Data',
      '// docs/guide.md § Not a heading',
    ].join('\n');
    expect(brokenDocRefs(repo(source), ['code.ts'])).toEqual([
      {
        file: 'code.ts',
        line: 2,
        ref: 'docs/guide.md, "Client runtime contract"',
        problem: 'docs/guide.md has no section "Client runtime contract"',
      },
      {
        file: 'code.ts',
        line: 2,
        ref: 'docs/gone.md § Data',
        problem: 'docs/gone.md does not exist',
      },
      {
        file: 'code.ts',
        line: 3,
        ref: 'docs/guide.md § Not a heading',
        problem: 'docs/guide.md has no section "Not a heading"',
      },
    ]);
  });
});
