import { cleanup, fireEvent, render, screen, within } from '@solidjs/testing-library';
import { createSignal } from 'solid-js';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { OutboxView } from '../../src/client/view-types.ts';
import type { ThresholdAction, Thresholds } from '../../src/dashboard/optimistic.ts';
import { ThresholdForm } from '../../src/dashboard/widgets/ThresholdForm.tsx';

const TOPIC = 'alerts.thresholds';
const SERVER: Thresholds = { version: 3, cpuPercent: 90, memoryPercent: 85, load1: 4 };

/** The form with server data and an outbox view the test drives, and a `send` that queues. */
function setup(initialBase?: { epoch: string; seq: number }) {
  const [server, setServer] = createSignal<Thresholds | undefined>(SERVER);
  const [base, setBase] = createSignal(initialBase);
  const [outbox, setOutbox] = createSignal<OutboxView>({ pending: [], refused: [] });
  const send = vi.fn((topic: string, payload: ThresholdAction) => {
    const id = `a${send.mock.calls.length}`;
    setOutbox((o) => ({ ...o, pending: [...o.pending, { id, topic, payload, state: 'queued' }] }));
    return id;
  });
  render(() => <ThresholdForm server={server()} base={base()} outbox={outbox()} send={send} />);
  const field = (name: string) => screen.getByLabelText<HTMLInputElement>(name, { exact: false });
  /** Types `value` into the field (focused), without saving. */
  const type = (name: string, value: string) => {
    field(name).focus();
    field(name).value = value;
    fireEvent.input(field(name));
  };
  const pressKey = (name: string, key: string) => fireEvent.keyDown(field(name), { key });
  /** Types and presses Enter, as a person saves a value. */
  const edit = (name: string, value: string) => {
    type(name, value);
    pressKey(name, 'Enter');
  };
  const saveState = () => document.querySelector('.save-state')!.textContent;
  return {
    server,
    setServer,
    setBase,
    outbox,
    setOutbox,
    send,
    field,
    type,
    pressKey,
    edit,
    saveState,
  };
}

