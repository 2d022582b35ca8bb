import { expect, vi } from 'vitest';
import { openClient } from '../fixtures/real-server.ts';
import type { StartedServer, TestClient } from '../fixtures/real-server.ts';

/**
 * A bystander for fault tests: a topic that a publisher updates all the time, and a well-behaved
 * client subscribed to it. Whatever the test does to other clients or the network around them,
 * `verify()` proves this client received every patch exactly once, in seq order, unaltered.
 */
export interface StreamWatch {
  observer: TestClient;
  /** Stops the publisher, waits for the last patch, checks the stream; returns how many patches it checked. */
  verify(): Promise<{ patches: number }>;
  /** Stops the publisher and closes the observer (idempotent). */
  stop(): void;
}

export async function watchStream(
  s: StartedServer,
  options: { topic?: string; everyMs?: number; perTick?: number } = {},
): Promise<StreamWatch> {
  const { topic = 'watched.ticker', everyMs = 5, perTick = 2 } = options;
  s.server.defineTopic(topic, { initial: { n: 0 } });
  const observer = await openClient(s.wsUrl);
  observer.send({ type: 'subscribe', topic });
  const snapshot = await observer.take();
  expect(snapshot).toMatchObject({ type: 'snapshot', topic, seq: 0 });
  let closedWith: number | null = null;
  void observer.closed.then(({ code }) => (closedWith = code));

  // Each patch says which seq it is, so a lost, repeated, reordered or altered patch shows.
  let n = 0;
  const publisher = setInterval(() => {
    for (let i = 0; i < perTick; i++)
      s.server.publish(topic, [{ op: 'replace', path: '/n', value: ++n }]);
  }, everyMs);
  // Heartbeat, like a real client; also proves the observer's own requests are still answered.
  const keepAlive = setInterval(() => observer.send({ type: 'ping', t: Date.now() }), 1000);
  let stopped = false;
  const stop = () => {
    if (stopped) return;
    stopped = true;
    clearInterval(publisher);
    clearInterval(keepAlive);
    observer.ws.terminate();
  };

  return {
    observer,
    stop,
    async verify() {
      clearInterval(publisher);
      const last = s.server.hub.topic(topic)!.seq;
      const patches = () => observer.frames.filter((f) => f.type === 'patch');
      await vi.waitFor(() => expect(patches().at(-1)?.seq).toBe(last), {
        timeout: 10_000,
        interval: 20,
      });
      stop();
      expect(closedWith).toBeNull();
      expect(observer.frames.filter((f) => f.type === 'error')).toEqual([]);
      const got = patches().map((f) => [f.seq, (f.ops as { value: number }[])[0]!.value]);
      const want = Array.from({ length: last }, (_, i) => [i + 1, i + 1]);
      expect(got.length).toBe(want.length); // a cheap, readable first failure before the long diff
      expect(got).toEqual(want);
      return { patches: got.length };
    },
  };
}
