import { afterEach, describe, expect, it, vi } from 'vitest';
import { WebSocket } from 'ws';
import { connectionView, createTetherClient, subscriptionView } from '../../src/client/index.ts';
import type {
  FetchLike,
  LocalTetherClient,
  TetherClientOptions,
  WebSocketConstructor,
} from '../../src/client/index.ts';
import type { TetherServerOptions } from '../../server/options.ts';
import { startServer } from '../fixtures/real-server.ts';
import type { StartedServer } from '../fixtures/real-server.ts';
import { SECRET, token } from '../fixtures/tokens.ts';

// The client runtime (with `ws`) against the real server with authentication on.

let server: StartedServer | undefined;
let client: LocalTetherClient | undefined;
afterEach(async () => {
  client?.stop();
  client = undefined;
  await server?.close();
  server = undefined;
});

/** Every URL handed to the WebSocket constructor or to fetch, and every Authorization header sent. */
function recorder() {
  const urls: string[] = [];
  const authorizations: (string | undefined)[] = [];
  class RecordingWebSocket extends WebSocket {
    constructor(url: string) {
      urls.push(url);
      super(url);
    }
  }
  const recordingFetch: FetchLike = (url, init) => {
    urls.push(url);
    authorizations.push(init.headers?.authorization);
    return fetch(url, init);
  };
  return {
    urls,
    authorizations,
    WebSocket: RecordingWebSocket as unknown as WebSocketConstructor,
    fetch: recordingFetch,
  };
}

async function setup(options: TetherServerOptions = {}) {
  server = await startServer({ auth: { secret: SECRET, clockToleranceSec: 0 }, ...options });
  server.server.defineTopic('host.cpu', { initial: { total: 1 } });
  server.server.defineTopic('secret.payroll', { initial: { total: 100 } });
  return server;
}

function connect(s: StartedServer, options: TetherClientOptions): LocalTetherClient {
  client = createTetherClient({
    url: s.httpUrl,
    WebSocket,
    network: false,
    backoff: { baseMs: 50, capMs: 200 },
    ...options,
  });
  return client;
}
const view = () => connectionView(client!.actor.getSnapshot());

describe('the client with authentication on', () => {
  it('goes to failed with the server’s reason when it has no token, and never tries again by itself', async () => {
    const s = await setup();
    const record = recorder();
    connect(s, { WebSocket: record.WebSocket, fetch: record.fetch });
    await vi.waitFor(() =>
      expect(view()).toMatchObject({
        status: 'failed',
        lastError: { code: 'unauthorized', message: expect.stringMatching(/token is required/) },
      }),
    );
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(view().status).toBe('failed');
    expect(record.urls).toEqual([s.wsUrl]); // one attempt, no fallback to polling
  });

  it('never puts the token in a URL, over WebSocket or polling; polling sends it as a bearer header', async () => {
    const tokenText = await token();
    for (const websocket of [true, false]) {
      const s = await setup({ websocket });
      const record = recorder();
      connect(s, {
        WebSocket: record.WebSocket,
        fetch: record.fetch,
        getToken: () => tokenText,
        backoff: { baseMs: 20, capMs: 20, maxAttemptsUntilOpen: 1 },
        polling: { waitMs: 200 },
      });
      const cpu = client!.subscribe('host.cpu');
      await vi.waitFor(() => expect(subscriptionView(cpu.ref.getSnapshot()).status).toBe('live'), {
        timeout: 5000,
      });
      expect(view().transport).toBe(websocket ? 'websocket' : 'polling');
      expect(record.urls.length).toBeGreaterThan(0);
      for (const url of record.urls) {
        expect(url).not.toContain(tokenText);
        expect(url).not.toMatch(/token|bearer|eyJ/i);
      }
      if (!websocket)
        expect(record.authorizations.every((value) => value === `Bearer ${tokenText}`)).toBe(true);
      client!.stop();
      await s.close();
    }
  });

  it('applies a narrower token sent on the live connection at once: the refused subscription shows forbidden, the rest stays live', async () => {
    const s = await setup();
    let tokenText = await token({ sub: ['*'] });
    connect(s, { getToken: () => tokenText });
    const cpu = client!.subscribe('host.cpu');
    const payroll = client!.subscribe('secret.payroll');
    await vi.waitFor(() =>
      expect([cpu, payroll].map((h) => subscriptionView(h.ref.getSnapshot()).status)).toEqual([
        'live',
        'live',
      ]),
    );

    tokenText = await token({ sub: ['host.*'] }, { subject: 'narrower' });
    await client!.reauthenticate();
    await vi.waitFor(() =>
      expect(subscriptionView(payroll.ref.getSnapshot())).toMatchObject({
        status: 'error',
        error: { code: 'forbidden' },
      }),
    );
    s.server.publish('host.cpu', [{ op: 'replace', path: '/total', value: 7 }]);
    await vi.waitFor(() =>
      expect(subscriptionView(cpu.ref.getSnapshot())).toMatchObject({
        status: 'live',
        data: { total: 7 },
      }),
    );
    expect(view().status).toBe('connected');
  });

  it('keeps a connection alive across token expiries by sending fresh tokens before each runs out', async () => {
    const s = await setup();
    let minted = 0;
    // `exp` counts whole seconds, so a 3-second token has 2 to 3 s left when minted; the refresh
    // (half its life, and at least 1 s apart) then lands a second or more before it runs out,
    // which a loaded machine needs: a 2-second token can leave next to none.
    const getToken = vi.fn(() => token(undefined, { ttlSec: 3, subject: `user-${++minted}` }));
    const record = recorder();
    connect(s, { WebSocket: record.WebSocket, getToken });
    const cpu = client!.subscribe('host.cpu');
    await vi.waitFor(() => expect(subscriptionView(cpu.ref.getSnapshot()).status).toBe('live'));
    await new Promise((resolve) => setTimeout(resolve, 5500));
    expect(view()).toMatchObject({ status: 'connected', lastError: null });
    expect(record.urls).toHaveLength(1); // the same socket all along
    expect(getToken.mock.calls.length).toBeGreaterThanOrEqual(3);
  }, 15_000);

  it('backs off when the server says rate_limited: reconnects slower and ends with every topic live', async () => {
    const s = await setup({ rateLimit: { framesPerSecond: 5, burst: 5 } });
    const topics = Array.from({ length: 8 }, (_, i) => `t${i}`);
    for (const topic of topics) s.server.defineTopic(topic, { initial: { topic } });
    const record = recorder();
    connect(s, {
      WebSocket: record.WebSocket,
      getToken: () => token(),
      sendRate: { framesPerSecond: 20, burst: 20 },
    });
    const errors: string[] = [];
    client!.actor.subscribe((snapshot) => {
      const code = snapshot.context.lastError?.code;
      if (code && errors.at(-1) !== code) errors.push(code);
    });
    const handles = topics.map((topic) => client!.subscribe(topic));
    await vi.waitFor(
      () =>
        expect(handles.map((h) => subscriptionView(h.ref.getSnapshot()).status)).toEqual(
          topics.map(() => 'live'),
        ),
      { timeout: 15_000 },
    );
    expect(errors).toContain('close_4429');
    expect(record.urls.length).toBeGreaterThanOrEqual(2);
    expect(view().status).toBe('connected');
  }, 20_000);
});
