/**
 * The client's own per-frame cost without a socket: createTetherClient over a stand-in WebSocket
 * that delivers pre-encoded frames `batch` at a time, each batch in its own macrotask. batch = 1
 * is what a browser does (one task per WebSocket message), larger batches what `ws` does when a
 * read brings many frames. Used for profiling (`node --cpu-prof`) and as a noise-free check.
 * argv: topics frames batch.
 */
import { performance } from 'node:perf_hooks';
import { createTetherClient } from '../../src/client/index.ts';
import { cpuMs, report } from '../lib/proc.ts';
import { patchText, topicName } from '../lib/shapes.ts';
import { standInSocket } from '../lib/stand-in-socket.ts';

export async function inProcess(
  topics: number,
  frames: number,
  batch: number,
): Promise<{ wallMs: number; cpuMs: number }> {
  // Flat strings, as a socket hands them over: JSON.stringify can return a rope, which JSON.parse
  // flattens into a new string that this array then keeps alive (promotion a socket never causes).
  const patches = Array.from({ length: frames }, (_, n) =>
    Buffer.from(patchText(topicName(n % topics), Math.floor(n / topics) + 1)).toString(),
  );
  let subscribed = 0;
  let ready: () => void;
  const allSubscribed = new Promise<void>((resolve) => (ready = resolve));
  const StandIn = standInSocket(() => {
    if (++subscribed === topics) setTimeout(ready, 5);
  });

  const client = createTetherClient({
    url: 'http://127.0.0.1:1',
    WebSocket: StandIn,
    fetch: null,
    network: false,
  });
  let pending = topics;
  let finished: () => void;
  const done = new Promise<void>((resolve) => (finished = resolve));
  for (let i = 0; i < topics; i++) {
    const target = Math.floor((frames - 1 - i) / topics) + 1;
    const { view } = client.subscribe(topicName(i));
    let reached = false;
    view.subscribe(() => {
      if (!reached && view.get().seq === target) {
        reached = true;
        if (--pending === 0) finished();
      }
    });
  }
  await allSubscribed;
  await new Promise((resolve) => setTimeout(resolve, 20));
  const cpu = process.cpuUsage();
  const started = performance.now();
  for (let next = 0; next < patches.length;) {
    const end = Math.min(patches.length, next + batch);
    for (; next < end; next++) StandIn.last!.onmessage?.({ data: patches[next]! });
    await new Promise<void>((resolve) => setImmediate(resolve)); // a new task: queued microtasks run first
  }
  await done;
  const result = { wallMs: performance.now() - started, cpuMs: cpuMs(cpu) };
  client.stop();
  return result;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const [topics = '1', frames = '100000', batch = '1'] = process.argv.slice(2);
  const { wallMs, cpuMs: cpu } = await inProcess(Number(topics), Number(frames), Number(batch));
  if (process.send) {
    report({ wallMs, cpuMs: cpu });
    process.exit(0);
  }
  console.log(
    `topics=${topics} frames=${frames} batch=${batch}: ${((Number(frames) / wallMs) * 1000).toFixed(0)} frames/s wall, ${((cpu * 1000) / Number(frames)).toFixed(2)} µs CPU/frame`,
  );
}
