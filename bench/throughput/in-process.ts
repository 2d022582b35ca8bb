/**
 * The client's own per-frame cost without a socket: createTetherClient over a stand-in WebSocket
 * that delivers pre-encoded frames `batch` at a time, each batch in its own macrotask. batch = 1
 * is what a browser does (one task per WebSocket message), larger batches what `ws` does when a
 * read brings many frames. Used for profiling (`node --cpu-prof`) and as a noise-free check.
 * argv: topics frames batch.
 */
import { performance } from 'node:perf_hooks';
import { createTetherClient } from '../../src/client/index.ts';
import type { WebSocketLike } from '../../src/client/index.ts';
import { cpuMs, report } from '../lib/proc.ts';
import { patchText, snapshotText, topicName } from '../lib/shapes.ts';

export async function inProcess(topics: number, frames: number, batch: number): Promise<{ wallMs: number; cpuMs: number }> {
  const patches = Array.from({ length: frames }, (_, n) => patchText(topicName(n % topics), Math.floor(n / topics) + 1));
  let socket: FakeSocket | undefined;
  let subscribed = 0;
  let ready: () => void;
  const allSubscribed = new Promise<void>((resolve) => (ready = resolve));

  class FakeSocket implements WebSocketLike {
    readyState = 0;
    onopen: WebSocketLike['onopen'] = null;
    onmessage: WebSocketLike['onmessage'] = null;
    onclose: WebSocketLike['onclose'] = null;
    onerror: WebSocketLike['onerror'] = null;
    constructor() {
      socket = this;
      setTimeout(() => {
        this.readyState = 1;
        this.onopen?.({});
      });
    }
    send(text: string) {
      const frame = JSON.parse(text) as { type: string; topic?: string; t?: number };
      const reply = (data: string) => setTimeout(() => this.onmessage?.({ data }));
      if (frame.type === 'hello') reply(JSON.stringify({ type: 'welcome', heartbeatMs: 25_000 }));
      else if (frame.type === 'subscribe') {
        reply(snapshotText(frame.topic!));
        if (++subscribed === topics) setTimeout(ready, 5);
      }
    }
    close() {
      this.readyState = 3;
    }
  }

  const client = createTetherClient({ url: 'http://127.0.0.1:1', WebSocket: FakeSocket, fetch: null, network: false });
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
  for (let next = 0; next < patches.length; ) {
    const end = Math.min(patches.length, next + batch);
    for (; next < end; next++) socket!.onmessage?.({ data: patches[next]! });
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
  console.log(`topics=${topics} frames=${frames} batch=${batch}: ${((Number(frames) / wallMs) * 1000).toFixed(0)} frames/s wall, ${((cpu * 1000) / Number(frames)).toFixed(2)} µs CPU/frame`);
}
