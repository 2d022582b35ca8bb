import { Match, Show, Switch, createMemo, untrack } from 'solid-js';
import { widgetId, type TopicWidgetEntry } from '../../protocol/index.ts';
import { useTopic } from '../../solid/index.ts';
import { WidgetFrame } from '../WidgetFrame.tsx';
import { EventsView } from './EventsView.tsx';
import { NumberView } from './NumberView.tsx';
import { atPointer } from './read-data.ts';
import { SeriesView } from './SeriesView.tsx';
import { TableView } from './TableView.tsx';

/**
 * Any topic, shown the way its dashboard config entry says (series, number, table, events). The
 * topic is only known at run time, so it uses the untyped `useTopic` and reads the data defensively.
 */
export function TopicWidget(props: { entry: TopicWidgetEntry }) {
  const entry = untrack(() => props.entry); // a config entry is fixed for the widget's life
  const topic = useTopic(entry.topic);
  const value = createMemo(() => atPointer(topic.data(), entry.path ?? ''));
  const waiting = () => {
    const error = topic.view().error;
    return error ? `No data: ${error.message}` : 'No data yet.';
  };
  return (
    <WidgetFrame widget={widgetId(entry)} title={entry.title} view={topic.view()}>
      <Show when={topic.data() !== undefined} fallback={<p class="muted">{waiting()}</p>}>
        <Switch>
          <Match when={entry.view === 'series'}>
            <SeriesView entry={entry} value={value()} />
          </Match>
          <Match when={entry.view === 'number'}>
            <NumberView entry={entry} value={value()} />
          </Match>
          <Match when={entry.view === 'table'}>
            <TableView entry={entry} value={value()} />
          </Match>
          <Match when={entry.view === 'events'}>
            <EventsView entry={entry} value={value()} />
          </Match>
        </Switch>
      </Show>
    </WidgetFrame>
  );
}
