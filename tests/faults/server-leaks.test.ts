import { once } from 'node:events';
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { createTetherServer } from '../../server/tether-server.ts';
import type { TetherServer } from '../../server/tether-server.ts';
import { scaled } from './budget.ts';
import { gc, leftovers, probe } from './leak-probe.ts';
import type { Probe } from './leak-probe.ts';

// Leaks: thousands of connections and subscriptions come and go; afterwards the server holds
// what it held before — heap (within a small bound), Connection and WebSocket objects, subscriber
// sets, timers, handles and listeners. Needs --expose-gc (docs/reliability.md).

const TOPICS = 1000; // one subscriber set each while subscribed; a leaked empty set per topic would show
const LIMIT = 1024;
/**
 * Heap growth allowed after the cycles, measured after full GCs against a warmed-up baseline.
 * Without a leak, runs of each test moved the heap by −0.2 to +0.4 MiB (old-space buffers that
 * come and go, JIT code), and repeating the cycles did not add to it; so the bound is 1 MiB.
 * That still catches ~1 KiB retained per connect cycle (a third of a server connection's ~3 KB)
 * or ~100 B per subscribe cycle (one Map entry with its key). Leaks of whole objects
 * (connections, sockets, subscriber sets, timers) are caught exactly by the counts instead.
 */
const HEAP_BOUND = 1024 * 1024;

if (!gc)
  console.log(
    '[faults] server-leaks skipped: global.gc is missing; run with NODE_OPTIONS=--expose-gc, or give the vitest project execArgv: ["--expose-gc"] (docs/reliability.md)',
  );

let tether: TetherServer;
let http: Server;
let url: string;

beforeAll(async () => {
  // historyLength 1: topic history is bounded by design, but 1,000 topics × 1,000 patches would
  // take the whole run to fill and look like a leak; one patch each is full after the first round.
  tether = createTetherServer({
    staticDir: false,
    maxFrameBytes: LIMIT,
    historyLength: 1,
    rateLimit: { framesPerSecond: 1e9, burst: 1e9 },
  });
  for (let i = 0; i < TOPICS; i++) tether.defineTopic(`leak.t${i}`, { initial: { i, n: 0 } });
  publishAll(-1);
  http = createServer();
  tether.attach(http); // our own http.Server, so its listeners and sockets can be counted
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  url = `ws://127.0.0.1:${(http.address() as { port: number }).port}/ws`;
});

afterAll(async () => {
  await tether?.close();
  await new Promise((resolve) => http?.close(resolve));
});

async function open(): Promise<WebSocket> {
  const ws = new WebSocket(url);
  await once(ws, 'open');
  return ws;
}
const json = (data: unknown) => JSON.parse(String(data)) as { type: string; t?: number };
/** Resolves once `ws` has received a frame of `type` (several frames may arrive in one tick, so not `once`). */
const received = (ws: WebSocket, type: string, times = 1) =>
  new Promise<void>((resolve) => {
    const onMessage = (data: unknown) => {
      if (json(data).type === type && --times === 0) {
        ws.off('message', onMessage);
        resolve();
      }
    };
    ws.on('message', onMessage);
  });
const publishAll = (value: number) => {
  for (let i = 0; i < TOPICS; i++)
    tether.publish(`leak.t${i}`, [{ op: 'replace', path: '/n', value }]);
};
const publishSome = (round: number) => {
  for (let k = 0; k < 20; k++)
    tether.publish(`leak.t${(round * 37 + k) % TOPICS}`, [
      { op: 'replace', path: '/n', value: round },
    ]);
};

/** One connection's life, in four flavours: clean close, vanished while subscribed, ping + close, closed by the server. */
async function lifecycle(i: number): Promise<void> {
  const ws = await open();
  const closed = once(ws, 'close');
  switch (i % 4) {
    case 0: {
      const welcome = received(ws, 'welcome');
      ws.send('{"type":"hello"}');
      await welcome;
      ws.close(1000);
      break;
    }
    case 1: {
      const snapshots = received(ws, 'snapshot', 3);
      for (let k = 0; k < 3; k++)
        ws.send(JSON.stringify({ type: 'subscribe', topic: `leak.t${(i + k) % TOPICS}` }));
      await snapshots;
      ws.terminate(); // no close frame: the server only sees the TCP connection end
      break;
    }
    case 2: {
      const pong = received(ws, 'pong');
      ws.send(JSON.stringify({ type: 'subscribe', topic: `leak.t${i % TOPICS}` }));
      ws.send('{"type":"ping","t":1}');
      await pong;
      ws.close(1000);
      break;
    }
    default:
      ws.send('x'.repeat(LIMIT + 1)); // too_large: the server closes it (1009) and arms its 2 s grace timer
      break;
  }
  await closed;
}

/**
 * Waits until nothing from the cycles is left (the server's close grace timers run for 2 s), then
 * returns the probe. A plain loop, not vi.waitFor: its own timers would be counted.
 */
