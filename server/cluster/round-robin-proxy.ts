import net from 'node:net';

export interface RoundRobinProxy {
  port: number;
  /** Backends tried in turn for each new connection; a backend that refuses is skipped. */
  setBackends(ports: readonly number[]): void;
  /** Connections forwarded so far, per backend port. */
  counts(): Map<number, number>;
  close(): Promise<void>;
}

/** A backend that does not accept within this long is skipped for this connection. */
const CONNECT_TIMEOUT_MS = 1000;

/**
 * A tiny TCP load balancer for trying a cluster on one machine: each new connection goes to the
 * next backend in turn (no stickiness; HTTP keep-alive and WebSocket upgrades simply stay on the
 * connection's backend), skipping backends that refuse. Not for production: use any real load
 * balancer there, Tether needs no sticky sessions.
 */
export async function startRoundRobinProxy(options: {
  port?: number;
  host?: string;
  backends: readonly number[];
}): Promise<RoundRobinProxy> {
  let backends = [...options.backends];
  let next = 0;
  const counts = new Map<number, number>();
  const sockets = new Set<net.Socket>();
  const track = (socket: net.Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  };

  const server = net.createServer((client) => {
    track(client);
    client.on('error', () => client.destroy());
    client.pause();
    const order = backends.map((_, i) => backends[(next + i) % backends.length]!);
    next = (next + 1) % Math.max(1, backends.length);
    const attempt = (index: number) => {
      const port = order[index];
      if (port === undefined || client.destroyed) return client.destroy();
      const upstream = net.connect({ port, host: '127.0.0.1' });
      track(upstream);
      let connected = false;
      const timer = setTimeout(
        () => upstream.destroy(new Error('connect timeout')),
        CONNECT_TIMEOUT_MS,
      );
      upstream.on('error', () => {
        clearTimeout(timer);
        if (connected) client.destroy();
        else attempt(index + 1);
      });
      upstream.once('connect', () => {
        clearTimeout(timer);
        connected = true;
        counts.set(port, (counts.get(port) ?? 0) + 1);
        upstream.setNoDelay(true);
        client.setNoDelay(true);
        client.pipe(upstream);
        upstream.pipe(client);
        upstream.once('close', () => client.destroy());
        client.once('close', () => upstream.destroy());
        client.resume();
      });
    };
    attempt(0);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as net.AddressInfo;
  return {
    port,
    setBackends: (ports) => {
      backends = [...ports];
    },
    counts: () => new Map(counts),
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
