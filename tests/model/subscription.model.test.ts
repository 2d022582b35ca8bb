import { describe, expect, it } from 'vitest';
import type { AnyActorRef, AnyMachineSnapshot, EventObject, InspectionEvent } from 'xstate';
import { appliedPositions, foldFrames } from '../../machines/sequence.ts';
import type { TopicPosition } from '../../machines/sequence.ts';
import { createSubscriptionMachine } from '../../machines/subscription.ts';
import type { SubscriptionEvent } from '../../machines/subscription.ts';
import type { Position, TopicFrame } from '../../machines/wire.ts';
import { subscriptionView } from '../../src/client/views.ts';
import { applyPatchImmutably } from '../../src/protocol/index.ts';
import type { PatchFrame, SnapshotFrame } from '../../src/protocol/index.ts';
import { activeStates, coverageLine, explore, inventory, transitionKey } from './graph.ts';
import type { ExecutedAction } from './graph.ts';
import { underRecordingParent } from './harness.ts';

/**
 * Model-based test of the subscription: @xstate/graph generates paths through the statechart;
 * each is replayed against a real subscription actor (under a parent, as the connection runs it)
 * and after every step the state, the view a UI would render, the frames sent and the positions
 * the step applied must be what the model predicts.
 */

const subscriptionMachine = createSubscriptionMachine({ now: () => 1_000 });

const snapshot = (seq: number, data: unknown, epoch = 'A'): SnapshotFrame => ({
  type: 'snapshot',
  topic: 't',
  epoch,
  seq,
  data,
});
const patch = (seq: number, value: number, epoch = 'A'): PatchFrame => ({
  type: 'patch',
  topic: 't',
  epoch,
  seq,
  ops: [{ op: 'replace', path: '/v', value }],
});
const refusedPatch = (seq: number): PatchFrame => ({
  type: 'patch',
  topic: 't',
  epoch: 'A',
  seq,
  ops: [{ op: 'test', path: '/v', value: 'never' }],
});

/** Batches that exercise every rule of the sequence fold, from any position. */
const batches: (SnapshotFrame | PatchFrame)[][] = [
  [snapshot(1, { v: 1 })], // a fresh snapshot, or a restatement of seq 1
  [patch(2, 2)], // in sequence after 1
  [patch(3, 3)], // in sequence after 2
  [patch(5, 5)], // a gap
  [refusedPatch(2)], // in sequence after 1, but does not apply
  [patch(2, 2, 'B')], // another epoch
  [snapshot(1, { v: 'b' }, 'B')], // the new epoch's snapshot
  [snapshot(1, { v: 1 }), patch(5, 5)], // progress, then a gap in the same batch
];

/**
 * The batches folded outside the actor, as the frame router hands them over: from the
 * position held, and once from a copy of it (a fold the subscription must refuse). The frames ride
 * along so each step can fold again from the real actor's position when it is replayed.
 */
type Folded = SubscriptionEvent & { type: 'FOLDED'; frames: TopicFrame[]; stale: boolean };
function folded(position: TopicPosition, list: TopicFrame[], stale = false): Folded {
  const from = stale ? { ...position } : position;
  return {
    type: 'FOLDED',
    result: foldFrames(from, list, applyPatchImmutably),
    from,
    frames: list,
    stale,
  };
}
/** A `FOLDED` event folds again from the position held where it is sent; the rest are as listed. */
const resolve = (state: AnyMachineSnapshot, event: EventObject): SubscriptionEvent =>
  event.type === 'FOLDED'
    ? folded(positionOf(state), (event as Folded).frames, (event as Folded).stale)
    : (event as SubscriptionEvent);

const linkUp = (state: AnyMachineSnapshot) => (state.context as { linkUp: boolean }).linkUp;

/** The parent (the connection) only sends frames, refusals and syncs while there is a link. */
function events(state: AnyMachineSnapshot): EventObject[] {
  const always: EventObject[] = [{ type: 'RETRY' }];
  if (!linkUp(state)) return [...always, { type: 'LINK.UP' }];
  return [
    ...always,
    { type: 'LINK.DOWN' },
    { type: 'SYNCED' },
    { type: 'REFUSED', code: 'forbidden', message: 'not for you' } as EventObject,
    ...batches.map((batch) => folded(positionOf(state), batch)),
    // Only a fold moves a position, so a fold from another one needs data to have been folded.
    ...(positionOf(state).data === undefined
      ? []
      : [folded(positionOf(state), [patch(2, 2)], true)]),
  ];
}

const positionOf = (state: AnyMachineSnapshot) =>
  (state.context as { position: TopicPosition }).position;

function serialize(state: AnyMachineSnapshot): string {
  const { position, linkUp: up } = state.context as {
    position: { data: unknown; epoch: string | null; seq: number | null };
    linkUp: boolean;
  };
  return JSON.stringify([state.value, up, position.epoch, position.seq, position.data]);
}

