/**
 * The connection statechart as a graph to draw: one node per state, one edge per source and
 * target with every event that takes it. Read from the machine definition itself, so the drawing
 * cannot drift from the statechart that runs.
 */

/** The parts of an XState v5 StateNode this module reads. */
export interface StateNodeLike {
  id: string;
  key: string;
  type: string;
  states: Record<string, StateNodeLike>;
  transitions: ReadonlyMap<string, readonly TransitionLike[]>;
  always?: readonly TransitionLike[] | undefined;
}
interface TransitionLike {
  target?: readonly { id: string }[] | undefined;
}

export interface ChartNode {
  /** The StateNode id, e.g. `connection.websocket.connected`. */
  id: string;
  /** The id without the root's, as the views' `statePath` spells it: `websocket.connected`. */
  path: string;
  label: string;
  parent: string | null;
  kind: string;
}
export interface ChartEdge {
  id: string;
  source: string;
  target: string;
  events: string[];
}
export interface ChartGraph {
  nodes: ChartNode[];
  edges: ChartEdge[];
  /** The root's own transitions: taken from any state, listed beside the drawing. */
  fromAnyState: ChartEdge[];
}

/** `xstate.after.retryDelay.connection.reconnecting` reads as `after retryDelay`. */
function eventLabel(event: string): string {
  const after = /^xstate\.after\.([^.]+)\./.exec(event);
  return after ? `after ${after[1]}` : event;
}

export function statechartGraph(root: StateNodeLike): ChartGraph {
  const nodes: ChartNode[] = [];
  const edges = new Map<string, ChartEdge>();
  const prefix = `${root.id}.`;
  const addEdge = (source: string, target: string, event: string) => {
    const id = `${source}->${target}`;
    const edge = edges.get(id) ?? { id, source, target, events: [] };
    const label = eventLabel(event);
    if (!edge.events.includes(label)) edge.events.push(label);
    edges.set(id, edge);
  };
  const visit = (node: StateNodeLike, parent: string | null) => {
    if (node !== root) {
      nodes.push({
        id: node.id,
        path: node.id.startsWith(prefix) ? node.id.slice(prefix.length) : node.id,
        label: node.key,
        parent,
        kind: node.type,
      });
    }
    for (const [event, definitions] of node.transitions) {
      for (const definition of definitions) {
        for (const target of definition.target ?? []) addEdge(node.id, target.id, event);
      }
    }
    for (const definition of node.always ?? []) {
      for (const target of definition.target ?? []) addEdge(node.id, target.id, 'always');
    }
    for (const child of Object.values(node.states)) visit(child, node === root ? null : node.id);
  };
  visit(root, null);
  const all = [...edges.values()];
  return {
    nodes,
    edges: all.filter((e) => e.source !== root.id),
    fromAnyState: all.filter((e) => e.source === root.id),
  };
}

/** Every state a `statePath` ("a.b, a.c") is in: each active leaf and all of its ancestors. */
export function activeStatePaths(statePath: string): Set<string> {
  const active = new Set<string>();
  for (const leaf of statePath.split(', ')) {
    const parts = leaf.split('.');
    for (let i = 1; i <= parts.length; i++) active.add(parts.slice(0, i).join('.'));
  }
  return active;
}
