import fc from 'fast-check';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import { WebSocket, WebSocketServer } from 'ws';
import { connectionView, createTetherClient, subscriptionView } from '../../src/client/index.ts';
import type { LocalTetherClient } from '../../src/client/index.ts';
import { applyPatchImmutably } from '../../src/protocol/index.ts';
import type { PatchOperation } from '../../src/protocol/index.ts';
import { SEED, SOAK, scaled } from './budget.ts';
import { Audit, FAST } from './client-harness.ts';

/**
 * Bad server frames (issue 6): a raw `ws` server that speaks the protocol honestly for topic `z`
 * (welcome, pong, snapshot or history on subscribe) and, as fast-check tells it, slips bad frames
 * into the stream: malformed JSON, wrong types, unknown frame types and topics, binary frames,
 * patches that cannot apply at the next seq, patches with a gap, stale repeats, patches from a
 * foreign epoch. The real client must never crash and never show a view the server did not have
 * (every shown (epoch, seq, data) equals the honest state at that position), and after each run it
 * must converge to the honest state.
 */

const TOPIC = 'z';
const EPOCH = 'E-honest';
type State = { n: number; list: number[] };

/** The honest topic: states and patches by seq. */
const truth = new Map<number, string>();
const patches: { seq: number; ops: PatchOperation[] }[] = [];
let seq = 0;
let state: State = { n: 0, list: [] };
truth.set(0, JSON.stringify(state));

let wss: WebSocketServer;
let client: LocalTetherClient;
let audit: Audit;
const subscribed = new Set<WebSocket>();
/** Sent right after the next answer to a subscribe, in the same write burst (for the regression below). */
let afterAnswer: (() => void) | null = null;
let stuck = 0;
const tally: Record<string, number> = {};

const send = (text: string | Buffer) => {
  if (process.env.DEBUG_FUZZ) console.log('->', String(text).slice(0, 160));
  for (const ws of subscribed) if (ws.readyState === ws.OPEN) ws.send(text);
};
const frame = (f: unknown) => JSON.stringify(f);
const patchFrame = (s: number, ops: unknown, extra: Record<string, unknown> = {}) =>
  frame({ type: 'patch', topic: TOPIC, epoch: EPOCH, seq: s, ops, ...extra });

function advance(): void {
  const ops: PatchOperation[] = [
    { op: 'replace', path: '/n', value: seq + 1 },
    { op: 'add', path: '/list/-', value: seq + 1 },
  ];
  if (state.list.length >= 3) ops.push({ op: 'remove', path: '/list/0' });
  const result = applyPatchImmutably(state, ops);
  if (!result.ok) throw new Error(result.error);
  state = result.doc;
  seq++;
  truth.set(seq, JSON.stringify(state));
  patches.push({ seq, ops });
  send(patchFrame(seq, ops));
}

const snapshotFrame = () =>
  frame({ type: 'snapshot', topic: TOPIC, epoch: EPOCH, seq, data: state });

