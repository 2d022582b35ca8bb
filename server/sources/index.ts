import type { TetherServer } from '../tether-server.ts';
import { ALERTS_FEED, defineAlertFeed } from './alerts-feed.ts';
import { defineAlertThresholds } from './alerts-thresholds.ts';
import type { Thresholds } from './alerts-thresholds.ts';
import { HOST_CPU, defineHostCpu } from './host-cpu.ts';
import { HOST_LOAD, defineHostLoad } from './host-load.ts';
import { HOST_MEMORY, defineHostMemory } from './host-memory.ts';
import { SERVER_CLIENTS, defineServerClients } from './server-clients.ts';
import { SERVER_EVENTLOOP, defineServerEventLoop } from './server-eventloop.ts';

export interface HostMetricsOptions {
  /** Sampling interval for every source (default 1000 ms). */
  sampleMs?: number;
  /** Starting alert thresholds (default cpu 90 %, memory 90 %, load1 2 × cores). */
  thresholds?: Thresholds;
  /** Told when this node starts (true) or stops (false) sampling; in a cluster only one node samples at a time. */
  onSampling?: (sampling: boolean) => void;
}

/** The lease under which one node of a cluster samples the host metrics. */
export const HOST_METRICS_LEASE = 'host-metrics';

/**
 * Defines the default topics (docs/architecture.md) on `server` and samples them all on one
 * timer, so every topic's `t` of a round is the same instant and alerts see one consistent round.
 * The timer is unref'd (it never keeps a process alive) and stopped when the server closes.
 *
 * In a cluster every node defines the topics (clients may subscribe anywhere), but only the
 * holder of the `host-metrics` lease samples: the host topics then describe that node's machine,
 * and `server.clients` counts the whole cluster. If it dies, another node takes over.
 */
export function registerHostMetrics(
  server: TetherServer,
  options: HostMetricsOptions = {},
): { stop(): void } {
  const sampleMs = options.sampleMs ?? 1000;
  if (!(Number.isFinite(sampleMs) && sampleMs >= 10))
    throw new RangeError(`sampleMs must be at least 10, got ${sampleMs}`);
  const cpu = defineHostCpu(server, sampleMs);
  const memory = defineHostMemory(server, sampleMs);
  const load = defineHostLoad(server);
  const eventLoop = defineServerEventLoop(server);
  const clients = defineServerClients(server);
  const thresholds = defineAlertThresholds(server, options.thresholds);
  const feed = defineAlertFeed(server, () => thresholds.state);

  const sampled = [
    HOST_CPU,
    HOST_MEMORY,
    HOST_LOAD,
    SERVER_EVENTLOOP,
    SERVER_CLIENTS,
    ALERTS_FEED,
  ].map((name) => server.hub.topic(name)!);
  const task = server.exclusive(
    HOST_METRICS_LEASE,
    () => {
      feed.resume();
      const timer = setInterval(() => {
        const t = Date.now();
        const readings = { cpu: cpu.sample(t), memory: memory.sample(t), load1: load.sample(t) };
        eventLoop.sample(t);
        clients.sample(t);
        feed.evaluate(t, readings);
      }, sampleMs).unref();
      options.onSampling?.(true);
      return () => {
        clearInterval(timer);
        options.onSampling?.(false);
      };
    },
    { topics: sampled },
  );

  let stopped = false;
  const stop = () => {
    if (stopped) return;
    stopped = true;
    task.stop();
    eventLoop.stop();
  };
  server.onClose(stop);
  return { stop };
}
