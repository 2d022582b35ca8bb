import { createRoot } from 'solid-js';
import { describe, expect, it, vi } from 'vitest';
import type { TetherClient, TopicHold } from '../../src/client/index.ts';
import { trackHeldTopics } from '../../src/dashboard/held-topics.ts';

function fakeClient() {
  const release = vi.fn();
  const subscribe = vi.fn((topic: string): TopicHold => ({
    view: { get: () => ({ topic }), subscribe: () => () => undefined } as never,
    ref: null,
    release,
  }));
  const client = { actor: null, subscribe, retry: vi.fn() } as unknown as TetherClient;
  return { client, subscribe, release };
}

describe('trackHeldTopics', () => {
  it('lists each held topic once, sorted, until its last holder releases it', () => {
    createRoot((dispose) => {
      const { client, subscribe, release } = fakeClient();
      const tracked = trackHeldTopics(client);
      const a = tracked.client.subscribe('host.load');
      const b = tracked.client.subscribe('host.cpu');
      const c = tracked.client.subscribe('host.load');
      expect(subscribe).toHaveBeenCalledTimes(3);
      expect(tracked.held().map((h) => h.topic)).toEqual(['host.cpu', 'host.load']);

      a.release();
      a.release(); // twice is harmless, and counts once
      expect(tracked.held().map((h) => h.topic)).toEqual(['host.cpu', 'host.load']);
      c.release();
      expect(tracked.held().map((h) => h.topic)).toEqual(['host.cpu']);
      b.release();
      expect(tracked.held()).toEqual([]);
      expect(release).toHaveBeenCalledTimes(4);

      // The other members are the client's own.
      tracked.client.retry();
      expect(client.retry).toHaveBeenCalledOnce();
      expect(tracked.client.actor).toBeNull();
      dispose();
    });
  });
});
