import { afterEach, describe, expect, it, vi } from 'vitest';
import { WebSocket } from 'ws';
import {
  connectionView,
  createTetherClient,
  outboxView,
  subscriptionView,
} from '../../src/client/index.ts';
import type {
  SubscriptionActorRef,
  LocalTetherClient,
  TetherClientOptions,
} from '../../src/client/index.ts';
import type { Position, SnapshotFrame } from '../../src/protocol/index.ts';
import { killSpawnedServers, spawnServer } from '../fixtures/real-server.ts';
import type { SpawnedServer } from '../fixtures/real-server.ts';
import { onApplied } from '../fixtures/applied.ts';

/**
 * The client against the real server process: a crash (SIGKILL) and restart on the same port
 * mid-stream, and a server that refuses WebSocket altogether. The client gets the real `ws`
 * WebSocket class, as a Node app would.
 */

const TOPICS = ['host.cpu', 'host.memory', 'host.load', 'server.eventloop', 'alerts.thresholds'];
const SAMPLE_MS = '50';
/** Shared by a server and its restarted self, so the login token stays valid across the restart. */
const TETHER_JWT_SECRET = 'client-real-server-test-secret-0123456789';

let client: LocalTetherClient | undefined;
afterEach(async () => {
  client?.stop();
  client = undefined;
  await killSpawnedServers();
});

/** Everything a subscription went through: every position it showed, with its data, and every seq it applied. */
class Recorder {
  readonly shown = new Map<string, unknown>();
  readonly applied: Position[] = [];
  constructor(readonly ref: SubscriptionActorRef) {
    ref.subscribe((snapshot) => {
      const { epoch, seq, data } = subscriptionView(snapshot);
      if (epoch !== null && seq !== null) this.shown.set(`${epoch}:${seq}`, data);
    });
    onApplied(ref, (positions) => this.applied.push(...positions));
  }
  get view() {
    return subscriptionView(this.ref.getSnapshot());
  }
  /** No seq applied twice or out of order: strictly increasing within each epoch, epochs never revisited. */
  expectOrderly() {
    const epochs: string[] = [];
    this.applied.forEach((position, i) => {
      const previous = this.applied[i - 1];
      if (previous?.epoch === position.epoch)
        expect(position.seq, `${this.view.topic} after ${previous.seq}`).toBeGreaterThan(
          previous.seq,
        );
      else {
        expect(epochs, `${this.view.topic} went back to epoch ${position.epoch}`).not.toContain(
          position.epoch,
        );
        epochs.push(position.epoch);
      }
    });
  }
}

async function snapshotFromServer(server: SpawnedServer, topic: string): Promise<SnapshotFrame> {
  const response = await fetch(`${server.httpUrl}/api/poll?topic=${encodeURIComponent(topic)}`, {
    headers: server.authHeaders,
  });
  const { frames } = (await response.json()) as { frames: SnapshotFrame[] };
  expect(frames).toHaveLength(1);
  return frames[0]!;
}

/**
 * The client shows exactly the server's state: a fresh snapshot equals what the client showed at
 * that seq. A batch of patches is shown once, at its last seq, so a snapshot taken between two
 * shown positions is skipped and another one taken.
 */
async function expectSameAsServer(server: SpawnedServer, recorders: Recorder[]) {
  for (const recorder of recorders) {
    let compared = 0;
    for (let tries = 0; tries < 200 && compared < 3; tries++) {
      const snapshot = await snapshotFromServer(server, recorder.view.topic);
      const key = `${snapshot.epoch}:${snapshot.seq}`;
      // The client may not have got there yet: give it the time a poll or a frame takes.
      await vi.waitFor(
        () =>
          expect(recorder.view.epoch === snapshot.epoch && recorder.view.seq! >= snapshot.seq).toBe(
            true,
          ),
        { timeout: 5_000 },
      );
      if (!recorder.shown.has(key)) continue;
      expect(recorder.shown.get(key), `${recorder.view.topic} at ${key}`).toEqual(snapshot.data);
      compared++;
    }
    expect(compared, `${recorder.view.topic}: positions compared with the server`).toBe(3);
  }
}

function connect(url: string, options: TetherClientOptions = {}): LocalTetherClient {
  client = createTetherClient({
    url,
    WebSocket,
    network: false,
    backoff: { baseMs: 50, capMs: 250, maxAttempts: 200 },
    ...options,
  });
  return client;
}

