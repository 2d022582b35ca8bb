/**
 * Real Tether clients for the reconnect storm (argv: port, count, first index, jitter | nojitter).
 * Each is a createTetherClient with the `ws` WebSocket, no polling fallback, one subscription.
 * After the parent says `arm`, every client records when its subscription left `live` and when
 * it was live again (resubscribed and holding the new server's snapshot), and how many attempts
 * its connection needed. `nojitter` is the baseline: the same exponential backoff without the
 * random factor (random = 1), so every client retries at the same instants.
 */
import { performance } from 'node:perf_hooks';
import { WebSocket } from 'ws';
import { createTetherClient } from '../../src/client/index.ts';
import type { TetherClient } from '../../src/client/index.ts';
import { exitWithParent, report } from '../lib/proc.ts';

exitWithParent();
const [portArg, countArg, firstArg = '0', mode = 'jitter'] = process.argv.slice(2);
const count = Number(countArg);
const now = () => performance.timeOrigin + performance.now();

interface Track {
  live: boolean;
  lostAt: number | null;
  backAt: number | null;
  attempts: number;
}
let armed = false;
let initiallyLive = 0;
let back = 0;
const tracks: Track[] = [];
const clients: TetherClient[] = [];

for (let i = 0; i < count; i++) {
  const client = createTetherClient({
    url: `http://127.0.0.1:${portArg}`,
    WebSocket,
    fetch: null,
    network: false,
    ...(mode === 'nojitter' ? { random: () => 1 } : {}),
  });
  clients.push(client);
  const track: Track = { live: false, lostAt: null, backAt: null, attempts: 0 };
  tracks.push(track);
  client.connection.subscribe(() => {
    if (armed) track.attempts = Math.max(track.attempts, client.connection.get().attempt);
  });
  const { view } = client.subscribe(`storm.${(Number(firstArg) + i) % 3}`);
  view.subscribe(() => {
    const live = view.get().status === 'live';
    if (live === track.live) return;
    track.live = live;
    if (!armed) {
      if (live && ++initiallyLive === count) report({ ready: count });
    } else if (!live && track.lostAt === null) track.lostAt = now();
    else if (live && track.lostAt !== null && track.backAt === null) {
      track.backAt = now();
      if (++back === count)
        report({
          back: tracks.map(({ lostAt, backAt, attempts }) => ({ lostAt, backAt, attempts })),
        });
    }
  });
}

process.on('message', (message: { cmd: string }) => {
  if (message.cmd === 'arm') armed = true;
  else if (message.cmd === 'status')
    report({
      status: {
        back,
        failed: clients.filter((c) => c.connection.get().status === 'failed').length,
      },
    });
  else if (message.cmd === 'stop') {
    for (const client of clients) client.stop();
    setTimeout(() => process.exit(0), 200);
  }
});
