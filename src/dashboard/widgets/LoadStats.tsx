import { Show } from 'solid-js';
import { StatTile } from '../StatTile.tsx';
import { WidgetFrame } from '../WidgetFrame.tsx';
import { formatUptime } from '../format.ts';
import { useTopic } from '../hooks.ts';

export function LoadStats() {
  const topic = useTopic('host.load');
  // A load average above the core count means work is queueing for CPU.
  const over = (load: number) => load > (topic.data()?.cores ?? Infinity);
  return (
    <WidgetFrame widget="load" title="Load average" view={topic.view()}>
      <Show when={topic.data()} fallback={<p class="muted">No data yet.</p>}>
        {(data) => (
          <>
            <dl class="tiles">
              <StatTile
                label="1 min"
                value={data().load1.toFixed(2)}
                warn={over(data().load1)}
                note={over(data().load1) ? 'Above the core count' : undefined}
              />
              <StatTile
                label="5 min"
                value={data().load5.toFixed(2)}
                warn={over(data().load5)}
                note={over(data().load5) ? 'Above the core count' : undefined}
              />
              <StatTile
                label="15 min"
                value={data().load15.toFixed(2)}
                warn={over(data().load15)}
                note={over(data().load15) ? 'Above the core count' : undefined}
              />
            </dl>
            <p class="tile-note">
              {data().cores} cores · up {formatUptime(data().uptimeSec)}
              {over(data().load1) ? ' · load above core count' : ''}
            </p>
          </>
        )}
      </Show>
    </WidgetFrame>
  );
}