/** Bad frames, each built so that it cannot be mistaken for an honest state. */
const bad: Record<string, fc.Arbitrary<() => string | Buffer>> = {
  malformed: fc.string({ maxLength: 40 }).map((s) => () => `{"type":"patch",${s}`),
  truncated: fc
    .integer({ min: 1, max: 30 })
    .map((k) => () => patchFrame(seq + 1, [{ op: 'replace', path: '/n', value: -1 }]).slice(0, k)),
  notObject: fc.constantFrom('null', '42', '"patch"', '[]', 'true').map((s) => () => s),
  unknownType: fc.constant(() => frame({ type: 'bogus', topic: TOPIC })),
  wrongSeqType: fc
    .constantFrom<unknown>('1', null, -1, 1.5, {})
    .map((s) => () => patchFrame(s as number, [{ op: 'replace', path: '/n', value: -1 }])),
  wrongOpsType: fc
    .constantFrom<unknown>('ops', null, {}, [1], [{ op: 'bogus', path: '/n' }], [{ op: 'replace' }])
    .map((ops) => () => patchFrame(seq + 1, ops)),
  wrongTopicType: fc
    .constantFrom<unknown>(1, null, ['z'])
    .map(
      (topic) => () => patchFrame(seq + 1, [{ op: 'replace', path: '/n', value: -1 }], { topic }),
    ),
  notApplicable: fc.constant(() =>
    patchFrame(seq + 1, [
      { op: 'test', path: '/n', value: -1 },
      { op: 'replace', path: '/n', value: -2 },
    ]),
  ),
  removeMissing: fc.constant(() => patchFrame(seq + 1, [{ op: 'remove', path: '/missing/deep' }])),
  gap: fc
    .integer({ min: 2, max: 50 })
    .map((k) => () => patchFrame(seq + k, [{ op: 'replace', path: '/n', value: -3 }])),
  staleRepeat: fc.constant(() =>
    patches.length
      ? patchFrame(patches.at(-1)!.seq, patches.at(-1)!.ops)
      : frame({ type: 'bogus' }),
  ),
  foreignEpoch: fc.constant(() =>
    patchFrame(seq + 1, [{ op: 'replace', path: '/n', value: -4 }], { epoch: 'E-foreign' }),
  ),
  unknownTopic: fc.constant(() =>
    frame({ type: 'snapshot', topic: 'nope', epoch: EPOCH, seq: 1, data: { n: -5 } }),
  ),
  errorFrame: fc
    .constantFrom('bad_frame', 'internal', 'mystery')
    .map((code) => () => frame({ type: 'error', code, message: 'fuzz' })),
  strayAck: fc.constant(() => frame({ type: 'ack', id: 'never-sent' })),
  binary: fc.uint8Array({ maxLength: 20 }).map((bytes) => () => Buffer.from(bytes)),
};
type Event = { kind: 'good' } | { kind: 'bad'; name: string; make: () => string | Buffer };
const event: fc.Arbitrary<Event> = fc.oneof(
  { weight: 3, arbitrary: fc.constant({ kind: 'good' as const }) },
  {
    weight: 4,
    arbitrary: fc.oneof(
      ...Object.entries(bad).map(([name, arb]) =>
        arb.map((make) => ({ kind: 'bad' as const, name, make })),
      ),
    ),
  },
);

beforeAll(async () => {
  wss = new WebSocketServer({ host: '127.0.0.1', port: 0, path: '/ws' });
  await new Promise<void>((resolve) => wss.once('listening', () => resolve()));
  wss.on('connection', (ws) => {
    ws.on('error', () => undefined);
    ws.on('close', () => subscribed.delete(ws));
    ws.on('message', (data) => {
      if (process.env.DEBUG_FUZZ) console.log('<-', String(data), 'at', seq);
      const f = JSON.parse(String(data)) as {
        type: string;
        t?: number;
        topic?: string;
        since?: { epoch: string; seq: number };
      };
      if (f.type === 'hello') ws.send(frame({ type: 'welcome', heartbeatMs: 25_000 }));
      else if (f.type === 'ping') ws.send(frame({ type: 'pong', t: f.t }));
      else if (f.type === 'subscribe' && f.topic === TOPIC) {
        subscribed.add(ws);
        const since = f.since;
        const socket = (ws as unknown as { _socket: import('node:net').Socket })._socket;
        socket.cork(); // the answer and whatever follows it leave in one TCP write: one client batch
        process.nextTick(() => socket.uncork());
        if (since && since.epoch === EPOCH && since.seq < seq && since.seq >= 0) {
          for (const p of patches.filter((p) => p.seq > since.seq))
            ws.send(patchFrame(p.seq, p.ops));
        } else {
          if (process.env.DEBUG_FUZZ) console.log('-> snapshot', seq);
          ws.send(snapshotFrame());
        }
        const then = afterAnswer;
        afterAnswer = null;
        then?.();
      } else if (f.type === 'subscribe')
        ws.send(frame({ type: 'error', code: 'unknown_topic', message: 'no', topic: f.topic }));
    });
  });
  const { port } = wss.address() as AddressInfo;
  client = createTetherClient({
    url: `http://127.0.0.1:${port}`,
    WebSocket,
    network: false,
    fetch: null,
    polling: false,
    ...FAST,
  });
  audit = new Audit(
    client.subscribe(TOPIC).ref,
    (topic, epoch, s) =>
      topic === TOPIC && epoch === EPOCH
        ? (truth.get(s) ?? `never had seq ${s}`)
        : `never had epoch ${epoch}`,
    true,
  );
});
afterAll(async () => {
  client?.stop();
  for (const ws of wss.clients) ws.terminate();
  await new Promise<void>((resolve) => wss.close(() => resolve()));
});

