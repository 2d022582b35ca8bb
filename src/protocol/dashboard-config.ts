import * as v from 'valibot';
import { describeIssues } from './codec.ts';
import { TopicName } from './frames.ts';
import { JsonPointer } from './patch.ts';

/**
 * Which widgets the dashboard shows, in order (`GET /dashboard.json`, docs/dashboard.md). The
 * server validates its file at start-up and the dashboard validates what it fetched, with this
 * one schema. Strict objects: a misspelt option is an error, not silently ignored.
 */

/** The dashboard's own widgets, each bound to its default topic (or, for `activity`, to the connection). */
export const BUILTIN_WIDGETS = [
  'cpu',
  'memory',
  'load',
  'eventloop',
  'clients',
  'alerts',
  'thresholds',
  'activity',
] as const;
export type BuiltinWidget = (typeof BUILTIN_WIDGETS)[number];

/** How the generic widget renders a topic. */
export const TOPIC_VIEWS = ['series', 'number', 'table', 'events'] as const;
export type TopicView = (typeof TOPIC_VIEWS)[number];

const FieldName = v.pipe(v.string(), v.minLength(1, 'a field name is not empty'), v.maxLength(128));
const Fields = v.pipe(
  v.array(FieldName),
  v.minLength(1, 'list at least one field, or leave "fields" out'),
  v.maxLength(24),
);

export const BuiltinWidgetEntry = v.strictObject({
  view: v.picklist(BUILTIN_WIDGETS),
  /** Spans two grid columns (default: the CPU and memory charts do). */
  wide: v.optional(v.boolean()),
});

export const TopicWidgetEntry = v.strictObject({
  view: v.picklist(TOPIC_VIEWS),
  topic: TopicName,
  title: v.pipe(v.string(), v.minLength(1, 'a title is not empty'), v.maxLength(80)),
  /** Names the widget in the Widgets menu's memory and `data-widget`; default `<view>:<topic>`. */
  id: v.optional(
    v.pipe(v.string(), v.regex(/^[\w.:/-]{1,128}$/, 'an id uses letters, digits and . _ : / -')),
  ),
  /** JSON Pointer to the part of the topic to show; default the whole document. */
  path: v.optional(JsonPointer),
  /** series: the y columns; number: the figures; table: the columns; events: the text of an event. */
  fields: v.optional(Fields),
  /** series: the time column, milliseconds since the Unix epoch (default `t`). */
  x: v.optional(FieldName),
  /** series and number: appended to values, e.g. `ms` or `/min`. */
  unit: v.optional(v.pipe(v.string(), v.maxLength(16))),
  /** table and events: most rows shown (default 50). */
  limit: v.optional(v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(500))),
  /** Spans two grid columns. */
  wide: v.optional(v.boolean()),
});

export const WidgetEntry = v.variant('view', [BuiltinWidgetEntry, TopicWidgetEntry]);

export type BuiltinWidgetEntry = v.InferOutput<typeof BuiltinWidgetEntry>;
export type TopicWidgetEntry = v.InferOutput<typeof TopicWidgetEntry>;
export type WidgetEntry = v.InferOutput<typeof WidgetEntry>;

export const isTopicWidget = (entry: WidgetEntry): entry is TopicWidgetEntry => 'topic' in entry;

/** A widget's stable id: its `id`, `<view>:<topic>` for a topic widget, the view for a built-in one. */
export const widgetId = (entry: WidgetEntry): string =>
  isTopicWidget(entry) ? (entry.id ?? `${entry.view}:${entry.topic}`) : entry.view;

function firstDuplicate(entries: readonly WidgetEntry[]): string | undefined {
  const seen = new Set<string>();
  for (const entry of entries) {
    const id = widgetId(entry);
    if (seen.has(id)) return id;
    seen.add(id);
  }
  return undefined;
}

export const DashboardConfig = v.strictObject({
  /** Shown next to "Tether" in the header. */
  title: v.optional(v.pipe(v.string(), v.maxLength(80))),
  widgets: v.pipe(
    v.array(WidgetEntry),
    v.maxLength(100, 'at most 100 widgets'),
    v.rawCheck(({ dataset, addIssue }) => {
      if (!dataset.typed) return;
      const id = firstDuplicate(dataset.value);
      if (id !== undefined)
        addIssue({ message: `two widgets have the id "${id}"; give one of them another "id"` });
    }),
  ),
});
export type DashboardConfig = v.InferOutput<typeof DashboardConfig>;

/** What `/dashboard.json` holds unless the server is given another config: the host-metrics dashboard. */
export const DEFAULT_DASHBOARD_CONFIG: DashboardConfig = {
  title: 'live host metrics',
  widgets: BUILTIN_WIDGETS.map((view) => ({ view })),
};

export type ConfigResult = { ok: true; config: DashboardConfig } | { ok: false; message: string };

export function validateDashboardConfig(value: unknown): ConfigResult {
  const result = v.safeParse(DashboardConfig, value);
  return result.success
    ? { ok: true, config: result.output }
    : { ok: false, message: describeIssues(result.issues) };
}
