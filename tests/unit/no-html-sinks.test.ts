import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

// The dashboard renders every server value through Solid's text bindings. ESLint keeps the code
// that way (no-restricted-syntax in eslint.config.js bans the APIs that parse strings as HTML or
// code); this checks what lint does not read: the pages, which must have no inline script (the
// CSP's script-src 'self' would block it; tests/e2e/security.test.ts checks the built page runs
// under the CSP).
const root = resolve(import.meta.dirname, '../..');

describe('no HTML injection sinks', () => {
  it('the pages have no inline script, before or after the build', () => {
    const pages = ['index.html', 'dist/index.html', 'examples/custom-topic/index.html']
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