describe('ThresholdForm', () => {
  afterEach(cleanup);

  it('shows an edit at once and sends it with the version it was made from', () => {
    const t = setup();
    expect(t.field('CPU').value).toBe('90');
    t.edit('CPU', '70');
    expect(t.send).toHaveBeenCalledWith(TOPIC, { version: 3, set: { cpuPercent: 70 } });
    expect(t.field('CPU').value).toBe('70');
    t.field('CPU').blur();
    expect(screen.getByText('Unconfirmed — server has 90')).toBeTruthy();
  });

  it('sends an edit against the position it was made at, naming the one field it changes', () => {
    const base = { epoch: 'e1', seq: 12 };
    const t = setup(base);
    t.edit('Load', '5');
    expect(t.send).toHaveBeenCalledWith(
      TOPIC,
      { version: 3, set: { load1: 5 } },
      { base, fields: ['/load1'] },
    );
  });

  it('walks through queued (offline) → sending → saved as the outbox reports', () => {
    const t = setup();
    t.edit('Memory', '60');
    expect(t.saveState()).toContain('Queued (offline)');
    t.setOutbox((o) => ({
      ...o,
      pending: o.pending.map((a) => ({ ...a, state: 'sent' as const })),
    }));
    expect(t.saveState()).toBe('Sending…');
    // The server publishes version 4, then acks: the pending action leaves the outbox.
    t.setServer({ ...SERVER, version: 4, memoryPercent: 60 });
    t.setOutbox({ pending: [], refused: [] });
    expect(t.saveState()).toBe('Saved');
    expect(t.field('Memory').value).toBe('60');
  });

  it('keeps an acked value on screen until the data catches up (ack before the next poll)', () => {
    const t = setup();
    t.edit('CPU', '75');
    t.field('CPU').blur();
    t.setOutbox({ pending: [], refused: [] }); // acked over HTTP; the new version is not polled yet
    expect(t.field('CPU').value).toBe('75');
    t.setServer({ ...SERVER, version: 4, cpuPercent: 75 });
    expect(t.field('CPU').value).toBe('75');
    t.setServer({ ...SERVER, version: 5, cpuPercent: 95 }); // someone else changed it later
    expect(t.field('CPU').value).toBe('95');
  });

  it('rolls back to the server value when the action is refused, and says why', () => {
    const t = setup();
    t.edit('CPU', '150');
    t.field('CPU').blur();
    expect(t.field('CPU').value).toBe('150');
    const [action] = t.outbox().pending;
    t.setOutbox({
      pending: [],
      refused: [
        { ...action!, code: 'out_of_range', message: 'cpuPercent must be 1–100', at: Date.now() },
      ],
    });
    expect(t.field('CPU').value).toBe('90');
    expect(t.saveState()).toContain('out_of_range');
    expect(t.saveState()).toContain('cpuPercent must be 1–100');
  });

  it('makes a second edit from the version the first one will produce', () => {
    const t = setup();
    t.edit('CPU', '70');
    t.edit('Load', '2.5');
    expect(t.send).toHaveBeenLastCalledWith(TOPIC, { version: 4, set: { load1: 2.5 } });
    expect(t.field('CPU').value).toBe('70');
    expect(t.field('Load').value).toBe('2.5');
  });

  it('sends nothing for an unchanged or empty value', () => {
    const t = setup();
    t.edit('CPU', '90');
    t.edit('CPU', '');
    expect(t.send).not.toHaveBeenCalled();
    expect(t.field('CPU').value).toBe('90');
  });

  it('never overwrites a draft: a remote change shows beside it, and Enter saves the typed value', () => {
    const t = setup();
    t.type('CPU', '70');
    t.setServer({ ...SERVER, version: 4, cpuPercent: 75 });
    expect(t.field('CPU').value).toBe('70');
    expect(screen.getByText('Server now 75')).toBeTruthy();
    t.pressKey('CPU', 'Enter');
    // Made from the version that already holds 75: the user saw it and chose 70.
    expect(t.send).toHaveBeenCalledWith(TOPIC, { version: 4, set: { cpuPercent: 70 } });
    expect(t.field('CPU').value).toBe('70');
    expect(screen.queryByText(/Server now/)).toBeNull();
  });

  it('keeps a focused field as it is, even without typing, until it is left', () => {
    const t = setup();
    t.field('Memory').focus();
    t.setServer({ ...SERVER, version: 4, memoryPercent: 60 });
    expect(t.field('Memory').value).toBe('85');
    expect(screen.getByText('Server now 60')).toBeTruthy();
    t.field('Memory').blur();
    expect(t.field('Memory').value).toBe('60');
    expect(screen.queryByText(/Server now/)).toBeNull();
  });

  it('keeps unsaved input when the field is left; Discard (or Esc) shows the server value', () => {
    const t = setup();
    t.type('Load', '3');
    t.field('Load').blur();
    t.setServer({ ...SERVER, version: 4, load1: 6 });
    expect(t.field('Load').value).toBe('3');
    expect(screen.getByText('Server now 6')).toBeTruthy();
    expect(screen.getByText(/Not saved/)).toBeTruthy();
    fireEvent.click(screen.getByRole('button', { name: 'Discard' }));
    expect(t.field('Load').value).toBe('6');
    expect(t.send).not.toHaveBeenCalled();

    t.type('Load', '8');
    t.pressKey('Load', 'Escape');
    expect(t.field('Load').value).toBe('6');
    t.type('Load', '7');
    fireEvent.click(screen.getByRole('button', { name: 'Save' }));
    expect(t.send).toHaveBeenCalledWith(TOPIC, { version: 4, set: { load1: 7 } });
  });

  it('takes min, max and step from the protocol limits the server checks', () => {
    const t = setup();
    const cpu = t.field('CPU');
    expect([cpu.min, cpu.max, cpu.step]).toEqual(['1', '100', 'any']);
    cpu.value = '85.5';
    expect(cpu.checkValidity()).toBe(true);
    const hold = t.field('Hold');
    expect([hold.min, hold.max, hold.step]).toEqual(['1', '60', '1']);
    expect(hold.value).toBe('3'); // the default, for a state saved before hold existed
    hold.value = '2.5';
    expect(hold.checkValidity()).toBe(false);
    t.edit('CPU', '85.5');
    expect(t.send).toHaveBeenCalledWith(TOPIC, { version: 3, set: { cpuPercent: 85.5 } });
  });

  /** The server refuses the last sent action: `cpuPercent` became `theirs` since its base. */
  function conflictOnCpu(t: ReturnType<typeof setup>, theirs: number) {
    const action = t.outbox().pending.at(-1)!;
    t.setServer({ ...SERVER, version: 4, cpuPercent: theirs });
    t.setBase({ epoch: 'e1', seq: 13 });
    t.setOutbox({
      pending: [],
      refused: [
        {
          ...action,
          code: 'conflict',
          message: '/cpuPercent changed since seq 3',
          conflicts: [{ path: '/cpuPercent', value: theirs }],
          at: Date.now(),
        },
      ],
    });
  }

  it('shows both values of a same-field conflict; "Keep mine" sends mine again against the new base', () => {
    const t = setup({ epoch: 'e1', seq: 12 });
    t.edit('CPU', '70');
    t.field('CPU').blur();
    conflictOnCpu(t, 75);
    expect(t.field('CPU').value).toBe('75');
    const choice = within(t.field('CPU').closest('.field')!).getByRole('group', {
      name: 'Conflicting values',
    });
    expect(choice.textContent).toContain('yours 70, theirs 75');
    expect(t.saveState()).toContain('keep yours or take theirs');
    fireEvent.click(within(choice).getByRole('button', { name: 'Keep mine' }));
    expect(t.send).toHaveBeenLastCalledWith(
      TOPIC,
      { version: 4, set: { cpuPercent: 70 } },
      { base: { epoch: 'e1', seq: 13 }, fields: ['/cpuPercent'] },
    );
    expect(t.field('CPU').value).toBe('70');
    expect(screen.queryByRole('group', { name: /Conflict/ })).toBeNull();
  });

  it('"Take theirs" keeps the server value and sends nothing', () => {
    const t = setup();
    t.edit('CPU', '70');
    t.field('CPU').blur();
    conflictOnCpu(t, 75);
    fireEvent.click(screen.getByRole('button', { name: 'Take theirs' }));
    expect(t.send).toHaveBeenCalledTimes(1);
    expect(t.field('CPU').value).toBe('75');
    expect(screen.queryByRole('group', { name: /Conflict/ })).toBeNull();
  });

  it('keeps a pending edit on screen when another field changes meanwhile', () => {
    const t = setup();
    t.edit('CPU', '70');
    t.field('CPU').blur();
    t.setServer({ ...SERVER, version: 4, memoryPercent: 60 }); // someone else, another field
    expect(t.field('CPU').value).toBe('70');
    expect(t.field('Memory').value).toBe('60');
  });
});
