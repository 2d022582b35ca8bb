import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { applyThresholdsAction } from '../../server/sources/alerts-thresholds.ts';
import type { Thresholds } from '../../server/sources/alerts-thresholds.ts';
import { memberField } from '../../src/protocol/index.ts';
import type {
  AckFrame,
  NackFrame,
  PatchFrame,
  Position,
  ServerFrame,
} from '../../src/protocol/index.ts';
import { startServer } from '../fixtures/real-server.ts';
import { redisAvailability, startRedis } from '../fixtures/redis.ts';
import type { StartedServer } from '../fixtures/real-server.ts';

/**
 * The per-field merge against the real server, over real sockets: each peer subscribes to a
 * thresholds-like topic and sends actions made against the position it holds when it sends.
 */

type Field = 'cpuPercent' | 'memoryPercent' | 'load1';
const FIELDS: readonly Field[] = ['cpuPercent', 'memoryPercent', 'load1'];
// Outside the values the schedules set (1 to 50.75): an accepted edit always changes what it names,
// so its patch carries the value that identifies it.
const initial = (): Thresholds => ({ version: 1, cpuPercent: 90, memoryPercent: 90, load1: 60 });

const redisCheck = redisAvailability();
let started: StartedServer;
let topics = 0;
let actionCount = 0;
beforeAll(async () => {
  started = await startServer();
});
afterAll(() => started.close());

/** A writable topic of its own per test, with the thresholds' handler. */
function newTopic(): string {
  const name = `thresholds.${++topics}`;
  started.server.defineTopic<Thresholds>(name, {
    initial: initial(),
    writable: true,
    onAction: (payload, { state, base }) => applyThresholdsAction(payload, state, base),
  });
  return name;
}

/** One WebSocket subscribed to a topic: its position, the patches it saw, the answers it got. */
class Peer {
  position: Position = { epoch: '', seq: -1 };
  state: Thresholds | undefined;
  readonly patches: PatchFrame[] = [];
  readonly replies = new Map<string, AckFrame | NackFrame>();
  readonly #waiters: (() => void)[] = [];