describe('client against the real server', () => {
  it('survives a crash and restart on the same port: every subscription ends equal to the new server, no seq applied twice or out of order', async () => {
    const first = await spawnServer({ TETHER_SAMPLE_MS: SAMPLE_MS, TETHER_JWT_SECRET });
    connect(first.httpUrl, { fetch: null, getToken: () => first.token });
    const recorders = TOPICS.map((topic) => new Recorder(client!.subscribe(topic).ref));
    await vi.waitFor(
      () => expect(recorders.map((r) => r.view.status)).toEqual(TOPICS.map(() => 'live')),
      { timeout: 10_000 },
    );
    await vi.waitFor(() => expect(recorders[0]!.view.seq).toBeGreaterThanOrEqual(5), {
      timeout: 5_000,
    }); // mid-stream
    await expectSameAsServer(first, recorders);
    const oldEpoch = recorders[0]!.view.epoch;

    first.kill('SIGKILL');
    await first.exited;
    await vi.waitFor(
      () => expect(connectionView(client!.actor.getSnapshot()).status).not.toBe('connected'),
      { timeout: 5_000 },
    );
    expect(recorders.map((r) => r.view.status)).toEqual(TOPICS.map(() => 'stale'));

    const second = await spawnServer({
      TETHER_SAMPLE_MS: SAMPLE_MS,
      TETHER_JWT_SECRET,
      PORT: String(first.port),
    });
    expect(second.port).toBe(first.port);
    await vi.waitFor(
      () => {
        expect(connectionView(client!.actor.getSnapshot()).status).toBe('connected');
        for (const recorder of recorders)
          expect(recorder.view).toMatchObject({ status: 'live', staleSince: null });
        for (const recorder of recorders) expect(recorder.view.epoch).not.toBe(oldEpoch);
      },
      { timeout: 15_000 },
    );
    await vi.waitFor(() => expect(recorders[0]!.view.seq).toBeGreaterThanOrEqual(5), {
      timeout: 5_000,
    });

    await expectSameAsServer(second, recorders);
    for (const recorder of recorders) recorder.expectOrderly();
    // The new epoch started from a snapshot, so each topic has exactly two epochs.
    for (const recorder of recorders)
      expect(new Set(recorder.applied.map((p) => p.epoch)).size).toBe(2);
  }, 60_000);

  it('falls back to polling when the server refuses WebSocket, and delivers the same data and actions', async () => {
    const server = await spawnServer({ TETHER_SAMPLE_MS: SAMPLE_MS, TETHER_NO_WEBSOCKET: '1' });
    connect(server.httpUrl, {
      backoff: { baseMs: 50, capMs: 50, maxAttempts: 1 },
      polling: { waitMs: 2_000 },
      token: server.token,
    });
    const recorders = TOPICS.map((topic) => new Recorder(client!.subscribe(topic).ref));
    await vi.waitFor(
      () => {
        expect(connectionView(client!.actor.getSnapshot())).toMatchObject({
          status: 'polling',
          transport: 'polling',
        });
        expect(recorders.map((r) => r.view.status)).toEqual(TOPICS.map(() => 'live'));
      },
      { timeout: 10_000 },
    );
    await vi.waitFor(() => expect(recorders[0]!.view.seq).toBeGreaterThanOrEqual(5), {
      timeout: 10_000,
    });
    await expectSameAsServer(server, recorders);

    // A user action goes out over POST /api/actions and comes back as an ack, then as data.
    const thresholds = recorders[TOPICS.indexOf('alerts.thresholds')]!;
    const { version } = thresholds.view.data as { version: number };
    const id = client!.send('alerts.thresholds', { version, set: { cpuPercent: 42 } });
    const outbox = client!.actor.getSnapshot().children.outbox!;
    await vi.waitFor(() => expect(outboxView(outbox.getSnapshot()).pending).toEqual([]), {
      timeout: 5_000,
    });
    expect(outboxView(outbox.getSnapshot()).refused.map((entry) => entry.id)).not.toContain(id);
    await vi.waitFor(
      () => expect(thresholds.view.data).toMatchObject({ version: version + 1, cpuPercent: 42 }),
      { timeout: 5_000 },
    );

    // A stale version is refused, and the refusal says why.
    const stale = client!.send('alerts.thresholds', { version, set: { cpuPercent: 50 } });
    await vi.waitFor(
      () =>
        expect(outboxView(outbox.getSnapshot()).refused).toMatchObject([
          { id: stale, code: 'conflict' },
        ]),
      { timeout: 5_000 },
    );

    await expectSameAsServer(server, recorders);
    for (const recorder of recorders) recorder.expectOrderly();
  }, 60_000);
});
