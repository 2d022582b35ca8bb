import { getShortestPaths, getStateNodes } from '@xstate/graph';
import { createEmptyActor } from 'xstate';
import type {
  AnyActorScope,
  AnyMachineSnapshot,
  AnyStateMachine,
  AnyTransitionDefinition,
  EventObject,
  InspectionEvent,
} from 'xstate';

/**
 * Path generation for the model-based tests. @xstate/graph walks the machine with pure
 * `transition()` calls; this wraps the machine so every edge it explores also records which
 * transitions fired and which actions ran. The actions are the model's prediction of the
 * observable effects (frames sent, events emitted), checked against the real actor on replay.
 */

export interface ExecutedAction {
  type: string;
  params: unknown;
}

export interface ModelStep {
  event: EventObject;
  /** The model's state after `event`. */
  state: AnyMachineSnapshot;
  transitions: string[];
  actions: ExecutedAction[];
}

export interface Model {
  /** The state the machine starts in, and the transitions that fired on the way there. */
  initial: { state: AnyMachineSnapshot; transitions: string[] };
  /** One path to every distinct (serialized) state, plus one per transition those paths miss. */
  paths: ModelStep[][];
  /** Transitions the traversal could fire at all. */
  reachable: Set<string>;
}

/** A transition's stable name: `<source state id> <event> #<index among that event's transitions>`. */
export function transitionKey(transition: AnyTransitionDefinition): string {
  const source = transition.source;
  const siblings =
    transition.eventType === ''
      ? (source.always ?? [])
      : (source.transitions.get(transition.eventType) ?? []);
  return `${source.id} ${transition.eventType || 'always'} #${siblings.indexOf(transition)}`;
}

/** The coverage denominators: every state node below the root, every transition definition. */
export function inventory(machine: AnyStateMachine): { states: string[]; transitions: string[] } {
  const nodes = getStateNodes(machine.root);
  const transitions = [machine.root, ...nodes].flatMap((node) => [
    ...[...node.transitions.values()].flat(),
    ...(node.always ?? []),
  ]);
  return { states: nodes.map((node) => node.id), transitions: transitions.map(transitionKey) };
}

/** What @xstate/graph runs transitions with: an actor scope whose effects go nowhere. */
function mockScope(): AnyActorScope {
  const self = createEmptyActor();
  const noop = () => undefined;
  return {
    self,
    logger: noop,
    id: '',
    sessionId: 'model',
    defer: noop,
    system: self.system,
    stopChild: noop,
    emit: noop,
    actionExecutor: noop,
  };
}

export interface ExploreOptions {
  input: unknown;
  /** What the environment can physically do in a state (payloads included). */
  events: (state: AnyMachineSnapshot) => EventObject[];
  /** The abstraction that makes the state space finite (counters and clocks left out). */
  serialize: (state: AnyMachineSnapshot) => string;
  /**
   * The event as sent in `state`, for events that refer to the state they are sent in (by
   * identity, which states that serialize alike do not share); the replay must resolve it alike.
   */
  resolve?: (state: AnyMachineSnapshot, event: EventObject) => EventObject;
}

