import {
  For,
  Show,
  createEffect,
  createMemo,
  createSignal,
  lazy,
  untrack,
  type Accessor,
  type JSX,
} from 'solid-js';
import type { TetherClient } from '../client/index.ts';
import {
  DEFAULT_DASHBOARD_CONFIG,
  isTopicWidget,
  widgetId,
  type BuiltinWidget,
  type DashboardConfig,
  type WidgetEntry,
} from '../protocol/index.ts';
import { TetherProvider } from '../solid/index.ts';
import { createActivityLog } from './activity-log.ts';
import { trackHeldTopics, type HeldTopic } from './held-topics.ts';
import { ChartToolbar } from './ChartToolbar.tsx';
import { ChartViewContext, createChartView } from './chart-view.ts';
import { ConnectionBadge } from './ConnectionBadge.tsx';
import { TopicWidget } from './generic/TopicWidget.tsx';
import { useConnection, useOutbox, useTetherClient } from './hooks.ts';
import { isWide, createLayout } from './layout.ts';
import { LayoutMenu } from './LayoutMenu.tsx';
import { OfflineBanner } from './OfflineBanner.tsx';
import { Slot, type SlotControls } from './slot.tsx';
import { toastRefusals } from './refusal-toasts.ts';
import { pageTheme } from './theme.ts';
import { ThemeToggle } from './ThemeToggle.tsx';
import { ToastContext, createToasts } from './toasts.ts';
import { Toasts } from './Toasts.tsx';
import { BUILTIN_LABELS, createWidgetSettings } from './widget-settings.ts';
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
  /** Which widgets to show, in order (from `/dashboard.json`); default: the host-metrics dashboard. */
  dashboard?: DashboardConfig;
  /** Shown once as a toast, e.g. why the default config is used instead of the server's. */
  configWarning?: string | null;
  /** Said when the server refuses our credential (`unauthorized`): how to sign in. */
  signInHint?: string;
  /** A message that can arrive after the first render (the Stately inspector could not open); shown as a toast. */
  notice?: Accessor<string | null>;
}

/** Loaded when first opened, with the statechart layout it draws: the first visit does not pay for it. */
const StatePanel = lazy(async () => ({ default: (await import('./StatePanel.tsx')).StatePanel }));

/** The dashboard, built on tether-live/solid: every widget reads its topic through the provider's client. */
export function App(props: AppProps) {
  // The State panel lists the topics this tab holds, whichever tab runs the statecharts.
  const tracked = trackHeldTopics(untrack(() => props.client));
  return (
    <TetherProvider client={tracked.client}>
      <Dashboard
        held={tracked.held}
        config={props.dashboard ?? DEFAULT_DASHBOARD_CONFIG}
        pollWaitMs={props.pollWaitMs}
        configWarning={props.configWarning ?? null}
        signInHint={props.signInHint}
        notice={props.notice}
      />
    </TetherProvider>
  );
}

