import net from 'node:net';
import { performance } from 'node:perf_hooks';

/**
 * A TCP proxy on 127.0.0.1 that sits between a client and the server and breaks the link on
 * command, the way real networks do: drop it, black-hole it, slow it, cut it in the middle of a
 * frame, refuse new connections. Every control applies at once to open and future connections.
 *
 * Bytes travel through a FIFO per direction. A chunk leaves when its latency has passed, the
 * throttle allows it and the link is not black-holed; end-of-stream and close travel through the
 * same FIFO, so a black hole hides a peer's close as well (only a heartbeat can notice).
 */

export interface ProxyStats {
  /** Connections accepted and connected through (refused ones are not counted here). */
  connectionsOpened: number;
  /** Connections currently open. */
  connectionsOpen: number;
  /** Bytes delivered to the server / to the client. */
  bytesToServer: number;
  bytesToClient: number;
  /** Faults injected, by kind: connections dropped or cut, connections refused, controls switched on. */
  faults: {
    drop: number;
    cut: number;
    refused: number;
    blackhole: number;
    latency: number;
    throttle: number;
  };
}

export interface TcpProxy {
  port: number;
  httpUrl: string;
  wsUrl: string;
  /** Destroys every open connection now. `reset` sends a TCP RST instead of a FIN. */
  drop(how?: 'fin' | 'reset'): void;
  /** While on, nothing passes in either direction (data, FIN, close), yet both sockets stay open. */
  blackhole(on: boolean): void;
  /** Delays each chunk by `ms` + a uniform random 0..`jitterMs`; order is kept (TCP is in-order). */
  latency(ms: number, jitterMs?: number): void;
  /** Limits each direction of each connection to this rate; null or 0 removes the limit. */
  throttle(bytesPerSecond: number | null): void;
  /** Arms a cut: the next server→client chunk is forwarded half, then that connection is destroyed. Resolves when it happened. */
  cutMidFrame(): Promise<void>;
  /** While on, new connections are accepted and immediately closed. */
  refuse(on: boolean): void;
  /** Points new connections at another server port (e.g. a server restarted elsewhere). */
  retarget(port: number): void;
  stats(): ProxyStats;
  /** Stops listening and destroys every connection. */
  close(): Promise<void>;
}

/** Past this many queued bytes in one direction the sender is paused (TCP backpressure, bounded memory). */
const HIGH_WATER = 1024 * 1024;
/** Throttled data leaves in slices of this many milliseconds' worth. */
const SLICE_MS = 20;

interface Settings {
  blackholed: boolean;
  latencyMs: number;
  jitterMs: number;
  bytesPerSecond: number;
  cut: (() => void) | null;
}

/** One direction of one connection. */
class Pipe {
  readonly #queue: { data: Buffer; due: number }[] = [];
  #queued = 0;
  #lastDue = 0;
  #nextFreeAt = 0;
  #timer: NodeJS.Timeout | undefined;
  /** The source sent FIN / its socket closed (with an error: RST, ECONNREFUSED, …). */
  #ended = false;
  #failed = false;

