import { Show } from 'solid-js';
import { StatTile } from '../StatTile.tsx';
import { WidgetFrame } from '../WidgetFrame.tsx';
import { formatMs } from '../format.ts';
import { useTopic } from '../hooks.ts';

/** Above this the server is visibly late answering pings and sending frames. */
const SLOW_MS = 100;

export function EventLoopStats() {
  const topic = useTopic('server.eventloop');
  return (
    <WidgetFrame widget="eventloop" title="Server event-loop delay" view={topic.view()}>
      <Show when={topic.data()} fallback={<p class="muted">No data yet.</p>}>
        {(data) => (
          <>
            <dl class="tiles">
              <StatTile label="p50" value={formatMs(data().p50Ms)} />
              <StatTile
                label="p99"
                value={formatMs(data().p99Ms)}
                warn={data().p99Ms > SLOW_MS}
                note={data().p99Ms > SLOW_MS ? `Above ${SLOW_MS} ms` : undefined}
              />
              <StatTile
                label="max"
                value={formatMs(data().maxMs)}
                warn={data().maxMs > SLOW_MS}
                note={data().maxMs > SLOW_MS ? `Above ${SLOW_MS} ms` : undefined}
              />
            </dl>
            <p class="tile-note">mean {formatMs(data().meanMs)} over the last interval</p>
          </>
        )}
      </Show>
    </WidgetFrame>
  );
}
