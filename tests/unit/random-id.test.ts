import { afterEach, describe, expect, it, vi } from 'vitest';
import { randomId } from '../../src/client/random-id.ts';

// Action ids on a plain-HTTP page (no crypto.randomUUID there) still come from the CSPRNG.

const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

afterEach(() => vi.restoreAllMocks());

describe('randomId', () => {
  it('uses crypto.randomUUID where there is one', () => {
    const uuid = vi.spyOn(globalThis.crypto, 'randomUUID');
    expect(randomId()).toMatch(UUID_V4);
    expect(uuid).toHaveBeenCalledOnce();
  });

  it('falls back to crypto.getRandomValues, never Math.random, without randomUUID', () => {
    // Shadows the prototype's method on this object only; deleting it brings the method back.
    Object.defineProperty(globalThis.crypto, 'randomUUID', {
      value: undefined,
      configurable: true,
    });
    const mathRandom = vi.spyOn(Math, 'random');
    const values = vi.spyOn(globalThis.crypto, 'getRandomValues');
    try {
      const ids = new Set(Array.from({ length: 1000 }, () => randomId()));
      expect(ids.size).toBe(1000);
      for (const id of ids) expect(id).toMatch(UUID_V4);
      expect(values).toHaveBeenCalledTimes(1000);
      expect(mathRandom).not.toHaveBeenCalled();
    } finally {
      delete (globalThis.crypto as { randomUUID?: unknown }).randomUUID;
    }
    expect(typeof globalThis.crypto.randomUUID).toBe('function');
  });
});