  private constructor(
    readonly ws: WebSocket,
    readonly topic: string,
    readonly name: string,
  ) {
    ws.on('message', (data: Buffer) => {
      const frame = JSON.parse(data.toString()) as ServerFrame;
      if (frame.type === 'snapshot') {
        this.position = { epoch: frame.epoch, seq: frame.seq };
        this.state = frame.data as Thresholds;
      } else if (frame.type === 'patch') {
        this.position = { epoch: frame.epoch, seq: frame.seq };
        this.patches.push(frame);
      } else if (frame.type === 'ack' || frame.type === 'nack') {
        expect(this.replies.has(frame.id), `${frame.id} answered twice`).toBe(false);
        this.replies.set(frame.id, frame);
      }
      for (const wake of this.#waiters.splice(0)) wake();
    });
  }

  static async open(topic: string, name: string, wsUrl = started.wsUrl): Promise<Peer> {
    const ws = new WebSocket(wsUrl);
    await new Promise((resolve, reject) => {
      ws.once('open', resolve);
      ws.once('error', reject);
    });
    const peer = new Peer(ws, topic, name);
    ws.send(JSON.stringify({ type: 'subscribe', topic }));
    await peer.until(() => peer.position.seq >= 0);
    return peer;
  }

  until(done: () => boolean): Promise<void> {
    return new Promise((resolve) => {
      const check = () => (done() ? resolve() : this.#waiters.push(check));
      check();
    });
  }

  /** Sends `set` against the position held now; returns the action's id. */
  edit(set: Partial<Record<Field, number>>): { id: string; base: Position } {
    // Unique across tests too: the server answers a repeated id with its first answer.
    const id = `${this.topic}-${this.name}-${++actionCount}`;
    const base = { ...this.position };
    this.ws.send(
      JSON.stringify({
        type: 'action',
        id,
        topic: this.topic,
        payload: { set },
        base,
        fields: Object.keys(set).map(memberField),
      }),
    );
    return { id, base };
  }

  reply(id: string): Promise<AckFrame | NackFrame> {
    return this.until(() => this.replies.has(id)).then(() => this.replies.get(id)!);
  }

  close() {
    this.ws.close();
  }
}

type Step = { peer: number; fields: Field[]; before: 'now' | 'yield' | 'settle' };
/** A schedule of edits over `peers`: who edits which fields, and what it waits for first. */
const schedule = (peers: number, length: number) =>
  fc.array(
    fc.record({
      peer: fc.integer({ min: 0, max: peers - 1 }),
      fields: fc.subarray([...FIELDS], { minLength: 1 }),
      /** Before sending: go at once, yield to the network a little, or catch up with every answer of its own. */
      before: fc.constantFrom('now' as const, 'yield' as const, 'settle' as const),
    }),
    { minLength: length, maxLength: length },
  );

/**
 * Runs `steps` concurrently (each peer sends its edits in order, against the position it holds
 * then) and checks the outcome: every edit answered to its sender only; the patches are the
 * accepted edits, each applied only if none of its fields changed since its base, and their serial
 * application is the server's state; every refusal names exactly the fields changed since its
 * base, with values they held at one moment after it.
 */
async function runSchedule(peers: Peer[], steps: Step[], serverState: () => unknown) {
  // Each edit sets a value no other edit sets (all in every field's range), so a patch names its edit.
  const sent: { peer: number; id: string; base: Position; set: Record<string, number> }[] = [];
  await Promise.all(
    peers.map(async (peer, index) => {
      for (const [order, step] of steps.entries()) {
        if (step.peer !== index) continue;
        if (step.before === 'yield') await new Promise((resolve) => setImmediate(resolve));
        if (step.before === 'settle')
          await peer.until(() => sent.every((s) => s.peer !== index || peer.replies.has(s.id)));
        const set = Object.fromEntries(step.fields.map((f) => [f, 1 + order * 0.25]));
        sent.push({ peer: index, ...peer.edit(set), set });
      }
    }),
  );
  const replies = await Promise.all(sent.map((s) => peers[s.peer]!.reply(s.id)));
  const accepted = sent.filter((_, i) => replies[i]!.type === 'ack');
  // The schedule makes both outcomes common (about a quarter are accepted).
  expect(accepted.length).toBeGreaterThan(0);
  expect(accepted.length).toBeLessThan(sent.length);
  const observer = peers[0]!;
  await observer.until(() => observer.position.seq === accepted.length);

  // Every edit was answered to its sender, and to nobody else.
  for (const [index, peer] of peers.entries())
    expect([...peer.replies.keys()].sort()).toEqual(
      sent
        .filter((s) => s.peer === index)
        .map((s) => s.id)
        .sort(),
    );
  // Each accepted edit is exactly one patch; a serial application of them gives the final state.
  let state: Record<string, number> = initial() as unknown as Record<string, number>;
  const states = [state];
  const touched: string[][] = [[]];
  for (const patch of observer.patches) {
    const values = patch.ops.filter((op) => op.op === 'replace' && op.path !== '/version');
    const [first] = values;
    const match = accepted.filter(
      (s) => first?.op === 'replace' && Object.values(s.set).includes(first.value as number),
    );
    expect(match, `patch ${patch.seq}`).toHaveLength(1);
    const { set, base } = match[0]!;
    // Applied only if none of its fields changed between its base and its application.
    for (let seq = base.seq + 1; seq < patch.seq; seq++)
      for (const field of Object.keys(set))
        expect(touched[seq], `${field} at ${seq}`).not.toContain(field);
    state = { ...state, ...set, version: state.version! + 1 };
    states.push(state);
    touched.push(Object.keys(set));
  }
  expect(observer.patches).toHaveLength(accepted.length);
  expect(serverState()).toEqual(state);
  // Each refusal names the fields that changed since its base, with values they held then.
  for (const [i, s] of sent.entries()) {
    const reply = replies[i]!;
    if (reply.type === 'ack') continue;
    expect(reply.code).toBe('conflict');
    const decidedAt = states.findIndex(
      (_, seq) =>
        seq > s.base.seq &&
        reply.conflicts!.every((c) => states[seq]![c.path.slice(1)] === c.value) &&
        Object.keys(s.set).every(
          (field) =>
            reply.conflicts!.some((c) => c.path === `/${field}`) ===
            touched.slice(s.base.seq + 1, seq + 1).some((t) => t.includes(field)),
        ),
    );
    expect(decidedAt, `${s.id}: ${JSON.stringify(reply)}`).toBeGreaterThan(s.base.seq);
  }
}

describe('per-field merge on the real server', () => {
  it('applies two edits of different fields made from the same base', async () => {
    const topic = newTopic();
    const [a, b] = await Promise.all([Peer.open(topic, 'a'), Peer.open(topic, 'b')]);
    const fromA = a.edit({ load1: 5 });
    const fromB = b.edit({ memoryPercent: 88 });
    expect(fromA.base).toEqual(fromB.base);
    expect(await a.reply(fromA.id)).toMatchObject({ type: 'ack' });
    expect(await b.reply(fromB.id)).toMatchObject({ type: 'ack' });
    await a.until(() => a.position.seq === 2);
    const state = started.server.hub.topic(topic)?.state;
    expect(state).toEqual({ version: 3, cpuPercent: 90, memoryPercent: 88, load1: 5 });
    a.close();
    b.close();
  });

  it('refuses exactly one of two edits of the same field, naming it and its current value', async () => {
    const topic = newTopic();
    const [a, b] = await Promise.all([Peer.open(topic, 'a'), Peer.open(topic, 'b')]);
    const sent = [a.edit({ cpuPercent: 70 }), b.edit({ cpuPercent: 75 })];
    const replies = await Promise.all([a.reply(sent[0]!.id), b.reply(sent[1]!.id)]);
    const acked = replies.filter((reply) => reply.type === 'ack');
    const refused = replies.filter((reply) => reply.type === 'nack');
    expect(acked).toHaveLength(1);
    expect(refused).toHaveLength(1);
    const winner = replies[0].type === 'ack' ? 70 : 75;
    expect(refused[0]).toMatchObject({
      code: 'conflict',
      conflicts: [{ path: '/cpuPercent', value: winner }],
    });
    expect(refused[0]!.message).toMatch(/\/cpuPercent changed since seq 0/);
    expect(started.server.hub.topic(topic)?.state).toMatchObject({ cpuPercent: winner });
    a.close();
    b.close();
  });

  it('answers a conflict over HTTP with the same details', async () => {
    const topic = newTopic();
    const post = (id: string, cpuPercent: number) =>
      fetch(`${started.httpUrl}/api/actions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          type: 'action',
          id: `${topic}-${id}`,
          topic,
          payload: { set: { cpuPercent } },
          base: { epoch: started.server.hub.topic(topic)!.epoch, seq: 0 },
          fields: ['/cpuPercent'],
        }),
      }).then((response) => response.json());
    expect(await post('first', 60)).toMatchObject({ type: 'ack' });
    expect(await post('second', 65)).toMatchObject({
      type: 'nack',
      code: 'conflict',
      conflicts: [{ path: '/cpuPercent', value: 60 }],
    });
  });

  it('200 concurrent edits from 5 clients: the result is the accepted edits applied in order, every refusal told to its sender', async () => {
    await fc.assert(
      fc.asyncProperty(schedule(5, 200), async (steps) => {
        const topic = newTopic();
        const peers = await Promise.all([0, 1, 2, 3, 4].map((i) => Peer.open(topic, `p${i}`)));
        await runSchedule(peers, steps, () => started.server.hub.topic(topic)?.state);
        for (const peer of peers) peer.close();
      }),
      // No shrinking: a 200-edit schedule is read from the failure message, not minimised.
      { numRuns: 3, endOnFailure: true },
    );
  }, 60_000);

  it.skipIf(!redisCheck.available)(
    'on two nodes sharing Redis, 100 concurrent edits from 4 clients on either node obey the same rules',
    async () => {
      const redis = await startRedis();
      const nodes: StartedServer[] = [];
      try {
        for (let i = 0; i < 2; i++) {
          const node = await startServer({ redisUrl: redis.url, redis: { keyPrefix: 'merge:' } });
          nodes.push(node);
          node.server.defineTopic<Thresholds>('thresholds.shared', {
            initial: initial(),
            writable: true,
            onAction: (payload, { state, base }) => applyThresholdsAction(payload, state, base),
          });
          await node.server.ready();
        }
        await fc.assert(
          fc.asyncProperty(schedule(4, 100), async (steps) => {
            const peers = await Promise.all(
              [0, 1, 2, 3].map((i) => Peer.open('thresholds.shared', `n${i}`, nodes[i % 2]!.wsUrl)),
            );
            await runSchedule(
              peers,
              steps,
              () => nodes[0]!.server.hub.topic('thresholds.shared')?.state,
            );
            for (const peer of peers) peer.close();
          }),
          { numRuns: 1, endOnFailure: true },
        );
      } finally {
        await Promise.all(nodes.map((node) => node.close()));
        await redis.close();
      }
    },
    60_000,
  );
});
