import { cleanup, fireEvent, render, screen } from '@solidjs/testing-library';
import { createSignal } from 'solid-js';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { OutboxView } from '../../src/client/view-types.ts';
import type { ThresholdAction, Thresholds } from '../../src/dashboard/optimistic.ts';
import { ThresholdForm } from '../../src/dashboard/widgets/ThresholdForm.tsx';

const TOPIC = 'alerts.thresholds';
const SERVER: Thresholds = { version: 3, cpuPercent: 90, memoryPercent: 85, load1: 4 };

/** The form with server data and an outbox view the test drives, and a `send` that queues. */
function setup(base?: { epoch: string; seq: number }) {
  const [server, setServer] = createSignal<Thresholds | undefined>(SERVER);
  const [outbox, setOutbox] = createSignal<OutboxView>({ pending: [], refused: [] });
  const send = vi.fn((topic: string, payload: ThresholdAction) => {
    const id = `a${send.mock.calls.length}`;
    setOutbox((o) => ({ ...o, pending: [...o.pending, { id, topic, payload, state: 'queued' }] }));
    return id;
  });
  render(() => <ThresholdForm server={server()} base={base} outbox={outbox()} send={send} />);
  const field = (name: string) => screen.getByLabelText<HTMLInputElement>(name, { exact: false });
  const edit = (name: string, value: string) => {
    field(name).value = value;
    fireEvent.change(field(name));
  };
  const saveState = () => document.querySelector('.save-state')!.textContent;
  return { server, setServer, outbox, setOutbox, send, field, edit, saveState };
}

describe('ThresholdForm', () => {
  afterEach(cleanup);

  it('shows an edit at once and sends it with the version it was made from', () => {
    const t = setup();
    expect(t.field('CPU').value).toBe('90');
    t.edit('CPU', '70');
    expect(t.send).toHaveBeenCalledWith(TOPIC, { version: 3, set: { cpuPercent: 70 } });
    expect(t.field('CPU').value).toBe('70');
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
});