it(
  `bad server frames are skipped or resynced: never a crash, never a wrong view (seed ${SEED})`,
  async () => {
    let runs = 0;
    let frames = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(event, { minLength: 1, maxLength: 20 }), async (events) => {
        runs++;
        for (const e of events) {
          if (e.kind === 'good') advance();
          else {
            tally[e.name] = (tally[e.name] ?? 0) + 1;
            frames++;
            send(e.make());
          }
          if (Math.random() < 0.3) await new Promise((resolve) => setTimeout(resolve, 1));
        }
        advance();
        const converged = () =>
          vi.waitFor(
            () => {
              expect(client.actor.getSnapshot().status).toBe('active');
              expect(audit.view).toMatchObject({ status: 'live', epoch: EPOCH, seq });
            },
            { timeout: 3_000, interval: 5 },
          );
        try {
          await converged();
        } catch (error) {
          // Known client bug (see 'a break right after the answer to a resync' below): stuck in
          // `resyncing`. Counted and printed; a new connection gets it going again, then the checks go on.
          if (audit.view.status !== 'resyncing') throw error;
          stuck++;
          for (const ws of wss.clients) ws.terminate();
          advance();
          await converged();
        }
        expect(JSON.stringify(audit.view.data)).toBe(truth.get(seq));
        expect(audit.problems).toEqual([]);
      }),
      { seed: SEED, numRuns: scaled(150), endOnFailure: true },
    );
    const status = connectionView(client.actor.getSnapshot()).status;
    console.log(
      `[faults] client fuzz (seed ${SEED}): ${runs} runs, ${frames} bad frames ${JSON.stringify(tally)}, honest patches ${seq}, stuck in resyncing ${stuck}, applied ${audit.applied.length}, views checked ${audit.views}, snapshots re-based ${audit.jumps} (at the same seq after a failed patch ${audit.rebased}), duplicated ${audit.duplicated}, reordered ${audit.reordered}, wrong ${audit.wrong}, connections ${wss.clients.size} open, client ${status}, sub ${subscriptionView(audit.ref.getSnapshot()).status}`,
    );
    expect({
      duplicated: audit.duplicated,
      reordered: audit.reordered,
      wrong: audit.wrong,
    }).toEqual({ duplicated: 0, reordered: 0, wrong: 0 });
  },
  60_000 * SOAK,
);

// Found by the fuzz above (seed 1768025731, run 119). The subscription machine's `resyncing` state
// asks the server again only when a break comes from a batch that made progress or from a patch
// that failed (`mustAskAgain`): breaks "caused by frames still in flight from before" the resync are
// ignored, on the assumption that the answer is still to come. But when the answer (here a snapshot
// restating our seq) and a later bad frame (a patch from a foreign epoch) arrive in the same batch,
// the answer is consumed, the batch ends broken without progress, and the break is ignored: the
// subscription stays `resyncing` for good. Every later patch is a gap against the held seq, also
// without progress, so it never asks again; only a new connection gets it out.
// Fix (machines/subscription.ts + sequence.ts): let foldFrames report that the batch contained the
// answer (a snapshot, or a patch applied, before the problem) and treat that like `progressed` in
// mustAskAgain; or give `resyncing` a timeout after which it asks again.
it('regression: a break right after the answer to a resync in the same batch does not leave the subscription resyncing for good', async () => {
  await vi.waitFor(() => expect(audit.view).toMatchObject({ status: 'live', seq }), {
    timeout: 3_000,
  });
  afterAnswer = () => {
    // Right behind the answer, in the same batch: a foreign-epoch patch, then the next honest patch.
    send(patchFrame(seq + 1, [{ op: 'replace', path: '/n', value: -4 }], { epoch: 'E-foreign' }));
    advance();
  };
  send(patchFrame(seq + 7, [{ op: 'replace', path: '/n', value: -3 }])); // a gap: resync since seq
  await vi.waitFor(() => expect(afterAnswer).toBeNull(), { timeout: 3_000 });
  for (let i = 0; i < 5; i++) {
    await new Promise((resolve) => setTimeout(resolve, 50));
    advance();
  }
  await vi.waitFor(() => expect(audit.view).toMatchObject({ status: 'live', epoch: EPOCH, seq }), {
    timeout: 2_000,
  });
  expect(JSON.stringify(audit.view.data)).toBe(truth.get(seq));
});
