import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { performance } from 'node:perf_hooks';
import { WebSocketServer } from 'ws';
import type { WebSocket } from 'ws';
import { CloseCode, ErrorCode } from '../src/protocol/index.ts';
import type { ActionDispatcher } from './actions.ts';
import type { Authenticator } from './auth.ts';
import type { Hub } from './hub.ts';
import type { ResolvedOptions } from './options.ts';
import { clientAddress } from './http-util.ts';
import { hostRefusal } from './origin.ts';
import type { HostPolicy, OriginPolicy } from './origin.ts';
import { Connection } from './ws-connection.ts';
import type { SubscriberIndex } from './ws-connection.ts';

export const WS_PATH = '/ws';
/** How long shutdown waits for clients to complete the close handshake before cutting them off. */
const SHUTDOWN_GRACE_MS = 2000;

/**
 * The WebSocket side of the server: accepts upgrades on /ws, fans published patches out to
 * subscribers, and sweeps silent connections. ws's own payload cap sits well above ours so an
 * oversized frame reaches Connection, which can still answer `too_large` before closing.
 */
export class WsGateway {
  readonly #connections = new Set<Connection>();
  readonly #byTopic = new Map<string, Set<Connection>>();
  readonly #wss: WebSocketServer;
  readonly #sweep: NodeJS.Timeout;
  readonly #stopFanOut: () => void;
  readonly #stopResets: () => void;
  readonly #stopAvailability: () => void;
  /** Open connections per remote address (for maxConnectionsPerIp). */
  readonly #perAddress = new Map<string, number>();
  #closing = false;
  /** Patches published since the last fan-out, in publish order. */
  #round: { subscribers: Connection[]; bytes: Buffer }[] = [];

  private readonly hub: Hub;
  private readonly actions: ActionDispatcher;
  private readonly options: ResolvedOptions;
  private readonly security: { auth: Authenticator; origins: OriginPolicy; hosts: HostPolicy };

