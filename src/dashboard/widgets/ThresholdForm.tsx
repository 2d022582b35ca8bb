import { For, Show, createEffect, createMemo, createSignal, on } from 'solid-js';
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
import { SettingInput } from './SettingInput.tsx';

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
  // back long before the next poll brings the new version, and the value must not flicker back.
  const [acked, setAcked] = createSignal<ThresholdAction[]>([]);
  const [lastId, setLastId] = createSignal<string | null>(null);

  let wasPending = new Map<string, ThresholdAction>();
  createEffect(
    on(pending, (now) => {
      const refused = new Set(props.outbox.refused.map((r) => r.id));
      const stillPending = new Set(now.map((a) => a.id));
      const reflected = props.server?.version ?? -Infinity;
      const done = [...wasPending]
        .filter(
          ([id, payload]) =>
            !stillPending.has(id) && !refused.has(id) && payload.version >= reflected,
        )
        .map(([, payload]) => payload);
      if (done.length) setAcked((list) => [...list, ...done]);
      wasPending = new Map(now.map((a) => [a.id, a.payload]));
    }),
  );
  // Once the data has moved past an acked action's version, the data shows it: forget it.
  createEffect(() => {
    const version = props.server?.version;
    if (version !== undefined)
      setAcked((list) =>
        list.some((a) => a.version < version) ? list.filter((a) => a.version >= version) : list,
      );
  });

  const saveState = createMemo((): SaveState | null => {
    const id = lastId();
    if (id === null) return null;
    const refusal = props.outbox.refused.find((r) => r.id === id);
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
    return server && overlay(server, [...acked(), ...pending().map((a) => a.payload)]);
  });

  const save = (field: ThresholdField, value: number) => {
    const current = shown();
    if (!current) return;
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
