/** Data shapes of the default topics, as docs/architecture.md specifies them. */
import type { Thresholds } from './optimistic.ts';

export interface CpuData {
  cores: number;
  model: string;
  intervalMs: number;
  samples: { t: number; total: number; perCore: number[] }[];
}
export interface MemoryData {
  totalBytes: number;
  intervalMs: number;
  samples: { t: number; usedBytes: number; serverRssBytes: number }[];
}
export interface LoadData {
  t: number;
  load1: number;
  load5: number;
  load15: number;
  cores: number;
  uptimeSec: number;
}
export interface EventLoopData {
  t: number;
  meanMs: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
}
export interface ClientsData {
  t: number;
  websocket: number;
  polling: number;
  total: number;
}
export interface AlertItem {
  id: string;
  t: number;
  metric: 'cpu' | 'memory' | 'load1';
  level: 'warning' | 'resolved';
  value: number;
  threshold: number;
  message: string;
}
export interface AlertFeedData {
  items: AlertItem[];
}

/** The dashboard's topic map: `useTopic('host.cpu').data()` is a CpuData (see hooks.ts). */
export interface DashboardTopics {
  'host.cpu': CpuData;
  'host.memory': MemoryData;
  'host.load': LoadData;
  'server.eventloop': EventLoopData;
  'server.clients': ClientsData;
  'alerts.thresholds': Thresholds;
  'alerts.feed': AlertFeedData;
}