  constructor(
    hub: Hub,
    actions: ActionDispatcher,
    options: ResolvedOptions,
    security: { auth: Authenticator; origins: OriginPolicy; hosts: HostPolicy },
  ) {
    this.hub = hub;
    this.actions = actions;
    this.options = options;
    this.security = security;
    const maxPayload = Math.max(2 * options.maxFrameBytes, options.maxFrameBytes + 64 * 1024);
    this.#wss = new WebSocketServer({
      noServer: true,
      maxPayload,
      perMessageDeflate: false,
      clientTracking: false,
    });
    this.#wss.on('error', (error) => options.onError(error, 'websocket server'));
    this.#stopFanOut = hub.onPublish((topic, patch) => {
      const subscribers = this.#byTopic.get(topic.name);
      if (!subscribers?.size) return;
      // Sent once the publishing code has run (a microtask later), so a round that publishes
      // several topics reaches each connection in one write. The subscribers are those of now:
      // whoever subscribes later got a snapshot or catch-up that already holds this patch.
      if (this.#round.length === 0) queueMicrotask(() => this.#fanOut());
      this.#round.push({ subscribers: [...subscribers], bytes: Buffer.from(patch.text) }); // encoded once for every subscriber
    });
    // A replica re-based on shared state (another epoch, history lost): its live sequence cannot
    // continue, so each subscriber gets the new snapshot, in order after the patches already queued.
    this.#stopResets = hub.onReset((topic) => {
      const subscribers = this.#byTopic.get(topic.name);
      if (!subscribers?.size) return;
      if (this.#round.length === 0) queueMicrotask(() => this.#fanOut());
      this.#round.push({
        subscribers: [...subscribers],
        bytes: Buffer.from(topic.snapshot().text),
      });
    });
    // Without the shared state a node cannot tell live data from frozen data: its clients are
    // closed (they show their data as stale and reconnect, to another node or here once it is back).
    this.#stopAvailability = hub.broker.onAvailability((available) => {
      if (available) return;
      for (const connection of this.#connections)
        connection.shut(CloseCode.tryAgainLater, 'shared state unavailable');
    });
    // Sweeping at a quarter of the timeout closes a silent socket within 1.25× the timeout.
    const watchedMs = security.auth.required
      ? Math.min(options.heartbeatTimeoutMs, options.helloTimeoutMs)
      : options.heartbeatTimeoutMs;
    const sweepMs = Math.max(10, Math.min(watchedMs / 4, 5000));
    this.#sweep = setInterval(() => this.#closeSilent(), sweepMs).unref();
  }

  /** Open connections; ones already being closed (timed out, dropped, too many bad frames) do not count. */
  get size(): number {
    let open = 0;
    for (const connection of this.#connections) if (!connection.closing) open++;
    return open;
  }

  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    socket.on('error', () => socket.destroy());
    const path = (req.url ?? '/').split('?')[0];
    if (path !== WS_PATH)
      return refuse(socket, 404, 'Not Found', 'no WebSocket endpoint here; use /ws');
    if (!this.security.hosts.allows(req)) return refuse(socket, 403, 'Forbidden', hostRefusal(req));
    if (!this.options.websocket)
      return refuse(socket, 503, 'Service Unavailable', 'WebSocket is disabled; poll /api/poll');
    if (this.#closing) return refuse(socket, 503, 'Service Unavailable', 'server is shutting down');
    if (!this.hub.broker.available)
      return refuse(
        socket,
        503,
        'Service Unavailable',
        'shared state (Redis) is unreachable; try again later',
      );
    this.#wss.handleUpgrade(req, socket, head, (ws) => this.#accept(ws, req));
  }

  /** Says goodbye with 1001 to every client and waits (bounded) for the sockets to close. */
  async close(): Promise<void> {
    if (this.#closing) return;
    this.#closing = true;
    clearInterval(this.#sweep);
    this.#stopFanOut();
    this.#stopResets();
    this.#stopAvailability();
    const closed = [...this.#connections].map(
      (connection) =>
        new Promise<void>((resolve) => {
          if (connection.ws.readyState === connection.ws.CLOSED) return resolve();
          connection.ws.once('close', () => resolve());
          connection.shut(CloseCode.goingAway, 'server shutting down');
        }),
    );
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<void>(
      (resolve) => (timer = setTimeout(resolve, SHUTDOWN_GRACE_MS)),
    );
    await Promise.race([Promise.all(closed), deadline]);
    clearTimeout(timer);
    for (const connection of this.#connections) connection.ws.terminate();
    await new Promise<void>((resolve) => this.#wss.close(() => resolve()));
  }

  /**
   * Refusals that concern the whole connection (another site's page, too many connections from
   * one address) are told in an error frame before the close, which a browser can read, unlike
   * an HTTP status on a refused upgrade.
   */
  #accept(ws: WebSocket, req: IncomingMessage): void {
    const deps = {
      hub: this.hub,
      actions: this.actions,
      options: this.options,
      subscribers: this.#index,
      auth: this.security.auth,
    };
    const connection = new Connection(ws, deps, performance.now());
    this.#connections.add(connection);
    ws.on('message', (data, isBinary) => {
      try {
        connection.receive(data, isBinary, performance.now());
      } catch (error) {
        this.options.onError(error, 'websocket frame');
        connection.shut(1011, 'internal error', {
          type: 'error',
          code: ErrorCode.internal,
          message: 'internal error',
        });
      }
    });
    // Client-caused protocol errors (bad UTF-8, payload over ws's cap) end in a close; nothing to report.
    ws.on('error', () => undefined);
    const address = clientAddress(req, this.options.trustedProxies);
    let counted = false;
    ws.on('close', () => {
      connection.dispose();
      this.#connections.delete(connection);
      if (counted) this.#release(address);
    });
    if (this.security.origins.check(req) === 'refused') {
      const message = `origin ${JSON.stringify(String(req.headers.origin).slice(0, 200))} is not allowed to connect`;
      return connection.shut(CloseCode.forbidden, 'origin not allowed', {
        type: 'error',
        code: ErrorCode.forbidden,
        message,
      });
    }
    const open = this.#perAddress.get(address) ?? 0;
    if (
      open >= this.options.maxConnectionsPerIp &&
      !this.options.connectionLimitExempt.has(address)
    ) {
      const message = `at most ${this.options.maxConnectionsPerIp} connections per address; try again later`;
      return connection.shut(CloseCode.tryAgainLater, 'too many connections', {
        type: 'error',
        code: ErrorCode.tooManyConnections,
        message,
      });
    }
    this.#perAddress.set(address, open + 1);
    counted = true;
  }

  #release(address: string): void {
    const open = (this.#perAddress.get(address) ?? 1) - 1;
    if (open > 0) this.#perAddress.set(address, open);
    else this.#perAddress.delete(address);
  }

  /** Sends the round's patches: each connection gets its share, in publish order, in one write. */
  #fanOut(): void {
    const round = this.#round;
    this.#round = [];
    if (round.length === 1) {
      const { subscribers, bytes } = round[0]!;
      for (const connection of subscribers) connection.send(bytes);
      return;
    }
    const perConnection = new Map<Connection, Buffer[]>();
    for (const { subscribers, bytes } of round) {
      for (const connection of subscribers) {
        const frames = perConnection.get(connection);
        if (frames) frames.push(bytes);
        else perConnection.set(connection, [bytes]);
      }
    }
    for (const [connection, frames] of perConnection) connection.sendMany(frames);
  }

  #closeSilent(): void {
    const now = performance.now();
    for (const connection of this.#connections) {
      if (
        !connection.closing &&
        !connection.authenticated &&
        now - connection.openedAt > this.options.helloTimeoutMs
      ) {
        const message = `no hello with a valid token within ${this.options.helloTimeoutMs} ms`;
        connection.shut(CloseCode.unauthorized, 'unauthorized', {
          type: 'error',
          code: ErrorCode.unauthorized,
          message,
        });
      }
      if (connection.closing || now - connection.lastSeen <= this.options.heartbeatTimeoutMs)
        continue;
      const error = {
        type: 'error' as const,
        code: ErrorCode.heartbeatTimeout,
        message: `no frame for ${this.options.heartbeatTimeoutMs} ms`,
      };
      connection.shut(CloseCode.heartbeatTimeout, 'heartbeat timeout', error);
    }
  }

  readonly #index: SubscriberIndex = {
    add: (topic, connection) => {
      let set = this.#byTopic.get(topic);
      if (!set) this.#byTopic.set(topic, (set = new Set()));
      set.add(connection);
    },
    remove: (topic, connection) => {
      const set = this.#byTopic.get(topic);
      set?.delete(connection);
      if (set?.size === 0) this.#byTopic.delete(topic);
    },
  };
}

function refuse(socket: Duplex, status: number, statusText: string, body: string): void {
  socket.end(
    `HTTP/1.1 ${status} ${statusText}\r\nConnection: close\r\nContent-Type: text/plain; charset=utf-8\r\n` +
      `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
  );
}
