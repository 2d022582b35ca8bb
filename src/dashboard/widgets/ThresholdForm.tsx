import { For, Show, createEffect, createMemo, createSignal, on, untrack } from 'solid-js';
import type { ActionPosition, OutboxView, SendOptions } from '../../client/index.ts';
import { ALERT_SETTING_LIMITS } from '../../protocol/index.ts';
import {
  THRESHOLD_FIELDS,
  isThresholdAction,
  overlay,
  settingValue,
  type ThresholdAction,
  type ThresholdField,
  type Thresholds,
} from '../optimistic.ts';
import { SettingInput, type FieldChoice } from './SettingInput.tsx';

export const THRESHOLDS_TOPIC = 'alerts.thresholds' as const;

/** Labels only: each field's limits come from the protocol (src/protocol/alert-settings.ts), as the server's do. */
const LABELS: Record<ThresholdField, string> = {
  cpuPercent: 'CPU (%)',
  memoryPercent: 'Memory (%)',
  load1: 'Load (1 min)',
  holdSamples: 'Hold (samples)',
  marginPercent: 'Resolve margin (%)',
};

type SaveState = { state: 'queued' | 'sending' | 'saved' } | { state: 'refused'; message: string };

const SAVE_TEXT = {
  queued: 'Queued (offline) — sends when the link is back',
  sending: 'Sending…',
  saved: 'Saved',
} as const;

/**
 * The writable topic, optimistically: the fields show the server's thresholds with this client's
 * unconfirmed actions laid over them (optimistic.ts), so an edit shows at once, even offline.
 * A refused action leaves the outbox's pending list and so stops covering the server value: that
 * is the rollback, and App raises the toast with the reason.
 */
