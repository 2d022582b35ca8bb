import { Show } from 'solid-js';
import { StatTile } from '../StatTile.tsx';
import { WidgetFrame } from '../WidgetFrame.tsx';
import { useTopic } from '../hooks.ts';

export function ClientStats() {
  const topic = useTopic('server.clients');
  return (
    <WidgetFrame widget="clients" title="Connected clients" view={topic.view()}>
      <Show when={topic.data()} fallback={<p class="muted">No data yet.</p>}>
        {(data) => (
          <dl class="tiles">
            <StatTile label="Total" value={String(data().total)} />
            <StatTile label="WebSocket" value={String(data().websocket)} />
            <StatTile label="Polling" value={String(data().polling)} />
          </dl>
        )}
      </Show>
    </WidgetFrame>
  );
}
