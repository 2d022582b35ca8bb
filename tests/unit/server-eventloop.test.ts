import { describe, expect, it } from 'vitest';
import { SERVER_EVENTLOOP, defineServerEventLoop } from '../../server/sources/server-eventloop.ts';
import type { EventLoopState } from '../../server/sources/server-eventloop.ts';
import { createTetherServer } from '../../server/tether-server.ts';

/** Real timers on purpose: the source measures this process's own event loop. */
const wait = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const busyFor = (ms: number) => {
  const until = performance.now() + ms;
  while (performance.now() < until);
};

describe('server.eventloop (event-loop delay of the server process)', () => {
  it('reports the delay beyond the sampling interval: an idle loop is near zero, a blocked one shows the block', async () => {
    const server = createTetherServer({ staticDir: false });
    const source = defineServerEventLoop(server);
    const state = () => server.hub.topic(SERVER_EVENTLOOP)!.state as EventLoopState;
    try {
      await wait(300); // idle: only the histogram's own 10 ms timer runs
      source.sample(Date.now());
      // The raw histogram reads ~10 ms here (its resolution); a delay of that size would be a false alarm.
      expect(state().p50Ms).toBeLessThan(5);
      expect(state().meanMs).toBeGreaterThanOrEqual(0);

      await wait(30); // the histogram discards the first interval after a reset (sample() resets it)
      busyFor(80);
      await wait(30);
      source.sample(Date.now());
      expect(state().maxMs).toBeGreaterThanOrEqual(60);
      expect(state().maxMs).toBeLessThan(500);
    } finally {
      source.stop();
    }
  });
});
