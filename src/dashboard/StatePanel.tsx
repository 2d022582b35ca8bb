import { For, Show, createMemo, createResource, untrack } from 'solid-js';
import { connectionDefinition } from '../client/connection-definition.ts';
import type { ConnectionView, OutboxView } from '../client/index.ts';
import type { ActivityEntry } from './activity-log.ts';
import { formatClock } from './format.ts';
import type { HeldTopic } from './held-topics.ts';
import { fromViewSource } from '../solid/view-signal.ts';
import { activeStatePaths, statechartGraph, type ChartGraph } from './statechart-graph.ts';
import { edgeText, layoutWithElk, type LayoutChart } from './statechart-layout.ts';

/** How many of the activity log's transitions the panel lists. */
const RECENT_TRANSITIONS = 8;

/**
 * The connection statechart drawn in the page, its active states highlighted, with the latest
 * transitions and the topics this tab holds. It needs no inspector and no network: the drawing
 * comes from the machine definition and the highlight from the connection view's `statePath`,
 * which every client has, including one shared from another tab.
 */
export function StatePanel(props: {
  connection: ConnectionView;
  outbox: OutboxView;
  activity: ActivityEntry[];
  held: HeldTopic[];
  /** Lays the chart out; ELK, loaded on first use, unless a test supplies another. */
  layout?: LayoutChart;
}) {
  const graph = statechartGraph(connectionDefinition().root);
  const active = createMemo(() => activeStatePaths(props.connection.statePath));
  return (
    // Focusable: the panel and its drawing scroll, and a keyboard must reach what they hide.
    <section class="state-panel" aria-labelledby="state-panel-title" tabIndex={0}>
      <h2 id="state-panel-title">State</h2>
      <p>
        Connection: <code>{props.connection.statePath}</code> · outbox:{' '}
        {props.outbox.pending.length} pending, {props.outbox.refused.length} refused
      </p>
      <StatechartDrawing graph={graph} active={active()} layout={props.layout ?? layoutWithElk} />
      <p class="muted">
        From any state:{' '}
        {graph.fromAnyState
          .map((edge) => `${edgeText(edge.events)} → ${edge.target.split('.').pop()}`)
          .join(', ')}
      </p>
      <h3>Recent transitions</h3>
      <Show when={props.activity.length > 0} fallback={<p class="muted">None yet.</p>}>
        <ol class="state-transitions">
          <For each={props.activity.slice(0, RECENT_TRANSITIONS)}>
            {(entry) => (
              <li>
                <time dateTime={new Date(entry.t).toISOString()}>{formatClock(entry.t)}</time>{' '}
                {entry.text} <code>{entry.statePath}</code>
              </li>
            )}
          </For>
        </ol>
      </Show>
      <h3>Subscriptions of this tab</h3>
      <Show when={props.held.length > 0} fallback={<p class="muted">No subscriptions.</p>}>
        <table>
          <thead>
            <tr>
              <th scope="col">Topic</th>
              <th scope="col">Status</th>
              <th scope="col">State</th>
              <th scope="col">Seq</th>
            </tr>
          </thead>
          <tbody>
            <For each={props.held}>{(held) => <SubscriptionRow held={held} />}</For>
          </tbody>
        </table>
      </Show>
    </section>
  );
}

function StatechartDrawing(props: { graph: ChartGraph; active: Set<string>; layout: LayoutChart }) {
  // A failed layout (elkjs could not load) leaves the rest of the panel working.
  const [layout] = createResource(() =>
    props.layout(props.graph).catch((error: unknown) => {
      console.warn('Tether: could not lay out the statechart', error);
      return null;
    }),
  );
  const pathOf = createMemo(() => new Map(props.graph.nodes.map((node) => [node.id, node])));
  return (
    <Show
      when={layout()}
      fallback={
        <p class="muted">
          {layout.loading ? 'Drawing the chart…' : 'The chart could not be laid out.'}
        </p>
      }
    >
      {(placed) => (
        <div class="statechart" tabIndex={0}>
          <svg
            role="img"
            aria-label={`Connection statechart; active: ${[...props.active].join(', ')}`}
            viewBox={`0 0 ${placed().width} ${placed().height}`}
            width={placed().width}
            height={placed().height}
          >
            <defs>
              <marker
                id="statechart-arrow"
                viewBox="0 0 10 10"
                refX="10"
                refY="5"
                markerWidth="6"
                markerHeight="6"
                orient="auto-start-reverse"
              >
                <path d="M 0 0 L 10 5 L 0 10 z" class="statechart-arrowhead" />
              </marker>
            </defs>
            <For each={placed().nodes}>
              {(box) => {
                const node = pathOf().get(box.id)!;
                return (
                  <g
                    class="statechart-node"
                    classList={{ active: props.active.has(node.path) }}
                    data-state={node.path}
                    data-active={props.active.has(node.path) ? 'true' : 'false'}
                  >
                    <rect x={box.x} y={box.y} width={box.width} height={box.height} rx="6" />
                    <text x={box.x + 12} y={box.y + 21}>
                      {node.label}
                    </text>
                  </g>
                );
              }}
            </For>
            <For each={placed().edges}>
              {(edge) => {
                const events = props.graph.edges.find((e) => e.id === edge.id)?.events ?? [];
                return (
                  <g class="statechart-edge" data-edge={edge.id}>
                    <polyline
                      points={edge.points.map((p) => `${p.x},${p.y}`).join(' ')}
                      marker-end="url(#statechart-arrow)"
                    />
                    <Show when={edge.label}>
                      {(label) => (
                        <text x={label().x} y={label().y}>
                          {edgeText(events)}
                        </text>
                      )}
                    </Show>
                  </g>
                );
              }}
            </For>
          </svg>
        </div>
      )}
    </Show>
  );
}

function SubscriptionRow(props: { held: HeldTopic }) {
  // A row stands for one hold: its view source does not change.
  const view = fromViewSource(untrack(() => props.held.view));
  return (
    <tr>
      <td>
        <code>{props.held.topic}</code>
      </td>
      <td>{view().status}</td>
      <td>
        <code>{view().statePath}</code>
      </td>
      <td>
        <code title={view().epoch ? `epoch ${view().epoch}` : undefined}>{view().seq ?? '—'}</code>
      </td>
    </tr>
  );
}
