import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { ErrorCode } from '../src/protocol/index.ts';
import type { PatchFrame, PatchOperation } from '../src/protocol/index.ts';
import { ActionDispatcher } from './actions.ts';
import { createAuthenticator } from './auth.ts';
import type { Broker, ExclusiveTask } from './broker/broker.ts';
import { MemoryBroker } from './broker/memory-broker.ts';
import { RedisBroker } from './broker/redis-broker.ts';
import { SqliteBroker } from './broker/sqlite-broker.ts';
import { HttpApi } from './http-api.ts';
import { PublishEndpoint } from './http-publish.ts';
import { requestPath, sendError, sendJson } from './http-util.ts';
import { Hub } from './hub.ts';
import type { TopicDefinition } from './hub.ts';
import { resolveOptions } from './options.ts';
import type { ResolvedOptions, TetherServerOptions } from './options.ts';
import { HostPolicy, OriginPolicy, hostRefusal } from './origin.ts';
import { PollClients } from './poll-clients.ts';
import { serveStatic } from './static-files.ts';
import type { Topic } from './topic.ts';
import { WsGateway } from './ws-gateway.ts';

const HTTP_CLOSE_GRACE_MS = 1000;
/** Where the dashboard reads which widgets to show (options.dashboard). */
const DASHBOARD_PATH = '/dashboard.json';

export interface TetherServer {
  hub: Hub;
  /** Adds a topic; throws on an invalid or taken name. Its state starts as `initial` at seq 0. */
  defineTopic<T>(name: string, definition: TopicDefinition<T>): Topic<T>;
  /**
   * Applies RFC 6902 `ops` to the topic all or nothing and sends them to its subscribers as the
   * next patch. Throws on an unknown topic, and PatchRefusedError (state untouched) when they do
   * not apply. `[]` publishes nothing and returns null. The server owns `ops` afterwards.
   */
  publish(topic: string, ops: readonly PatchOperation[]): PatchFrame | null;
  /**
   * Publishes the difference between the topic's state and `next` (fast-json-patch `compare`);
   * null when they are equal. `next` must be a new object, not the current state mutated in place.
   */
  publishState(topic: string, next: unknown): PatchFrame | null;
  /** Serves /ws upgrades and every HTTP request of `httpServer` (use one that has no other handlers). */
  attach(httpServer: Server): void;
  /**
   * For apps with their own HTTP routes: handles /healthz, /api/* and the static dashboard, or
   * calls `next` when static serving is off and the path is not ours.
   */
  handleRequest(req: IncomingMessage, res: ServerResponse, next?: () => void): void;
  /** For apps with their own `upgrade` listener: accepts /ws, refuses anything else with 404. */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void;
  /** Creates an http.Server, attaches, and listens (port 0 = ephemeral). */
  listen(port?: number, host?: string): Promise<{ port: number; host: string }>;
  /** Current client counts of this node (WebSocket connections, distinct polling clients in the last 30 s). */
  clients(): { websocket: number; polling: number };
  /** The same over every node of the cluster (this node's only, without a shared broker). */
  clusterClients(): { websocket: number; polling: number };
  /**
   * Runs `start` on one node of the cluster at a time (at once without a shared broker), e.g. a
   * data source; `start` returns its stop. Publishes to `topics` are fenced: a node that lost the
   * lease cannot publish to them. Stopped when the server closes.
   */
  exclusive(
    name: string,
    start: () => () => void,
    options?: { topics?: readonly Topic[] },
  ): ExclusiveTask;
  /** Resolves when every topic defined so far reflects the shared state (at once in memory); `listen` waits for it. */
  ready(): Promise<void>;
  /** Runs `hook` when the server closes (sources stop their timers here). */
  onClose(hook: () => void): void;
  /** Closes every WebSocket with 1001, answers held long polls, stops sources, closes the listener. */
  close(): Promise<void>;
}