async function settledTo(baseline: Probe): Promise<Probe> {
  // A connection the server closed keeps its 2 s close-grace timer (and through it the socket)
  // until the timer fires; probing before that only costs time.
  await new Promise((resolve) => setTimeout(resolve, 2100));
  const deadline = performance.now() + 8000;
  for (;;) {
    const now = await probe(http);
    const left = leftovers(now, baseline);
    if (tether.clients().websocket !== 0)
      left.push(`clients().websocket: ${tether.clients().websocket}`);
    if (left.length === 0) return now;
    if (performance.now() > deadline) expect(left).toEqual([]);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

const kib = (bytes: number) => `${(bytes / 1024).toFixed(0)} KiB`;

describe.skipIf(!gc)('server leaks (after GC)', () => {
  it(
    '1,000 WebSocket connect/disconnect cycles leave nothing behind',
    async () => {
      const cycles = scaled(1000);
      const run = async (from: number, count: number) => {
        for (let i = from; i < from + count; i += 10) {
          await Promise.all(Array.from({ length: 10 }, (_, k) => lifecycle(i + k)));
          publishSome(i); // fan-out runs while subscriber sets change
        }
      };
      const empty = await probe(http);
      // Warm-up: JIT code, http parser and buffer pools grow to their working size (~0.7 MiB, once;
      // after 500 cycles they were still growing a little, after 1,000 no longer).
      await run(0, 1000);
      const baseline = await settledTo(empty);
      await run(1000, cycles);
      const after = await settledTo(baseline);
      const growth = after.heapUsed - baseline.heapUsed;
      console.log(
        `[faults] ${cycles} connect/disconnect cycles: heap ${kib(baseline.heapUsed)} -> ${kib(after.heapUsed)} (${growth >= 0 ? '+' : ''}${kib(growth)}), Sets ${baseline.sets} -> ${after.sets}, timers ${baseline.timeouts} -> ${after.timeouts}, server connections/sockets ${after.connections}/${after.serverWebSockets}`,
      );
      expect(growth).toBeLessThan(HEAP_BOUND);
      expect(after.sets - baseline.sets).toBeLessThan(50); // per-topic subscriber sets are dropped when empty
    },
    scaled(60_000),
  );

  it(
    '10,000 subscribe/unsubscribe cycles leave no subscriptions, sets or heap behind',
    async () => {
      const cycles = scaled(10_000);
      const empty = await probe(http);
      const clients = await Promise.all(Array.from({ length: 10 }, () => open()));
      let snapshots = 0;
      let patches = 0;
      const pongs: (() => void)[] = [];
      for (const ws of clients) {
        ws.on('message', (data) => {
          const frame = json(data);
          if (frame.type === 'snapshot') snapshots++;
          else if (frame.type === 'patch') patches++;
          else if (frame.type === 'pong') pongs.shift()?.();
        });
      }
      /** A ping through every client: whatever the server sent before is counted. */
      const sync = () =>
        Promise.all(
          clients.map(
            (ws) =>
              new Promise<void>(
                (resolve) => (pongs.push(resolve), ws.send('{"type":"ping","t":0}')),
              ),
          ),
        );
      let next = 0;
      const run = async (count: number) => {
        for (let done = 0; done < count; done += 100 * clients.length) {
          for (const ws of clients) {
            for (let k = 0; k < 100; k++, next++) {
              const topic = `leak.t${next % TOPICS}`;
              ws.send(JSON.stringify({ type: 'subscribe', topic }));
              ws.send(JSON.stringify({ type: 'unsubscribe', topic }));
            }
          }
          publishSome(next);
          await sync();
        }
      };
      await run(2000); // warm-up
      const baseline = await probe(http);
      const before = snapshots;
      await run(cycles);
      expect(snapshots - before).toBe(cycles); // every subscribe was served
      // Nobody is subscribed any more: a publish on every topic reaches no one.
      const patchesBefore = patches;
      publishAll(-2);
      await sync();
      expect(patches).toBe(patchesBefore);
      const after = await probe(http);
      const growth = after.heapUsed - baseline.heapUsed;
      console.log(
        `[faults] ${cycles} subscribe/unsubscribe cycles: heap ${kib(baseline.heapUsed)} -> ${kib(after.heapUsed)} (${growth >= 0 ? '+' : ''}${kib(growth)}), Sets ${baseline.sets} -> ${after.sets}, timers ${baseline.timeouts} -> ${after.timeouts}`,
      );
      expect(growth).toBeLessThan(HEAP_BOUND);
      expect(after.sets - baseline.sets).toBeLessThan(50); // 1,000 topics: a leaked set per topic would add ~1,000
      expect(leftovers(after, baseline)).toEqual([]);
      await Promise.all(clients.map((ws) => (ws.close(1000), once(ws, 'close'))));
      clients.length = 0; // our own client objects must be collectable too before counting
      await settledTo(empty);
    },
    scaled(60_000),
  );
});
