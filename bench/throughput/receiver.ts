/**
 * One measured receiver of the client-throughput benchmark, in a fresh process (argv = variant,
 * port, topics, frames). The clock runs from "every topic holds its snapshot" to "every topic
 * is at its last seq"; CPU time is this process's user + system time over the same window.
 *   raw      `ws` + JSON.parse and nothing else: the floor
 *   mutate   `ws` + JSON.parse + a sequence check + each patch written into the one document in place
 *            (this stream's two operations only): the least any client that keeps the data does
 *   apply    the same with Tether's immutable applier, one patch at a time: the floor for a client
 *            whose views get a new document per update (what UI bindings need)
 *   fold     what Tether must do without its statecharts: `ws` + its validating decoder + a sequence
 *            check, frames handed over once per I/O phase (like Tether in Node), each topic's
 *            patches of a hand-over folded into one new document with Tether's applier
 *   socketio socket.io-client receiving the same frames as event arguments (socket.io parses them),
 *            applying each topic's patches like `apply`
 *   tether   createTetherClient with the `ws` WebSocket: parse, validate, route, apply patch
 */
import { performance } from 'node:perf_hooks';
import { WebSocket } from 'ws';
import { io } from 'socket.io-client';
import { createTetherClient } from '../../src/client/index.ts';
import { applyPatchImmutably, decodeServerFrame } from '../../src/protocol/index.ts';
import type { PatchOperation } from '../../src/protocol/index.ts';
import { cpuMs, exitWithParent, report } from '../lib/proc.ts';
import { topicName } from '../lib/shapes.ts';

exitWithParent();
const [variant = 'raw', portArg = '0', topicsArg = '1', framesArg = '1000'] = process.argv.slice(2);
const port = Number(portArg);
const topics = Number(topicsArg);
const frames = Number(framesArg);
// The last seq of each topic once all `frames` patches (round-robin) have arrived.
const lastSeq = (i: number) => Math.floor((frames - 1 - i) / topics) + 1;

let started = 0;
let cpuStart: NodeJS.CpuUsage | undefined;
let pending = topics;
const begin = () => {
  started = performance.now();
  cpuStart = process.cpuUsage();
};
const finish = (extra: Record<string, unknown> = {}) => {
  const wallMs = performance.now() - started;
  const cpu = cpuMs(cpuStart);
  report({ variant, topics, frames, wallMs, cpuMs: cpu, ...extra });
  setTimeout(() => process.exit(0), 50);
};

/** For raw and socket.io: snapshots first (one per topic), then patches. */
type Plain = { type: string; topic: string; seq: number };
function plainReceiver(): (frame: Plain) => void {
  let snapshots = 0;
  const done = new Array<boolean>(topics).fill(false);
  return (frame) => {
    if (frame.type === 'snapshot') {
      if (++snapshots === topics) begin();
      return;
    }
    const index = Number(frame.topic.slice(7));
    if (!done[index] && frame.seq === lastSeq(index)) {
      done[index] = true;
      if (--pending === 0) finish();
    }
  };
}

/** Keeps each topic's document: a sequence check and Tether's immutable applier, patch by patch. */
type Applicable = Plain & { data?: unknown; ops?: PatchOperation[] };
function documentKeeper(receiver: string): (frame: Applicable) => void {
  const onFrame = plainReceiver();
  const held = new Map<string, { seq: number; data: unknown }>();
  return (frame) => {
    if (frame.type === 'snapshot') held.set(frame.topic, { seq: frame.seq, data: frame.data });
    else {
      const doc = held.get(frame.topic);
      if (!doc || frame.seq !== doc.seq + 1)
        throw new Error(`${receiver} receiver: ${frame.topic} out of sequence at ${frame.seq}`);
      const outcome = applyPatchImmutably(doc.data, frame.ops!);
      if (!outcome.ok) throw new Error(`${receiver} receiver: ${outcome.error}`);
      held.set(frame.topic, { seq: frame.seq, data: outcome.doc });
    }
    onFrame(frame);
  };
}

/** A sequence check, then this stream's two operations written into `doc.samples` in place. */
function writeInPlace(
  receiver: string,
  doc: { seq: number; samples: unknown[] } | undefined,
  frame: Applicable,
): void {
  if (!doc || frame.seq !== doc.seq + 1)
    throw new Error(`${receiver} receiver: ${frame.topic} out of sequence at ${frame.seq}`);
  for (const op of frame.ops!) {
    if (op.op === 'add') doc.samples.push(op.value);
    else if (op.op === 'remove') doc.samples.shift();
    else throw new Error(`${receiver} receiver: unexpected ${op.op}`);
  }
  doc.seq = frame.seq;
}

function rawSocket(onText: (text: string) => void): void {
  const ws = new WebSocket(`ws://127.0.0.1:${port}/`, { perMessageDeflate: false });
  ws.on('open', () => ws.send(JSON.stringify({ type: 'go' })));
  ws.on('message', (data) => onText(String(data)));
}

