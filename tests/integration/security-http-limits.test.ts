import { connect } from 'node:net';
import { describe, expect, it } from 'vitest';
import type { TetherServerOptions } from '../../server/options.ts';
import { readEnv } from '../../server/env.ts';
import type { StartedServer } from '../fixtures/real-server.ts';
import { closedAfterEach } from '../fixtures/closed-after-each.ts';
import { SECRET, token } from '../fixtures/tokens.ts';

// Slow requests, held long polls and client addresses behind a trusted reverse proxy.

const tracked = closedAfterEach();

async function setup(options: TetherServerOptions = {}) {
  const s = await tracked.start(options);
  s.server.defineTopic('notes', { initial: { n: 0 } });
  return s;
}

describe('slow requests', () => {
  it('closes a connection whose headers do not arrive within headersTimeoutMs', async () => {
    const s = await setup({ headersTimeoutMs: 300, requestTimeoutMs: 600 });
    const socket = connect(s.port, '127.0.0.1');
    let answer = '';
    socket.setEncoding('utf8').on('data', (chunk: string) => (answer += chunk));
    socket.on('error', () => undefined);
    await new Promise((resolve) => socket.once('connect', resolve));
    socket.write('GET /api/topics HTTP/1.1\r\nHost: 127.0.0.1\r\n'); // never finished
    const started = Date.now();
    await new Promise((resolve) => socket.once('close', resolve));
    expect(Date.now() - started).toBeLessThan(5000);
    expect(answer).toMatch(/^HTTP\/1\.1 408/);
  });
});

describe('held long polls', () => {
  it('holds at most maxHeldPolls per subject; the next gets 429 rate_limited at once', async () => {
    const s = await setup({ auth: { secret: SECRET }, maxHeldPolls: 2 });
    const poll = async (subject: string) =>
      fetch(`${s.httpUrl}/api/poll?topic=notes&since=${s.server.hub.epoch}:0&wait=5000`, {
        headers: { authorization: `Bearer ${await token(undefined, { subject })}` },
      });
    const held = [poll('alice'), poll('alice')];
    await new Promise((resolve) => setTimeout(resolve, 200));
    const third = await poll('alice');
    expect(third.status).toBe(429);
    expect(await third.json()).toMatchObject({ code: 'rate_limited' });
    // Another user is not affected, and a publish answers the held ones.
    const bob = poll('bob');
    s.server.publish('notes', [{ op: 'replace', path: '/n', value: 1 }]);
    const answers = await Promise.all([...held, bob]);
    expect(answers.map((res) => res.status)).toEqual([200, 200, 200]);
    // Released: alice may hold polls again.
    const again = poll('alice');
    await new Promise((resolve) => setTimeout(resolve, 100));
    s.server.publish('notes', [{ op: 'replace', path: '/n', value: 2 }]);
    expect((await again).status).toBe(200);
  });
});

describe('trusted proxies', () => {
  const viaProxy = (s: StartedServer, forwardedFor: string) =>
    tracked.open(s.wsUrl, { headers: { 'x-forwarded-for': forwardedFor } });

  it('limits WebSocket connections per forwarded client address behind a trusted loopback proxy', async () => {
    const s = await setup({ maxConnectionsPerIp: 1, trustedProxies: ['127.0.0.1'] });
    const first = await viaProxy(s, '198.51.100.1, 203.0.113.5');
    first.send({ type: 'ping', t: 1 });
    expect(await first.take()).toEqual({ type: 'pong', t: 1 });
    // The client wrote the left entry itself; the proxy added the right one, which counts.
    const second = await viaProxy(s, '192.0.2.77, 203.0.113.5');
    expect(await second.take()).toMatchObject({ code: 'too_many_connections' });
    expect((await second.closed).code).toBe(1013);
    const other = await viaProxy(s, '203.0.113.6');
    other.send({ type: 'ping', t: 2 });
    expect(await other.take()).toEqual({ type: 'pong', t: 2 });
  });

  it('ignores X-Forwarded-For from peers that are not trusted proxies', async () => {
    const s = await setup({ maxConnectionsPerIp: 1 });
    for (let i = 0; i < 3; i++) {
      const client = await viaProxy(s, '203.0.113.5'); // loopback peer, exempt
      client.send({ type: 'ping', t: i });
      expect(await client.take()).toEqual({ type: 'pong', t: i });
    }
  });

  it('reads TETHER_TRUSTED_PROXIES and TETHER_PUBLIC_HOSTS, refusing malformed entries', () => {
    expect(
      readEnv({ TETHER_TRUSTED_PROXIES: '127.0.0.1, ::1', TETHER_PUBLIC_HOSTS: 'dash.example.com' })
        .server,
    ).toMatchObject({ trustedProxies: ['127.0.0.1', '::1'], publicHosts: ['dash.example.com'] });
    expect(() => readEnv({ TETHER_TRUSTED_PROXIES: 'proxy.local' })).toThrow(/not an IP address/);
    expect(() => readEnv({ TETHER_PUBLIC_HOSTS: 'http://x' })).toThrow(/TETHER_PUBLIC_HOSTS/);
    expect(
      readEnv({ TETHER_MAX_DEPTH: '32', TETHER_MAX_STATE_BYTES: '1000' }).server.topicLimits,
    ).toEqual({ maxDepth: 32, maxStateBytes: 1000 });
  });
});