  constructor(
    private readonly src: net.Socket,
    private readonly dst: net.Socket,
    private readonly toClient: boolean,
    private readonly link: Link,
  ) {
    src.on('data', (data: Buffer) => this.#push(data));
    src.on('end', () => {
      this.#ended = true;
      this.pump();
    });
    src.on('close', (hadError: boolean) => {
      this.#ended = true;
      this.#failed ||= hadError || !src.readableEnded;
      this.pump();
    });
    dst.on('drain', () => this.pump());
  }

  #push(data: Buffer): void {
    const { latencyMs, jitterMs } = this.link.settings;
    const due = Math.max(this.#lastDue, performance.now() + latencyMs + Math.random() * jitterMs);
    this.#lastDue = due;
    this.#queue.push({ data, due });
    this.#queued += data.length;
    if (this.#queued > HIGH_WATER) this.src.pause();
    this.pump();
  }

  /** Forwards whatever may leave now and schedules itself for the rest. */
  pump(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    const settings = this.link.settings;
    if (this.link.dead || settings.blackholed) return; // blackhole(false) calls us again
    for (let head = this.#queue[0]; head; head = this.#queue[0]) {
      if (this.dst.writableNeedDrain) return; // 'drain' calls us again
      const now = performance.now();
      if (head.due > now) return this.#wake(head.due - now);
      if (this.toClient && settings.cut) {
        const done = settings.cut;
        settings.cut = null;
        const half = head.data.subarray(0, Math.max(1, head.data.length >> 1));
        this.#count(half.length);
        this.link.cut(half);
        return done();
      }
      let data = head.data;
      if (settings.bytesPerSecond > 0) {
        if (this.#nextFreeAt > now) return this.#wake(this.#nextFreeAt - now);
        const slice = Math.max(1, Math.floor((settings.bytesPerSecond * SLICE_MS) / 1000));
        if (data.length > slice) {
          head.data = data.subarray(slice);
          data = data.subarray(0, slice);
        } else this.#queue.shift();
        this.#nextFreeAt = now + (data.length * 1000) / settings.bytesPerSecond;
      } else this.#queue.shift();
      this.#queued -= data.length;
      this.#count(data.length);
      if (!this.dst.destroyed) this.dst.write(data);
    }
    if (this.#queued < HIGH_WATER / 2 && this.src.isPaused()) this.src.resume();
    if (!this.#ended) return;
    // Everything before the FIN/close has been delivered; now pass the FIN/close on.
    if (this.#failed) this.link.destroy();
    else if (!this.dst.writableEnded) this.dst.end();
  }

  #wake(ms: number): void {
    this.#timer = setTimeout(() => this.pump(), Math.max(1, Math.ceil(ms)));
  }

  #count(bytes: number): void {
    if (this.toClient) this.link.stats.bytesToClient += bytes;
    else this.link.stats.bytesToServer += bytes;
  }

  stop(): void {
    clearTimeout(this.#timer);
  }
}

/** A client socket and its upstream socket; gone once both have closed. */
class Link {
  dead = false;
  readonly #pipes: Pipe[];

  constructor(
    readonly client: net.Socket,
    readonly upstream: net.Socket,
    readonly settings: Settings,
    readonly stats: ProxyStats,
    onGone: () => void,
  ) {
    let open = 2;
    for (const socket of [client, upstream]) {
      socket.on('error', () => undefined); // the 'close' that follows is handled by the pipes
      socket.once('close', () => {
        if (--open > 0) return;
        this.#stop();
        onGone();
      });
    }
    this.#pipes = [new Pipe(client, upstream, false, this), new Pipe(upstream, client, true, this)];
  }

  pump(): void {
    for (const pipe of this.#pipes) pipe.pump();
  }

  /** Ends both sockets now, discarding whatever is queued. */
  destroy(fault?: 'drop', how: 'fin' | 'reset' = 'fin'): void {
    if (this.#stop() && fault) this.stats.faults[fault]++;
    for (const socket of [this.client, this.upstream]) {
      if (how === 'reset' && !socket.destroyed) socket.resetAndDestroy();
      else socket.destroy();
    }
  }

  /** Delivers `last` (part of a frame) to the client, then closes it; the server side goes at once. */
  cut(last: Buffer): void {
    if (this.#stop()) this.stats.faults.cut++;
    this.upstream.destroy();
    if (this.client.destroyed) return;
    this.client.end(last, () => this.client.destroy());
  }

  /** Marks the link dead; false when it already was. */
  #stop(): boolean {
    if (this.dead) return false;
    this.dead = true;
    for (const pipe of this.#pipes) pipe.stop();
    return true;
  }
}

/** Starts a proxy on 127.0.0.1 (ephemeral port) in front of `127.0.0.1:targetPort`. */
export async function startProxy(targetPort: number): Promise<TcpProxy> {
  let target = targetPort;
  let refusing = false;
  const settings: Settings = {
    blackholed: false,
    latencyMs: 0,
    jitterMs: 0,
    bytesPerSecond: 0,
    cut: null,
  };
  const stats: ProxyStats = {
    connectionsOpened: 0,
    connectionsOpen: 0,
    bytesToServer: 0,
    bytesToClient: 0,
    faults: { drop: 0, cut: 0, refused: 0, blackhole: 0, latency: 0, throttle: 0 },
  };
  const links = new Set<Link>();

  const server = net.createServer({ allowHalfOpen: true }, (client) => {
    if (refusing) {
      stats.faults.refused++;
      client.on('error', () => undefined);
      client.destroy();
      return;
    }
    const upstream = net.connect({ host: '127.0.0.1', port: target, allowHalfOpen: true });
    stats.connectionsOpened++;
    stats.connectionsOpen++;
    const link: Link = new Link(client, upstream, settings, stats, () => {
      links.delete(link);
      stats.connectionsOpen--;
    });
    links.add(link);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as net.AddressInfo).port;
  const pumpAll = () => {
    for (const link of links) link.pump();
  };

  return {
    port,
    httpUrl: `http://127.0.0.1:${port}`,
    wsUrl: `ws://127.0.0.1:${port}/ws`,
    drop(how = 'fin') {
      for (const link of [...links]) link.destroy('drop', how);
    },
    blackhole(on) {
      if (on && !settings.blackholed) stats.faults.blackhole++;
      settings.blackholed = on;
      if (!on) pumpAll(); // what was held (data, then FIN/close) flows again, in order
    },
    latency(ms, jitterMs = 0) {
      if (ms > 0 || jitterMs > 0) stats.faults.latency++;
      settings.latencyMs = ms;
      settings.jitterMs = jitterMs;
    },
    throttle(bytesPerSecond) {
      if (bytesPerSecond) stats.faults.throttle++;
      settings.bytesPerSecond = bytesPerSecond ?? 0;
      pumpAll();
    },
    cutMidFrame() {
      return new Promise<void>((resolve) => {
        const previous = settings.cut;
        settings.cut = () => {
          previous?.();
          resolve();
        };
        pumpAll(); // a chunk already waiting (e.g. behind latency) is the next one
      });
    },
    refuse(on) {
      refusing = on;
    },
    retarget(newPort) {
      target = newPort;
    },
    stats: () => structuredClone(stats),
    async close() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const link of [...links]) link.destroy();
      await closed;
    },
  };
}