if (variant === 'raw') {
  const onFrame = plainReceiver();
  rawSocket((text) => onFrame(JSON.parse(text) as Plain));
} else if (variant === 'mutate') {
  const onFrame = plainReceiver();
  const held = new Map<string, { seq: number; samples: unknown[] }>();
  rawSocket((text) => {
    const frame = JSON.parse(text) as Applicable;
    if (frame.type === 'snapshot') {
      const { samples } = frame.data as { samples: unknown[] };
      held.set(frame.topic, { seq: frame.seq, samples });
    } else {
      writeInPlace('mutate', held.get(frame.topic), frame);
    }
    onFrame(frame);
  });
} else if (variant === 'apply') {
  const keep = documentKeeper('apply');
  rawSocket((text) => keep(JSON.parse(text) as Applicable));
} else if (variant === 'fold') {
  const onFrame = plainReceiver();
  const held = new Map<string, { seq: number; data: unknown }>();
  let batch = new Map<string, Applicable[]>();
  const handOver = () => {
    const topicsNow = batch;
    batch = new Map();
    for (const [topic, list] of topicsNow) {
      const doc = held.get(topic)!;
      const ops: PatchOperation[] = [];
      let seq = doc.seq;
      for (const frame of list) {
        if (frame.seq !== ++seq)
          throw new Error(`fold receiver: ${topic} out of sequence at ${frame.seq}`);
        for (const op of frame.ops!) ops.push(op);
      }
      const outcome = applyPatchImmutably(doc.data, ops);
      if (!outcome.ok) throw new Error(`fold receiver: ${outcome.error}`);
      held.set(topic, { seq, data: outcome.doc });
      for (const frame of list) onFrame(frame);
    }
  };
  rawSocket((text) => {
    const decoded = decodeServerFrame(text);
    if (!decoded.ok) throw new Error(`fold receiver: ${decoded.message}`);
    const frame = decoded.frame as Applicable;
    if (frame.type === 'snapshot') {
      held.set(frame.topic, { seq: frame.seq, data: frame.data });
      onFrame(frame);
      return;
    }
    if (batch.size === 0) setImmediate(handOver);
    const list = batch.get(frame.topic);
    if (list) list.push(frame);
    else batch.set(frame.topic, [frame]);
  });
} else if (variant === 'eager') {
  // Like `fold`, but each frame is written at once into a copy made on the topic's first frame
  // of the hand-over (frames die young); this stream's two operations only.
  const onFrame = plainReceiver();
  const held = new Map<string, { seq: number; samples: unknown[]; owned: boolean }>();
  const owned: Array<{ owned: boolean }> = [];
  const handOver = () => {
    for (const doc of owned) doc.owned = false;
    owned.length = 0;
  };
  rawSocket((text) => {
    const decoded = decodeServerFrame(text);
    if (!decoded.ok) throw new Error(`eager receiver: ${decoded.message}`);
    const frame = decoded.frame as Applicable;
    if (frame.type === 'snapshot') {
      const { samples } = frame.data as { samples: unknown[] };
      held.set(frame.topic, { seq: frame.seq, samples, owned: false });
    } else {
      const doc = held.get(frame.topic);
      if (doc && !doc.owned) {
        if (owned.length === 0) setImmediate(handOver);
        doc.samples = doc.samples.slice();
        doc.owned = true;
        owned.push(doc);
      }
      writeInPlace('eager', doc, frame);
    }
    onFrame(frame);
  });
} else if (variant === 'socketio') {
  // socket.io has already parsed the frame; above the socket, the same work as `apply`.
  const keep = documentKeeper('socketio');
  const socket = io(`http://127.0.0.1:${port}`, { transports: ['websocket'], reconnection: false });
  socket.on('connect', () => socket.emit('go'));
  socket.on('frame', keep);
} else {
  const client = createTetherClient({
    url: `http://127.0.0.1:${port}`,
    WebSocket,
    fetch: null,
    network: false,
  });
  // Connection steps while measuring, i.e. hand-overs (every batch of frames is one step, and
  // nothing else happens meanwhile): how many frames each brought explains the CPU per frame,
  // since each topic of a hand-over costs one subscription step.
  let steps = 0;
  client.actor.subscribe(() => {
    if (cpuStart) steps++;
  });
  let live = 0;
  for (let i = 0; i < topics; i++) {
    const { view } = client.subscribe(topicName(i));
    const target = lastSeq(i);
    let seen = false;
    let done = false;
    // What a UI binding does: follow the subscription's view, read its position.
    view.subscribe(() => {
      const { seq, data } = view.get();
      if (!seen && seq !== null) {
        seen = true;
        if (++live === topics) begin();
      }
      if (!done && seq === target) {
        done = true;
        if (--pending === 0) {
          client.stop();
          finish({ dataLength: (data as { samples: unknown[] }).samples.length, handovers: steps });
        }
      }
    });
  }
}
