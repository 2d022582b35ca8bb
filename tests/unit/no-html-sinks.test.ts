import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

// The dashboard renders every server value through Solid's text bindings. This keeps it that way:
// no API that parses strings as HTML or code anywhere in the browser code, and no inline script
// in the page (the CSP's script-src 'self' would block it; tests/e2e/security.test.ts checks the
// built page runs under the CSP).
const root = resolve(import.meta.dirname, '../..');
const SINKS =
  /\binnerHTML\b|\bouterHTML\b|insertAdjacentHTML|document\.write|\bsrcdoc\b|\beval\s*\(|new\s+Function\s*\(|createContextualFragment|DOMParser|setHTMLUnsafe/;

function sourceFiles(dir: string): string[] {
  const abs = join(root, dir);
  return readdirSync(abs).flatMap((name) => {
    const path = join(abs, name);
    if (name === 'node_modules' || name === 'dist') return [];
    if (statSync(path).isDirectory()) return sourceFiles(relative(root, path));
    return /\.(ts|tsx|js|mjs|html)$/.test(name) ? [path] : [];
  });
}

describe('no HTML injection sinks', () => {
  it('browser code never parses strings as HTML or code', () => {
    const hits = ['src', 'examples'].flatMap(sourceFiles).flatMap((file) =>
      readFileSync(file, 'utf8')
        .split('\n')
        .map((line, i) =>
          SINKS.test(line) ? `${relative(root, file)}:${i + 1}: ${line.trim()}` : null,
        )
        .filter((hit): hit is string => hit !== null),
    );
    expect(hits).toEqual([]);
  });

  it('the page has no inline script, before or after the build', () => {
    const pages = ['index.html', 'dist/index.html']
      .map((page) => join(root, page))
      .filter(existsSync);
    expect(pages.length).toBeGreaterThan(0);
    for (const page of pages) {
      const scripts = [
        ...readFileSync(page, 'utf8').matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/g),
      ];
      expect(scripts.length).toBeGreaterThan(0);
      for (const [, attributes, body] of scripts) {
        expect(attributes, page).toMatch(/\bsrc=/);
        expect(body!.trim(), page).toBe('');
      }
      expect(readFileSync(page, 'utf8'), page).not.toMatch(/\son[a-z]+\s*=/i); // no inline event handlers
    }
  });
});