/** Created before the link is up, and while it is (the connection passes `linkUp` at spawn). */
const inputs = [false, true].map((up) => ({ topic: 't', linkUp: up }));

const sentFrames = (actions: ExecutedAction[]) =>
  actions
    .filter((action) => action.type === 'xstate.sendParent' || action.type === 'xstate.sendTo')
    .map((action) => (action.params as { event: { frame: unknown } }).event.frame);

/** The states in which frames are folded (in every other one they are ignored). */
const foldingStates = ['subscribing', 'live', 'resyncing'];

/** What must hold after every step, whatever the path: the spec, independent of the statechart. */
function holdsInvariants(view: ReturnType<typeof subscriptionView>, up: boolean, sent: unknown[]) {
  // The status never claims more than the link allows, and stale data says since when.
  if (view.status === 'live' || view.status === 'subscribing' || view.status === 'resyncing')
    expect(up).toBe(true);
  if (view.status === 'stale')
    expect([up, view.data !== undefined, view.staleSince !== null]).toEqual([false, true, true]);
  if (view.status === 'pending') expect(view.data).toBeUndefined();
  if (view.status === 'error') expect(view.error).not.toBeNull();
  // Live data is a state the server had: it has a position.
  if (view.status === 'live') expect(view.seq).not.toBeNull();
  // A subscribe resumes from exactly what is held, or asks for everything when nothing is.
  for (const frame of sent) {
    expect(frame).toEqual(
      view.epoch !== null && view.seq !== null
        ? { type: 'subscribe', topic: 't', since: { epoch: view.epoch, seq: view.seq } }
        : { type: 'subscribe', topic: 't' },
    );
  }
}

describe('subscription model', () => {
  const models = inputs.map((input) => ({
    input,
    ...explore(subscriptionMachine, { input, events, serialize, resolve }),
  }));
  const reachable = new Set(models.flatMap((model) => [...model.reachable]));
  const all = inventory(subscriptionMachine);
  const covered = { states: new Set<string>(), transitions: new Set<string>() };
  const cases = models.flatMap(({ input, initial, paths }) =>
    paths.map(
      (path) =>
        [
          `${input.linkUp ? 'spawned linked' : 'spawned unlinked'}: ${path.map((step) => step.event.type).join(' → ')}`,
          input,
          initial,
          path,
        ] as const,
    ),
  );

  it.each(cases)('%s', (_name, input, initial, path) => {
    const inspected: string[][] = [];
    const run = underRecordingParent(subscriptionMachine, input, (event: InspectionEvent) => {
      if (event.type === '@xstate.microstep' && (event.actorRef as AnyActorRef).id === 'child')
        inspected.push(event._transitions.map(transitionKey));
    });
    const applied: Position[] = [];
    try {
      expect(run.actor.getSnapshot().value).toEqual(initial.state.value);
      expect(inspected.flat()).toEqual(initial.transitions);
      for (const key of inspected.flat()) covered.transitions.add(key);
      for (const step of path) {
        const framesBefore = run.frames.length;
        inspected.length = 0;
        const before = run.actor.getSnapshot();
        const event = resolve(before, step.event);
        run.actor.send(event);
        const real = run.actor.getSnapshot();
        expect(real.value).toEqual(step.state.value);
        expect(subscriptionView(real)).toEqual(subscriptionView(step.state as typeof real));
        expect(run.frames.slice(framesBefore)).toEqual(sentFrames(step.actions));
        // Only a folded batch applies anything, and it says what.
        const folds = event.type === 'FOLDED' && foldingStates.includes(before.value);
        if (folds) {
          expect(real.context.applied).toEqual(step.state.context.applied);
          applied.push(...appliedPositions(real.context.applied));
        } else expect(real.context.applied).toBe(before.context.applied);
        expect(inspected.flat()).toEqual(step.transitions);
        holdsInvariants(
          subscriptionView(real),
          real.context.linkUp,
          run.frames.slice(framesBefore),
        );
        for (const id of activeStates(real)) covered.states.add(id);
        for (const key of inspected.flat()) covered.transitions.add(key);
      }
      // Over the whole path: never a seq applied twice or out of order within an epoch.
      const positions = applied;
      positions.forEach((position, i) => {
        const previous = positions[i - 1];
        if (previous?.epoch === position.epoch) expect(position.seq).toBeGreaterThan(previous.seq);
      });
    } finally {
      run.stop();
    }
  });

  it('covers every state and every transition of the statechart', () => {
    console.log(coverageLine('subscription model', covered, all, reachable));
    expect(all.states.filter((id) => !covered.states.has(id))).toEqual([]);
    expect(all.transitions.filter((key) => !reachable.has(key))).toEqual([]);
    expect(all.transitions.filter((key) => !covered.transitions.has(key))).toEqual([]);
  });
});
