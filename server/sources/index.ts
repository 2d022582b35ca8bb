import type { TetherServer } from '../tether-server.ts';
import { defineAlertFeed } from './alerts-feed.ts';
import { defineAlertThresholds } from './alerts-thresholds.ts';
import type { Thresholds } from './alerts-thresholds.ts';
import { defineHostCpu } from './host-cpu.ts';
import { defineHostLoad } from './host-load.ts';
import { defineHostMemory } from './host-memory.ts';
import { defineServerClients } from './server-clients.ts';
import { defineServerEventLoop } from './server-eventloop.ts';

export interface HostMetricsOptions {
  /** Sampling interval for every source (default 1000 ms). */
  sampleMs?: number;
  /** Starting alert thresholds (default cpu 90 %, memory 90 %, load1 2 × cores). */
  thresholds?: Thresholds;
}

/**
 * Defines the default topics (docs/architecture.md) on `server` and samples them all on one
 * timer, so every topic's `t` of a round is the same instant and alerts see one consistent round.
 * The timer is unref'd (it never keeps a process alive) and stopped when the server closes.
 */
export function registerHostMetrics(server: TetherServer, options: HostMetricsOptions = {}): { stop(): void } {
  const sampleMs = options.sampleMs ?? 1000;
  if (!(Number.isFinite(sampleMs) && sampleMs >= 10)) throw new RangeError(`sampleMs must be at least 10, got ${sampleMs}`);
  const cpu = defineHostCpu(server, sampleMs);
  const memory = defineHostMemory(server, sampleMs);
  const load = defineHostLoad(server);
  const eventLoop = defineServerEventLoop(server);
  const clients = defineServerClients(server);
  const thresholds = defineAlertThresholds(server, options.thresholds);
  const feed = defineAlertFeed(server, () => thresholds.state);

  const timer = setInterval(() => {
    const t = Date.now();
    const readings = { cpu: cpu.sample(t), memory: memory.sample(t), load1: load.sample(t) };
    eventLoop.sample(t);
    clients.sample(t);
    feed.evaluate(t, readings);
  }, sampleMs).unref();

  let stopped = false;
  const stop = () => {
    if (stopped) return;
    stopped = true;
    clearInterval(timer);
    eventLoop.stop();
  };
  server.onClose(stop);
  return { stop };
}
