import { Show, createEffect, createSignal } from 'solid-js';
import type { FieldLimits } from '../../protocol/index.ts';
import './setting-input.css';

/** What the user is typing, and the value it started from (or was last saved as). */
interface Draft {
  text: string;
  base: number;
}

/** A same-field conflict to resolve: the value this user sent and the one the server holds. */
export interface FieldChoice {
  yours: number;
  theirs: number;
}

const parse = (text: string) => (text.trim() === '' ? NaN : Number(text));

/**
 * One editable number whose value can also change remotely. While it has focus or unsaved input
 * it holds a draft: remote changes show beside it ("Server now 75"), never in it. Enter (or Save)
 * saves the typed value, Esc (or Discard) drops it; leaving the field keeps unsaved input.
 */
export function SettingInput(props: {
  id: string;
  name: string;
  label: string;
  limits: FieldLimits;
  /** The value to show outside a draft: the server's, with this client's pending edits over it. */
  shown: number;
  /** The server's confirmed value. */
  server: number | undefined;
  onSave: (value: number) => void;
  /** Someone else changed the field before this user's edit arrived. */
  conflict?: FieldChoice | undefined;
  /** Resend `yours` against the position the form holds now. */
  onKeepMine?: (yours: number) => void;
  onTakeTheirs?: () => void;
}) {
  let input!: HTMLInputElement;
  const [draft, setDraft] = createSignal<Draft | null>(null);
  // The DOM holds the draft; only outside one does the shown value reach the input.
  createEffect(() => {
    const text = String(props.shown);
    if (draft() === null && input.value !== text) input.value = text;
  });

  const unsaved = () => {
    const d = draft();
    return d !== null && parse(d.text) !== d.base;
  };
  const focused = () => document.activeElement === input;
  // Still focused: a fresh draft from what is now shown, so later remote changes stay beside it.
  const discard = () => {
    setDraft(null);
    if (focused()) setDraft({ text: input.value, base: props.shown });
  };
  const save = () => {
    const value = parse(input.value);
    if (!Number.isFinite(value) || value === props.shown) return discard();
    props.onSave(value);
    setDraft(focused() ? { text: input.value, base: value } : null);
  };

  return (
    <div class="field" data-draft={draft() !== null ? (unsaved() ? 'unsaved' : 'focused') : null}>
      <label for={props.id}>{props.label}</label>
      <input
        ref={input}
        id={props.id}
        name={props.name}
        type="number"
        inputMode="decimal"
        min={props.limits.min}
        max={props.limits.max}
        step={props.limits.step}
        onFocus={() => draft() ?? setDraft({ text: input.value, base: props.shown })}
        onInput={() => setDraft({ text: input.value, base: draft()?.base ?? props.shown })}
        onBlur={() => unsaved() || setDraft(null)}
        onKeyDown={(e) => {
          if (e.key === 'Enter') {
            e.preventDefault();
            save();
          } else if (e.key === 'Escape' && unsaved()) {
            e.preventDefault();
            discard();
          }
        }}
      />
      <Show when={draft()}>
        {(d) => (
          <>
            {/* A conflict names the server's value already (and a hint vanishing on blur would move its buttons under the pointer). */}
            <Show when={props.shown !== d().base && !props.conflict}>
              <span class="hint remote" data-hint="remote">
                Server now {props.shown}
              </span>
            </Show>
            <Show when={unsaved()}>
              <span class="hint draft-actions">
                Not saved: Enter saves, Esc discards.
                <button type="button" class="button small" onClick={save}>
                  Save
                </button>
                <button type="button" class="button small" onClick={discard}>
                  Discard
                </button>
              </span>
            </Show>
          </>
        )}
      </Show>
      <Show when={props.conflict}>
        {(c) => (
          <span class="hint conflict" role="group" aria-label="Conflicting values">
            Changed meanwhile: yours {c().yours}, theirs {c().theirs}.
            <button
              type="button"
              class="button small"
              onClick={() => props.onKeepMine?.(c().yours)}
            >
              Keep mine
            </button>
            <button type="button" class="button small" onClick={() => props.onTakeTheirs?.()}>
              Take theirs
            </button>
          </span>
        )}
      </Show>
      <Show when={draft() === null && props.server !== undefined && props.server !== props.shown}>
        <span class="hint">Unconfirmed — server has {props.server}</span>
      </Show>
    </div>
  );
}
