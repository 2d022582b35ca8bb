import { afterEach, beforeAll, afterAll, describe, expect, it, vi } from 'vitest';
import { WebSocket } from 'ws';
import { defineAlertThresholds } from '../../server/sources/alerts-thresholds.ts';
import type { Thresholds } from '../../server/sources/alerts-thresholds.ts';
import { createTetherClient } from '../../src/client/index.ts';
import type { LocalTetherClient, SubscriptionView } from '../../src/client/index.ts';
import { startServer } from '../fixtures/real-server.ts';
import type { StartedServer } from '../fixtures/real-server.ts';

/**
 * The client runtime's side of the per-field merge, against the real server: `send` with a base
 * and fields, and a refusal's conflicts in the outbox view, where a UI reads "theirs".
 */

const TOPIC = 'alerts.thresholds';
let started: StartedServer;
const clients: LocalTetherClient[] = [];
beforeAll(async () => {
  started = await startServer();
  defineAlertThresholds(started.server, {
    version: 1,
    cpuPercent: 90,
    memoryPercent: 90,
    load1: 4,
  });
});
afterEach(() => {
  for (const client of clients.splice(0)) client.stop();
});
afterAll(() => started.close());

async function liveClient() {
  const client = createTetherClient({
    url: started.httpUrl,
    WebSocket,
    fetch: null,
    network: false,
    page: false,
    handover: 'task',
  });
  clients.push(client);
  const hold = client.subscribe(TOPIC);
  await vi.waitFor(() => expect(hold.view.get().status).toBe('live'));
  return { client, view: () => hold.view.get() as SubscriptionView<Thresholds> };
}

const baseOf = (view: SubscriptionView) => ({ epoch: view.epoch!, seq: view.seq! });

describe('client.send with a base and fields', () => {
  it('two clients edit different thresholds from the same base: both applied', async () => {
    const [a, b] = await Promise.all([liveClient(), liveClient()]);
    const base = baseOf(a.view());
    expect(baseOf(b.view())).toEqual(base);
    a.client.send(TOPIC, { set: { load1: 5 } }, { base, fields: ['/load1'] });
    b.client.send(TOPIC, { set: { memoryPercent: 88 } }, { base, fields: ['/memoryPercent'] });
    await vi.waitFor(() => expect(a.view().data).toMatchObject({ load1: 5, memoryPercent: 88 }));
    expect(a.client.outbox.get()).toEqual({ pending: [], refused: [] });
    expect(b.client.outbox.get()).toEqual({ pending: [], refused: [] });
  });

  it('the same threshold: one refusal, whose conflicts name the field and the value that won', async () => {
    const [a, b] = await Promise.all([liveClient(), liveClient()]);
    const base = baseOf(a.view());
    const ids = [
      a.client.send(TOPIC, { set: { cpuPercent: 70 } }, { base, fields: ['/cpuPercent'] }),
      b.client.send(TOPIC, { set: { cpuPercent: 75 } }, { base, fields: ['/cpuPercent'] }),
    ];
    await vi.waitFor(() => {
      expect(a.client.outbox.get().pending).toEqual([]);
      expect(b.client.outbox.get().pending).toEqual([]);
    });
    const refused = [...a.client.outbox.get().refused, ...b.client.outbox.get().refused];
    expect(refused).toHaveLength(1);
    const winner = refused[0]!.id === ids[0] ? 75 : 70;
    expect(refused[0]).toMatchObject({
      code: 'conflict',
      base,
      fields: ['/cpuPercent'],
      payload: { set: { cpuPercent: winner === 75 ? 70 : 75 } },
      conflicts: [{ path: '/cpuPercent', value: winner }],
    });
    await vi.waitFor(() => expect(a.view().data?.cpuPercent).toBe(winner));
  });

  it('refuses a base without fields before anything is queued', async () => {
    const { client, view } = await liveClient();
    expect(() => client.send(TOPIC, { set: { load1: 3 } }, { base: baseOf(view()) })).toThrow(
      /go together/,
    );
    expect(client.outbox.get().pending).toEqual([]);
  });
});
