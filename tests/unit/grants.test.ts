import { performance } from 'node:perf_hooks';
import { describe, expect, it } from 'vitest';
import { MAX_STARS, compileGrants, globMatcher } from '../../server/grants.ts';

// Grant wildcards are matched in one pass: a pathological pattern cannot stall the event loop.

/** The obvious backtracking definition, as the reference for small cases. */
const reference = (pattern: string, topic: string) =>
  new RegExp(
    `^${pattern
      .split('*')
      .map((part) => part.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&'))
      .join('.*')}$`,
  ).test(topic);

describe('grant wildcards', () => {
  it('agree with the regular-expression definition on every small pattern and name', () => {
    const alphabet = ['a', 'b', '*'];
    const words = (length: number, letters: string[]): string[] =>
      length === 0 ? [''] : words(length - 1, letters).flatMap((w) => letters.map((l) => w + l));
    const patterns = [1, 2, 3, 4, 5].flatMap((n) => words(n, alphabet));
    const names = [0, 1, 2, 3, 4, 5].flatMap((n) => words(n, ['a', 'b']));
    let checked = 0;
    for (const pattern of patterns) {
      const match = globMatcher(pattern);
      for (const name of names) {
        expect(match(name), `${pattern} ~ ${name}`).toBe(reference(pattern, name));
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(20_000);
  });

  it('decides a pathological pattern at once (the regex took seconds for one name)', () => {
    const pattern = `a${'*a'.repeat(MAX_STARS - 1)}*b`;
    const canSubscribe = compileGrants({ sub: [pattern] }).canSubscribe;
    const name = 'a'.repeat(127);
    const started = performance.now();
    for (let i = 0; i < 1000; i++) expect(canSubscribe(name)).toBe(false);
    expect(performance.now() - started).toBeLessThan(1000);
    expect(canSubscribe(`${name}b`)).toBe(true);
  });

  it(`refuses a pattern with more than ${MAX_STARS} stars`, () => {
    expect(() => compileGrants({ sub: ['*'.repeat(MAX_STARS + 1)] })).toThrow(/more than 8 stars/);
    expect(() => compileGrants({ sub: ['a*'.repeat(MAX_STARS)] })).not.toThrow();
  });
});