function Dashboard(props: {
  held: Accessor<HeldTopic[]>;
  config: DashboardConfig;
  pollWaitMs: number;
  configWarning: string | null;
  signInHint: string | undefined;
  notice: Accessor<string | null> | undefined;
}) {
  const client = useTetherClient();
  const toasts = createToasts();
  const connection = useConnection();
  const activity = createActivityLog(connection);
  const outbox = useOutbox();
  toastRefusals(outbox, toasts);
  // The server's config is read once: a new one takes a page reload, like a new dashboard build.
  const [config, configWarning] = untrack(() => [props.config, props.configWarning] as const);
  if (configWarning) toasts.push('warning', configWarning);
  createEffect(() => {
    const notice = props.notice?.();
    if (notice) toasts.push('warning', notice);
  });
  const [showState, setShowState] = createSignal(false);
  const chartView = createChartView();
  const retry = () => client.retry();

  // The server's config as this browser arranged it (reordered, resized or imported).
  const layout = createLayout(config);
  const entries = createMemo(() =>
    layout.config().widgets.map((entry) => ({
      id: widgetId(entry),
      label: isTopicWidget(entry) ? entry.title : BUILTIN_LABELS[entry.view],
      entry,
      // Same key, same mounted widget: a move or a width change keeps its subscription and chart.
      key: JSON.stringify({ ...entry, wide: undefined }),
    })),
  );
  const widgets = createWidgetSettings(entries());
  const [moved, setMoved] = createSignal('');

  // Each widget mounts its own subscription; toggling it off unmounts it and releases the topic.
  const builtin: Record<BuiltinWidget, () => JSX.Element> = {
    cpu: () => <CpuChart />,
    memory: () => <MemoryChart />,
    load: () => <LoadStats />,
    eventloop: () => <EventLoopStats />,
    clients: () => <ClientStats />,
    alerts: () => <AlertFeed />,
    thresholds: () => <ThresholdControl />,
    activity: () => <ActivityLog entries={activity()} />,
  };
  const render = (entry: WidgetEntry) =>
    isTopicWidget(entry) ? <TopicWidget entry={entry} /> : builtin[entry.view]();
  const visible = createMemo(() => entries().filter((w) => widgets.shown(w.id)));
  const byKey = (key: string) => visible().find((w) => w.key === key)!;
  const slotControls = (key: string): SlotControls => {
    const widget = () => byKey(key);
    const position = () => visible().findIndex((w) => w.key === key);
    return {
      label: widget().label,
      position,
      count: () => visible().length,
      wide: () => isWide(widget().entry),
      moveTo: (index) => {
        const target = visible()[index];
        if (!target || !layout.moveTo(widget().id, layout.indexOf(target.id))) return;
        setMoved(`${widget().label} moved to position ${position() + 1} of ${visible().length}`);
      },
      toggleWide: () => layout.toggleWide(widget().id),
    };
  };
  const dropOn = (key: string) => (draggedId: string) => {
    const dragged = visible().find((w) => w.id === draggedId);
    if (dragged && layout.moveTo(draggedId, layout.indexOf(byKey(key).id)))
      setMoved(`${dragged.label} moved`);
  };

  return (
    <ToastContext.Provider value={toasts}>
      <div class="top">
        <header class="app-header">
          <h1>
            Tether <Show when={props.config.title}>{(title) => <small>{title()}</small>}</Show>
          </h1>
          <div class="header-tools">
            <ConnectionBadge view={connection()} onRetry={retry} />
            <ThemeToggle theme={pageTheme.theme()} onToggle={pageTheme.toggle} />
            <WidgetMenu widgets={entries()} shown={widgets.shown} onToggle={widgets.toggle} />
            <LayoutMenu layout={layout} />
            <button
              type="button"
              class="button"
              aria-pressed={showState()}
              onClick={() => setShowState(!showState())}
            >
              State
            </button>
          </div>
        </header>
        <OfflineBanner
          view={connection()}
          pollWaitMs={props.pollWaitMs}
          onRetry={retry}
          signInHint={props.signInHint}
        />
      </div>
      <Show when={showState()}>
        <StatePanel
          connection={connection()}
          outbox={outbox()}
          activity={activity()}
          held={props.held()}
        />
      </Show>
      <main>
        <ChartToolbar
          rangeSeconds={chartView.rangeSeconds()}
          pausedAt={chartView.pausedAt()}
          onRange={chartView.chooseRange}
          onTogglePause={chartView.togglePause}
        />
        <Show
          when={visible().length > 0}
          fallback={
            <p class="empty-grid">All widgets are hidden. Turn some on from the Widgets menu.</p>
          }
        >
          <ChartViewContext.Provider value={chartView}>
            <div class="grid">
              <For each={visible().map((w) => w.key)}>
                {(key) => {
                  // Rendered once per key: the widget keeps its subscription while others move.
                  const widget = untrack(() => byKey(key));
                  return (
                    <Slot id={widget.id} controls={slotControls(key)} onDrop={dropOn(key)}>
                      {render(widget.entry)}
                    </Slot>
                  );
                }}
              </For>
            </div>
            <p class="visually-hidden" aria-live="polite">
              {moved()}
            </p>
          </ChartViewContext.Provider>
        </Show>
      </main>
      <Toasts store={toasts} />
    </ToastContext.Provider>
  );
}