export function explore(
  machine: AnyStateMachine,
  { input, events, serialize, resolve = (_state, event) => event }: ExploreOptions,
): Model {
  const edges = new Map<
    string,
    { from: AnyMachineSnapshot; event: EventObject; transitions: string[] }
  >();
  const edgeKey = (state: AnyMachineSnapshot, event: EventObject) =>
    `${serialize(state)} ${JSON.stringify(event)}`;
  const parent = createEmptyActor();

  /** The traversal's scope, recording what fires; children call sendParent, so it lends them a parent. */
  const recording = (scope: AnyActorScope) => {
    const transitions: string[] = [];
    const actions: ExecutedAction[] = [];
    const system = {
      ...scope.system,
      _sendInspectionEvent: (inspection: InspectionEvent) => {
        if (inspection.type === '@xstate.microstep')
          transitions.push(...inspection._transitions.map(transitionKey));
      },
    };
    const self = Object.create(scope.self, { _parent: { value: parent } });
    const actionExecutor = (action: { type: string; params: unknown }) =>
      actions.push({ type: action.type, params: action.params });
    return {
      scope: { ...scope, self, system, actionExecutor } as AnyActorScope,
      transitions,
      actions,
    };
  };

  const spy: AnyStateMachine = Object.create(machine);
  spy.transition = (snapshot: AnyMachineSnapshot, event: EventObject, scope: AnyActorScope) => {
    const { scope: spyScope, transitions } = recording(scope);
    const next = machine.transition(snapshot, resolve(snapshot, event), spyScope);
    edges.set(edgeKey(snapshot, event), { from: snapshot, event, transitions });
    return next;
  };
  // Eventless transitions can fire while the machine starts; they count as reachable too.
  const start = recording(mockScope());
  const initial = machine.getInitialSnapshot(start.scope, input);

  if (initial.status !== 'active')
    throw new Error(`the model does not start: ${String(initial.error)}`);
  const shortest = getShortestPaths(spy, {
    input,
    fromState: initial,
    events,
    serializeState: (state: unknown) => serialize(state as AnyMachineSnapshot),
  } as never);
  // Each step is the pure transition from the path's own previous state: states that serialize
  // alike can still differ in context (an error message, a counter), and the replay compares it all.
  const toStep = (from: AnyMachineSnapshot, event: EventObject): ModelStep => {
    const { scope, transitions, actions } = recording(mockScope());
    const state = machine.transition(from, resolve(from, event), scope);
    return { event, state, transitions, actions };
  };
  const pathTo = new Map<string, ModelStep[]>();
  for (const path of shortest) {
    const steps: ModelStep[] = [];
    let from = path.steps[0]!.state as AnyMachineSnapshot; // the initial state (event xstate.init)
    for (const { event } of path.steps.slice(1)) {
      const step = toStep(from, event as EventObject);
      steps.push(step);
      from = step.state;
    }
    pathTo.set(serialize(path.state as AnyMachineSnapshot), steps);
  }

  const reachable = new Set([
    ...start.transitions,
    ...[...edges.values()].flatMap((edge) => edge.transitions),
  ]);
  const covered = new Set([...pathTo.values()].flat().flatMap((step) => step.transitions));
  const extra: ModelStep[][] = [];
  for (const edge of edges.values()) {
    const missing = edge.transitions.filter((key) => !covered.has(key));
    if (missing.length === 0) continue;
    const prefix = pathTo.get(serialize(edge.from));
    if (!prefix) continue; // a state the traversal reached only past its stopping point
    extra.push([...prefix, toStep(edge.from, edge.event)]);
    for (const key of edge.transitions) covered.add(key);
  }
  return {
    initial: { state: initial, transitions: start.transitions },
    paths: [...pathTo.values()].filter((path) => path.length > 0).concat(extra),
    reachable,
  };
}

/** The state nodes a snapshot has active (the root excluded). */
export function activeStates(snapshot: AnyMachineSnapshot): string[] {
  return (snapshot as unknown as { _nodes: { id: string; parent?: unknown }[] })._nodes
    .filter((node) => node.parent)
    .map((node) => node.id);
}

export function coverageLine(
  name: string,
  covered: { states: Set<string>; transitions: Set<string> },
  all: { states: string[]; transitions: string[] },
  reachable: Set<string>,
): string {
  const percent = (part: number, whole: number) => `${((100 * part) / whole).toFixed(1)}%`;
  const states = all.states.filter((id) => covered.states.has(id)).length;
  const transitions = all.transitions.filter((key) => covered.transitions.has(key)).length;
  return (
    `${name}: states ${states}/${all.states.length} (${percent(states, all.states.length)}), ` +
    `transitions ${transitions}/${all.transitions.length} (${percent(transitions, all.transitions.length)}; reachable in the model ${reachable.size})`
  );
}