export function ThresholdForm(props: {
  server: Thresholds | undefined;
  /** The topic position `server` is at: edits are sent against it, merged per field by the server. */
  base?: ActionPosition | null;
  outbox: OutboxView;
  send: (topic: typeof THRESHOLDS_TOPIC, payload: ThresholdAction, options?: SendOptions) => string;
}) {
  const pending = createMemo(() =>
    props.outbox.pending.flatMap((a) =>
      a.topic === THRESHOLDS_TOPIC && isThresholdAction(a.payload)
        ? [{ id: a.id, payload: a.payload }]
        : [],
    ),
  );
  // Acked actions stay in the overlay until the data shows them: over HTTP polling the ack comes
  // back long before the next poll brings the change, and the value must not flicker back. The
  // server publishes a change before it acks it, so the first data after the ack includes it.
  const [acked, setAcked] = createSignal<{ payload: ThresholdAction; seenWith: Thresholds }[]>([]);
  const [lastId, setLastId] = createSignal<string | null>(null);

  let wasPending = new Map<string, ThresholdAction>();
  createEffect(
    on(pending, (now) => {
      const refused = new Set(props.outbox.refused.map((r) => r.id));
      const stillPending = new Set(now.map((a) => a.id));
      const server = props.server;
      const done = [...wasPending].filter(([id]) => !stillPending.has(id) && !refused.has(id));
      if (done.length && server)
        setAcked((list) => [
          ...list,
          ...done.map(([, payload]) => ({ payload, seenWith: server })),
        ]);
      wasPending = new Map(now.map((a) => [a.id, a.payload]));
    }),
  );
  // New data after the ack shows the action: forget it.
  createEffect(
    on(
      () => props.server,
      (server) =>
        setAcked((list) =>
          list.every((a) => a.seenWith === server)
            ? list
            : list.filter((a) => a.seenWith === server),
        ),
    ),
  );

  // Same-field conflicts refused since this form mounted (earlier ones were reported before), shown
  // until the user takes theirs or keeps their own: nothing typed is dropped without being shown.
  const before = new Set(untrack(() => props.outbox.refused.map((r) => r.id)));
  const [settled, setSettled] = createSignal<ReadonlySet<string>>(new Set());
  const conflicts = createMemo(() => {
    // Per field, the newest refusal's values and every refusal that named it (settled together).
    const byField = new Map<ThresholdField, FieldChoice & { ids: string[] }>();
    for (const refusal of props.outbox.refused) {
      if (refusal.topic !== THRESHOLDS_TOPIC || !refusal.conflicts) continue;
      if (before.has(refusal.id) || settled().has(refusal.id)) continue;
      if (!isThresholdAction(refusal.payload)) continue;
      for (const [field, yours] of Object.entries(refusal.payload.set) as [
        ThresholdField,
        number,
      ][]) {
        const theirs = refusal.conflicts.find((c) => c.path === `/${field}`)?.value;
        if (typeof theirs !== 'number') continue;
        byField.set(field, {
          yours,
          theirs,
          ids: [...(byField.get(field)?.ids ?? []), refusal.id],
        });
      }
    }
    return byField;
  });
  const settle = (field: ThresholdField) => {
    const ids = conflicts().get(field)?.ids ?? [];
    if (ids.length > 0) setSettled((set) => new Set([...set, ...ids]));
  };

  const saveState = createMemo((): SaveState | null => {
    const id = lastId();
    if (id === null) return null;
    const refusal = props.outbox.refused.find((r) => r.id === id);
    if (refusal && [...conflicts().values()].some((c) => c.ids.includes(id)))
      return {
        state: 'refused',
        message: 'Changed meanwhile by someone else: keep yours or take theirs, beside the field.',
      };
    if (refusal)
      return {
        state: 'refused',
        message: `Refused (${refusal.code}): ${refusal.message}. Showing the server value.`,
      };
    const entry = props.outbox.pending.find((a) => a.id === id);
    if (!entry) return { state: 'saved' };
    // The outbox holds actions as `queued` only while it has no link to send them over.
    return { state: entry.state === 'queued' ? 'queued' : 'sending' };
  });

  const shown = createMemo(() => {
    const server = props.server;
    const actions = [...acked().map((a) => a.payload), ...pending().map((a) => a.payload)];
    return server && overlay(server, actions);
  });

  const save = (field: ThresholdField, value: number) => {
    const current = shown();
    if (!current) return;
    // A new value for the field answers any open conflict on it.
    settle(field);
    // The range is the server's rule: an out-of-range value is sent and refused, not second-guessed here.
    // With a base the server merges per field (another threshold may change meanwhile); `version`
    // stays in the payload for the overlay above and for servers that only know the version check.
    const payload = { version: current.version, set: { [field]: value } };
    const base = props.base;
    setLastId(
      base
        ? props.send(THRESHOLDS_TOPIC, payload, { base, fields: [`/${field}`] })
        : props.send(THRESHOLDS_TOPIC, payload),
    );
  };

  return (
    <Show when={shown()} fallback={<p class="muted">Waiting for the current thresholds…</p>}>
      {(values) => (
        <form
          class="thresholds"
          onSubmit={(e) => e.preventDefault()}
          aria-describedby="threshold-save-state"
        >
          <For each={THRESHOLD_FIELDS}>
            {(field) => (
              <SettingInput
                id={`threshold-${field}`}
                name={field}
                label={LABELS[field]}
                limits={ALERT_SETTING_LIMITS[field]}
                shown={settingValue(values(), field)}
                server={props.server && settingValue(props.server, field)}
                onSave={(value) => save(field, value)}
                conflict={conflicts().get(field)}
                onKeepMine={(yours) => save(field, yours)}
                onTakeTheirs={() => settle(field)}
              />
            )}
          </For>
          <p
            class="save-state"
            id="threshold-save-state"
            data-state={saveState()?.state}
            aria-live="polite"
          >
            {(() => {
              const s = saveState();
              return s === null
                ? `Version ${values().version}. Edit a value and press Enter to save it.`
                : s.state === 'refused'
                  ? s.message
                  : SAVE_TEXT[s.state];
            })()}
          </p>
        </form>
      )}
    </Show>
  );
}
