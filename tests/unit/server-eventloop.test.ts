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
      await wait(300); // idle: only the source's own 10 ms probe runs
      source.sample(Date.now());
      // The time between two probes is ~10 ms (the resolution); a delay of that size would be a false alarm.
      expect(state().p50Ms).toBeLessThan(5);
      expect(state().meanMs).toBeGreaterThanOrEqual(0);

      await wait(30);
      busyFor(80);
      await wait(30);
      source.sample(Date.now());
      expect(state().maxMs).toBeGreaterThanOrEqual(60);
      expect(state().maxMs).toBeLessThan(500);
    } finally {
      source.stop();
    }
  });

  it('sees a block that starts right after a sample (a reset must not forget when the loop last ran)', async () => {
    const server = createTetherServer({ staticDir: false });
    const source = defineServerEventLoop(server);
    const state = () => server.hub.topic(SERVER_EVENTLOOP)!.state as EventLoopState;
    try {
      await wait(50);
      source.sample(Date.now());
      busyFor(120);
      await wait(30);
      source.sample(Date.now());
      expect(state().maxMs).toBeGreaterThanOrEqual(100);
      expect(state().maxMs).toBeLessThan(500);
    } finally {
      source.stop();
    }
  });
});