export function createTetherServer(options: TetherServerOptions = {}): TetherServer {
  const config = resolveOptions(options);
  const broker = createBroker(options, config.onError);
  const hub = new Hub({
    historyLength: config.historyLength,
    limits: config.topicLimits,
    broker,
  });
  const actions = new ActionDispatcher(hub, {
    dedupeSize: config.actionDedupeSize,
    onError: (error) => config.onError(error, 'action handler'),
  });
  const pollClients = new PollClients();
  const publishEndpoint = new PublishEndpoint({
    hub,
    keys: config.publishKeys,
    maxBytes: config.maxPublishBytes,
  });
  const security = {
    auth: createAuthenticator(config.auth === 'off' ? false : config.auth),
    origins: new OriginPolicy(config.allowedOrigins),
    hosts: new HostPolicy(config.publicHosts),
  };
  const api = new HttpApi({
    hub,
    actions,
    pollClients,
    publish: publishEndpoint,
    maxFrameBytes: config.maxFrameBytes,
    maxTopics: config.maxSubscriptions,
    maxHeldPolls: config.maxHeldPolls,
    trustedProxies: config.trustedProxies,
    ...security,
  });
  const dashboardJson = config.dashboard && JSON.stringify(config.dashboard);
  const gateway = new WsGateway(hub, actions, config, security);
  broker.trackClients(() => ({ websocket: gateway.size, polling: pollClients.count() }));
  const attached: Server[] = [];
  const closeHooks: (() => void)[] = [];
  let owned: Server | undefined;
  let closing: Promise<void> | undefined;

  function handleRequest(req: IncomingMessage, res: ServerResponse, next?: () => void): void {
    res.on('error', () => undefined); // a client that vanished mid-answer is not our failure
    const fail = (error: unknown) => {
      config.onError(error, `${req.method} ${req.url}`);
      if (!res.headersSent) sendError(res, 500, ErrorCode.internal, 'internal error');
      else res.destroy();
    };
    try {
      const url = requestPath(req.url);
      if (!url)
        return sendError(res, 400, 'bad_request', 'the request path must start with one "/"');
      const ours =
        HttpApi.handles(url.pathname) ||
        url.pathname === DASHBOARD_PATH ||
        config.staticDir !== false;
      if (ours && !security.hosts.allows(req))
        return sendError(res, 403, ErrorCode.forbidden, hostRefusal(req));
      if (HttpApi.handles(url.pathname)) api.handle(req, res, url).catch(fail);
      else if (
        url.pathname === DASHBOARD_PATH &&
        dashboardJson &&
        (req.method === 'GET' || req.method === 'HEAD')
      )
        sendJson(res, 200, dashboardJson);
      else if (config.staticDir !== false)
        serveStatic(req, res, config.staticDir, url.pathname).catch(fail);
      else if (next) next();
      else sendError(res, 404, 'not_found', `no endpoint ${req.method} ${url.pathname}`);
    } catch (error) {
      fail(error);
    }
  }

  function handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    gateway.handleUpgrade(req, socket, head);
  }

  function attach(server: Server): void {
    server.on('request', handleRequest);
    server.on('upgrade', handleUpgrade);
    attached.push(server);
  }

  async function listen(port = 0, host = '127.0.0.1'): Promise<{ port: number; host: string }> {
    if (owned) throw new Error('this Tether server is already listening');
    checkOpenListener(config.auth, host);
    // Serving starts once the topics hold the shared state, not their initial values.
    await broker.ready();
    // Below Node's defaults (60 s, 300 s): API requests are small, and long polls hold the response, not the request.
    const server = createServer({
      headersTimeout: config.headersTimeoutMs,
      requestTimeout: config.requestTimeoutMs,
      connectionsCheckingInterval: Math.min(1000, config.headersTimeoutMs),
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    owned = server;
    attach(server);
    const address = server.address();
    if (address === null || typeof address === 'string') throw new Error('expected a TCP address');
    return { port: address.port, host };
  }

  async function shutDown(): Promise<void> {
    // Stop accepting connections first; the ones already open are finished below.
    const listener = owned;
    const listenerClosed =
      listener && new Promise<void>((resolve) => listener.close(() => resolve()));
    for (const hook of closeHooks.splice(0)) hook();
    // Held polls are answered at once, so nobody waits out their `wait`.
    api.releaseHeld();
    await gateway.close();
    // An app's own server keeps running; it only stops reaching us.
    for (const server of attached.splice(0)) {
      if (server === owned) continue;
      server.off('request', handleRequest);
      server.off('upgrade', handleUpgrade);
    }
    if (listener && listenerClosed) await drainHttp(listener, listenerClosed);
    await broker.close();
  }

  return {
    hub,
    defineTopic: (name, definition) => hub.defineTopic(name, definition),
    publish: (topic, ops) => hub.publish(topic, ops),
    publishState: (topic, next) => hub.publishState(topic, next),
    attach,
    handleRequest,
    handleUpgrade,
    listen,
    clients: () => ({ websocket: gateway.size, polling: pollClients.count() }),
    clusterClients: () => broker.clusterClients(),
    exclusive: (name, start, exclusiveOptions) => {
      const task = broker.exclusive(name, start, exclusiveOptions);
      closeHooks.push(() => task.stop());
      return task;
    },
    ready: () => broker.ready(),
    onClose: (hook) => void closeHooks.push(hook),
    close: () => (closing ??= shutDown()),
  };
}

/**
 * Without auth every client may read every topic and act on writable ones. That is the library's
 * default for a server on loopback; on any other address it must be chosen explicitly.
 */
function checkOpenListener(auth: ResolvedOptions['auth'], host: string): void {
  if (auth !== false && auth !== 'off') return;
  const loopback = host === 'localhost' || host === '::1' || host.startsWith('127.');
  if (loopback) return;
  if (auth === false)
    throw new Error(
      `refusing to listen on ${host} without auth: anyone who can reach it could read every topic and send actions. Configure auth, or pass auth: 'off' to serve everyone on purpose`,
    );
  console.warn(
    `tether: auth is off on ${host}: anyone who can reach this server can read every topic and send actions`,
  );
}

function createBroker(
  options: TetherServerOptions,
  onError: (error: unknown, where: string) => void,
): Broker {
  if (options.broker) return options.broker;
  if (options.redisUrl)
    return new RedisBroker({ ...options.redis, url: options.redisUrl, onError });
  if (options.dataDir) return new SqliteBroker({ dataDir: options.dataDir });
  return new MemoryBroker();
}

/**
 * Waits for a closing server's connections to end. Keep-alive connections are closed as soon as
 * they are idle (checked again and again, because a response that was still streaming when close
 * began only becomes idle later); whatever is still busy after the grace period is cut.
 */
async function drainHttp(server: Server, closed: Promise<void>): Promise<void> {
  server.closeIdleConnections();
  const idle = setInterval(() => server.closeIdleConnections(), 25);
  const force = setTimeout(() => server.closeAllConnections(), HTTP_CLOSE_GRACE_MS);
  await closed;
  clearInterval(idle);
  clearTimeout(force);
}
