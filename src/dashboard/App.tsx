import { For, Show, createSignal, type JSX } from 'solid-js';
import type { TetherClient } from '../client/index.ts';
import { createActivityLog } from './activity-log.ts';
import { ConnectionBadge } from './ConnectionBadge.tsx';
import { OfflineBanner } from './OfflineBanner.tsx';
import { toastRefusals } from './refusal-toasts.ts';
import { StatePanel } from './StatePanel.tsx';
import { ToastContext, createToasts } from './toasts.ts';
import { Toasts } from './Toasts.tsx';
import { useConnection } from './use-connection.ts';
import { useOutbox } from './use-outbox.ts';
import { WIDGETS, createWidgetSettings, type WidgetId } from './widget-settings.ts';
import { WidgetMenu } from './WidgetMenu.tsx';
import { ActivityLog } from './widgets/ActivityLog.tsx';
import { AlertFeed } from './widgets/AlertFeed.tsx';
import { ClientStats } from './widgets/ClientStats.tsx';
import { CpuChart } from './widgets/CpuChart.tsx';
import { EventLoopStats } from './widgets/EventLoopStats.tsx';
import { LoadStats } from './widgets/LoadStats.tsx';
import { MemoryChart } from './widgets/MemoryChart.tsx';
import { ThresholdControl } from './widgets/ThresholdControl.tsx';

export interface AppProps {
  client: TetherClient;
  /** The long-poll wait the client was created with, for the polling notice. */
  pollWaitMs: number;
}

export function App(props: AppProps) {
  const toasts = createToasts();
  const connection = useConnection(props.client);
  const activity = createActivityLog(connection);
  const outbox = useOutbox(props.client);
  toastRefusals(outbox, toasts);
  const widgets = createWidgetSettings();
  const [showState, setShowState] = createSignal(false);
  const retry = () => props.client.retry();

  // Each widget mounts its own subscription; toggling it off unmounts it and releases the topic.
  const render: Record<WidgetId, () => JSX.Element> = {
    cpu: () => <CpuChart client={props.client} />,
    memory: () => <MemoryChart client={props.client} />,
    load: () => <LoadStats client={props.client} />,
    eventloop: () => <EventLoopStats client={props.client} />,
    clients: () => <ClientStats client={props.client} />,
    alerts: () => <AlertFeed client={props.client} />,
    thresholds: () => <ThresholdControl client={props.client} />,
    activity: () => <ActivityLog entries={activity()} />,
  };
  const visible = () => WIDGETS.filter((w) => widgets.shown(w.id));

  return (
    <ToastContext.Provider value={toasts}>
      <div class="top">
        <header class="app-header">
          <h1>
            Tether <small>live host metrics</small>
          </h1>
          <div class="header-tools">
            <ConnectionBadge view={connection()} onRetry={retry} />
            <WidgetMenu shown={widgets.shown} onToggle={widgets.toggle} />
            <button type="button" class="button" aria-pressed={showState()} onClick={() => setShowState(!showState())}>
              State
            </button>
          </div>
        </header>
        <OfflineBanner view={connection()} pollWaitMs={props.pollWaitMs} onRetry={retry} />
      </div>
      <Show when={showState()}>
        <StatePanel client={props.client} connection={connection()} outbox={outbox()} />
      </Show>
      <main>
        <Show when={visible().length > 0} fallback={<p class="empty-grid">All widgets are hidden. Turn some on from the Widgets menu.</p>}>
          <div class="grid">
            <For each={visible()}>{(widget) => render[widget.id]()}</For>
          </div>
        </Show>
      </main>
      <Toasts store={toasts} />
    </ToastContext.Provider>
  );
}
