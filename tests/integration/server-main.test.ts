import os from 'node:os';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { applyPatchImmutably } from '../../src/protocol/index.ts';
import type { PatchOperation } from '../../src/protocol/index.ts';
import { killSpawnedServers, openClient, spawnServer } from '../fixtures/real-server.ts';

afterEach(killSpawnedServers);

type Frame = Record<string, unknown>;
const patchOf = (topic: string) => (f: Frame) => f.type === 'patch' && f.topic === topic;
const snapshotOf = (topic: string) => (f: Frame) => f.type === 'snapshot' && f.topic === topic;

/** A topic's current state as a client would hold it: its snapshot with every later patch applied. */
function stateOf(frames: Frame[], topic: string): unknown {
  return frames
    .filter((f) => f.topic === topic)
    .reduce<unknown>((doc, f) => {
      if (f.type === 'snapshot') return f.data;
      if (f.type !== 'patch') return doc;
      const result = applyPatchImmutably(doc, f.ops as PatchOperation[]);
      if (!result.ok) throw new Error(result.error);
      return result.doc;
    }, undefined);
}

describe('the CLI (server/main.ts)', () => {
  it('serves live host metrics on /ws and shuts down cleanly on SIGTERM', async () => {
    const server = await spawnServer({ TETHER_SAMPLE_MS: '100' });
    expect(await (await fetch(`${server.httpUrl}/healthz`)).json()).toEqual({ ok: true });

    const client = await openClient(server.wsUrl);
    client.send({ type: 'hello', token: server.token });
    expect(await client.take()).toEqual({ type: 'welcome', heartbeatMs: 25_000 });
    for (const topic of [
      'host.cpu',
      'host.memory',
      'host.load',
      'server.eventloop',
      'server.clients',
      'alerts.thresholds',
      'alerts.feed',
    ]) {
      client.send({ type: 'subscribe', topic });
    }

    const cpu = await client.take<{ data: { cores: number; intervalMs: number } }>(
      snapshotOf('host.cpu'),
      10_000,
    );
    expect(cpu.data).toMatchObject({ cores: expect.any(Number), intervalMs: 100 });
    const memory = await client.take<{ data: { totalBytes: number } }>(
      snapshotOf('host.memory'),
      10_000,
    );
    expect(memory.data.totalBytes).toBe(os.totalmem());
    const load = await client.take<{ data: Frame }>(snapshotOf('host.load'), 10_000);
    expect(load.data).toMatchObject({
      load1: expect.any(Number),
      cores: os.availableParallelism(),
      uptimeSec: expect.any(Number),
    });
    const thresholds = await client.take<{ data: Frame }>(snapshotOf('alerts.thresholds'), 10_000);
    expect(thresholds.data).toMatchObject({
      version: 1,
      cpuPercent: expect.any(Number),
      memoryPercent: expect.any(Number),
      load1: expect.any(Number),
    });

    // Two live cpu samples: real numbers within 0..100, one per core.
    for (let i = 0; i < 2; i++) {
      const patch = await client.take<{
        ops: { op: string; path: string; value: { t: number; total: number; perCore: number[] } }[];
      }>(patchOf('host.cpu'), 10_000);
      const add = patch.ops.find((op) => op.op === 'add')!;
      expect(add.path).toBe('/samples/-');
      expect(add.value.total).toBeGreaterThanOrEqual(0);
      expect(add.value.total).toBeLessThanOrEqual(100);
      expect(add.value.perCore).toHaveLength(cpu.data.cores);
      expect(Math.abs(add.value.t - Date.now())).toBeLessThan(10_000);
    }
    const memorySample = await client.take<{
      ops: { value: { usedBytes: number; serverRssBytes: number } }[];
    }>(patchOf('host.memory'), 10_000);
    expect(memorySample.ops[0]!.value.usedBytes).toBeGreaterThan(0);
    expect(memorySample.ops[0]!.value.usedBytes).toBeLessThanOrEqual(os.totalmem());
    expect(memorySample.ops[0]!.value.serverRssBytes).toBeGreaterThan(0);
    await client.take(patchOf('server.eventloop'), 10_000);
    // This client is counted (in the snapshot already, or in the sample after it connected).
    await vi.waitFor(
      () =>
        expect(stateOf(client.frames, 'server.clients')).toMatchObject({ websocket: 1, total: 1 }),
      { timeout: 10_000 },
    );

    // The writable topic works end to end.
    client.send({
      type: 'action',
      id: 'set-cpu',
      topic: 'alerts.thresholds',
      payload: { version: 1, set: { cpuPercent: 55 } },
    });
    await client.take((f) => f.type === 'ack' && f.id === 'set-cpu', 10_000);
    client.send({
      type: 'action',
      id: 'stale',
      topic: 'alerts.thresholds',
      payload: { version: 1, set: { cpuPercent: 60 } },
    });
    expect(await client.take((f) => f.id === 'stale', 10_000)).toMatchObject({
      type: 'nack',
      code: 'conflict',
    });

    const stoppedAt = Date.now();
    server.kill('SIGTERM');
    expect((await client.closed).code).toBe(1001);
    expect(await server.exited).toBe(0);
    expect(Date.now() - stoppedAt).toBeLessThan(5000);
  });

  it('answers a held long poll when it receives SIGINT', async () => {
    const server = await spawnServer({ TETHER_SAMPLE_MS: '60000' });
    const { topics } = (await (
      await fetch(`${server.httpUrl}/api/topics`, { headers: server.authHeaders })
    ).json()) as { topics: { name: string; epoch: string; seq: number }[] };
    const thresholds = topics.find((t) => t.name === 'alerts.thresholds')!;
    const pending = fetch(
      `${server.httpUrl}/api/poll?topic=alerts.thresholds&since=${thresholds.epoch}:${thresholds.seq}&wait=30000`,
      { headers: server.authHeaders },
    );
    await new Promise((resolve) => setTimeout(resolve, 200));
    server.kill('SIGINT');
    expect(await (await pending).json()).toEqual({ frames: [] });
    expect(await server.exited).toBe(0);
  });

  it('refuses WebSocket upgrades with TETHER_NO_WEBSOCKET=1 but still serves polling', async () => {
    const server = await spawnServer({ TETHER_NO_WEBSOCKET: '1' });
    await expect(openClient(server.wsUrl)).rejects.toThrow(/503/);
    const poll = (await (
      await fetch(`${server.httpUrl}/api/poll?topic=host.load`, { headers: server.authHeaders })
    ).json()) as { frames: Frame[] };
    expect(poll.frames[0]).toMatchObject({ type: 'snapshot', topic: 'host.load' });
  });

  it('signs a login token by default, prints the link on its own line after the listen line, and refuses clients without it', async () => {
    const server = await spawnServer();
    const lines = server.output().trim().split('\n');
    expect(lines[0]).toBe(`tether listening on http://127.0.0.1:${server.port}`);
    expect(lines[1]).toBe(
      `tether login (valid 12 h, full access): http://127.0.0.1:${server.port}/#token=${server.token}`,
    );
    const [, payload] = server.token!.split('.');
    const claims = JSON.parse(Buffer.from(payload!, 'base64url').toString()) as {
      sub: string;
      exp: number;
      iat: number;
      tether: unknown;
    };
    expect(claims).toMatchObject({ sub: 'local', tether: { sub: ['*'], act: ['*'] } });
    expect(claims.exp - claims.iat).toBe(12 * 3600);

    const anonymous = await openClient(server.wsUrl);
    anonymous.send({ type: 'hello' });
    expect(await anonymous.take()).toMatchObject({ type: 'error', code: 'unauthorized' });
    expect((await anonymous.closed).code).toBe(4401);
    expect((await fetch(`${server.httpUrl}/api/poll?topic=host.load`)).status).toBe(401);
    expect(
      (await fetch(`${server.httpUrl}/api/poll?topic=host.load`, { headers: server.authHeaders }))
        .status,
    ).toBe(200);

    // A new secret at every start: the first server's link does not open the second.
    const other = await spawnServer();
    expect(other.token).not.toBe(server.token);
    expect(
      (await fetch(`${other.httpUrl}/api/poll?topic=host.load`, { headers: server.authHeaders }))
        .status,
    ).toBe(401);
  });

  it('keeps the login link valid across restarts with TETHER_JWT_SECRET, and serves everyone with TETHER_AUTH=off', async () => {
    const secret = 'a-test-secret-of-at-least-32-characters';
    const first = await spawnServer({ TETHER_JWT_SECRET: secret });
    const second = await spawnServer({ TETHER_JWT_SECRET: secret });
    expect(
      (await fetch(`${second.httpUrl}/api/poll?topic=host.load`, { headers: first.authHeaders }))
        .status,
    ).toBe(200);

    const open = await spawnServer({ TETHER_AUTH: 'off' });
    expect(open.token).toBeUndefined();
    await vi.waitFor(() =>
      expect(open.output()).toMatch(/TETHER_AUTH=off: anyone who can reach this server/),
    );
    expect((await fetch(`${open.httpUrl}/api/poll?topic=host.load`)).status).toBe(200);
    const client = await openClient(open.wsUrl);
    client.send({ type: 'hello' });
    expect(await client.take()).toMatchObject({ type: 'welcome' });
  });

  it('exits with an explanation on a malformed setting', async () => {
    await expect(spawnServer({ TETHER_SAMPLE_MS: 'fast' })).rejects.toThrow(
      /exited with 2[\s\S]*TETHER_SAMPLE_MS must be a whole number/,
    );
  });
});
