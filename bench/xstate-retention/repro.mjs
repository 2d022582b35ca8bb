// Minimal reproduction: xstate 5 keeps an event alive past its step when a non-`assign` action
// handles it, so V8 promotes whatever the event reaches to the old generation.
//
//   node --expose-gc --trace-gc-nvp bench/xstate-retention/repro.mjs [assign|custom|sendTo|enqueueActions]
//
// Without an argument every variant runs, each in a fresh actor. Not part of the test suite.
import { getHeapSpaceStatistics } from 'node:v8';
import { assign, createActor, enqueueActions, sendTo, setup } from 'xstate';

const FRAMES = 200; // per event: one batch of parsed frames, ~450 bytes each
const EVENTS = 40;

const frame = (seq) => ({
  type: 'patch',
  topic: 'host.cpu',
  epoch: `epoch-${seq % 7}`,
  seq,
  ops: [{ op: 'add', path: '/samples/-', value: { t: seq, total: seq / 3, perCore: [1, 2] } }],
});
const batch = (start) => Array.from({ length: FRAMES }, (_, i) => frame(start + i));

const child = setup({}).createMachine({
  context: { count: 0 },
  on: {
    BATCH: {
      actions: assign({ count: ({ context, event }) => context.count + event.frames.length }),
    },
  },
});

// Every variant counts the frames with `assign`; all but the first also run one other action.
const count = assign({ count: ({ context, event }) => context.count + event.frames.length });
const machine = setup({
  actors: { child },
  actions: {
    count,
    custom: () => undefined,
    forward: sendTo('child', ({ event }) => event),
    enqueued: enqueueActions(({ enqueue }) => enqueue('count')),
  },
}).createMachine({
  context: { count: 0 },
  invoke: { id: 'child', src: 'child' },
  on: {
    assign: { actions: 'count' },
    custom: { actions: ['count', 'custom'] },
    sendTo: { actions: ['count', 'forward'] },
    enqueueActions: { actions: 'enqueued' },
  },
});

const oldSpace = () =>
  getHeapSpaceStatistics().find((space) => space.space_name === 'old_space').space_used_size;

function run(variant) {
  const actor = createActor(machine).start();
  let seq = 0;
  const send = () => actor.send({ type: variant, frames: batch((seq += FRAMES)) });
  for (let i = 0; i < 5; i++) send(); // warm up
  globalThis.gc();
  globalThis.gc();
  const before = oldSpace();
  for (let i = 0; i < EVENTS; i++) {
    send();
    globalThis.gc({ type: 'minor' }); // a scavenge after every event: only what it keeps survives
  }
  const gained = oldSpace() - before;
  actor.stop();
  return gained;
}

if (typeof globalThis.gc !== 'function') {
  console.error('run with --expose-gc (and --trace-gc-nvp to see what each scavenge promotes)');
  process.exit(2);
}
const variants = process.argv[2]
  ? [process.argv[2]]
  : ['assign', 'custom', 'sendTo', 'enqueueActions'];
for (const variant of variants) {
  const gained = run(variant);
  console.log(
    `${variant.padEnd(15)} old generation +${(gained / 1024).toFixed(0).padStart(5)} KB over ${EVENTS * FRAMES} frames in ${EVENTS} events`,
  );
}
