import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { SqliteBroker } from '../../server/broker/sqlite-broker.ts';
import { StoreCorruptError } from '../../server/broker/sqlite-store.ts';
import { DataDirError, loadOrCreateSecret } from '../../server/data-dir.ts';
import { Hub } from '../../server/hub.ts';
import { ActionDispatcher, actionKey } from '../../server/actions.ts';

const dirs: string[] = [];
const brokers: SqliteBroker[] = [];
afterEach(async () => {
  for (const broker of brokers.splice(0)) await broker.close();
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'tether-sqlite-'));
  dirs.push(dir);
  return dir;
}

/** A hub on the store in `dataDir`, as a fresh process would build it. */
function open(dataDir: string, historyLength?: number): Hub {
  const broker = new SqliteBroker({ dataDir });
  brokers.push(broker);
  return new Hub({ broker, ...(historyLength !== undefined ? { historyLength } : {}) });
}

async function reopen(hub: Hub): Promise<void> {
  const broker = hub.broker as SqliteBroker;
  brokers.splice(brokers.indexOf(broker), 1);
  await broker.close();
}

describe('SqliteBroker', () => {
  it('keeps a topic’s epoch, seq, state and patch history across a restart', async () => {
    const dir = tempDir();
    const first = open(dir);
    const topic = first.defineTopic('counter', { initial: { n: 0, log: [] as number[] } });
    for (let n = 1; n <= 5; n++)
      first.publish('counter', [
        { op: 'replace', path: '/n', value: n },
        { op: 'add', path: '/log/-', value: n },
      ]);
    const { epoch } = topic;
    await reopen(first);

    const second = open(dir);
    const again = second.defineTopic('counter', { initial: { n: 0, log: [] as number[] } });
    expect(again.position).toEqual({ epoch, seq: 5 });
    expect(again.state).toEqual({ n: 5, log: [1, 2, 3, 4, 5] });
    // A client at seq 3 of that epoch resumes with the two patches after it, not a snapshot.
    const frames = again.framesSince({ epoch, seq: 3 }).map((f) => f.frame);
    expect(frames.map((f) => [f.type, f.seq])).toEqual([
      ['patch', 4],
      ['patch', 5],
    ]);
    // And publishing goes on from there.
    second.publish('counter', [{ op: 'replace', path: '/n', value: 6 }]);
    expect(again.position).toEqual({ epoch, seq: 6 });
  });

  it('stores the whole state now and then, keeps only the history asked for, and replays the rest', async () => {
    const dir = tempDir();
    const first = open(dir, 10);
    first.defineTopic('n', { initial: { n: 0 } });
    for (let n = 1; n <= 700; n++) first.publish('n', [{ op: 'replace', path: '/n', value: n }]);
    await reopen(first);

    const second = open(dir, 10);
    const topic = second.defineTopic('n', { initial: { n: 0 } });
    expect(topic.seq).toBe(700);
    expect(topic.state).toEqual({ n: 700 });
    expect(topic.framesSince({ epoch: topic.epoch, seq: 695 })).toHaveLength(5);
    // Older than the history: a snapshot.
    expect(topic.framesSince({ epoch: topic.epoch, seq: 100 })[0]?.frame.type).toBe('snapshot');
  });

  it('gives a new topic the hub’s epoch and keeps each stored topic’s own', async () => {
    const dir = tempDir();
    const first = open(dir);
    const a = first.defineTopic('a', { initial: 1 });
    await reopen(first);
    const second = open(dir);
    expect(second.defineTopic('a', { initial: 1 }).epoch).toBe(a.epoch);
    expect(second.defineTopic('b', { initial: 1 }).epoch).toBe(second.epoch);
    expect(second.epoch).not.toBe(a.epoch);
  });

  it('answers a resent action after a restart with its stored reply, without running it again', async () => {
    const dir = tempDir();
    let runs = 0;
    const define = (hub: Hub) =>
      hub.defineTopic('count', {
        initial: 0,
        onAction: (payload, { state }) => {
          runs++;
          return payload === 'refuse'
            ? { ok: false, code: 'no', message: 'refused' }
            : { ok: true, ops: [{ op: 'replace', path: '', value: state + 1 }] };
        },
      });
    const first = open(dir);
    define(first);
    const actions = new ActionDispatcher(first);
    expect(await actions.dispatch(action('a1'), 'http')).toEqual({ type: 'ack', id: 'a1' });
    expect(await actions.dispatch(action('a2', 'refuse'), 'http')).toMatchObject({ type: 'nack' });
    // A crash between the publish and the reply being recorded: the publish carries the ack.
    first.broker.duringAction({ key: actionKey(null, 'count', 'a3'), id: 'a3' }, () =>
      first.publish('count', [{ op: 'replace', path: '', value: 2 }]),
    );
    await reopen(first);

    const second = open(dir);
    const topic = define(second);
    const again = new ActionDispatcher(second);
    runs = 0;
    expect(await again.dispatch(action('a1'), 'websocket')).toEqual({ type: 'ack', id: 'a1' });
    expect(await again.dispatch(action('a2', 'refuse'), 'websocket')).toMatchObject({
      type: 'nack',
      code: 'no',
    });
    expect(await again.dispatch(action('a3'), 'websocket')).toEqual({ type: 'ack', id: 'a3' });
    expect(runs).toBe(0);
    expect(topic.state).toBe(2);
    expect(await again.dispatch(action('a4'), 'websocket')).toEqual({ type: 'ack', id: 'a4' });
    expect(runs).toBe(1);
    expect(topic.state).toBe(3);
  });

  it('creates its data directory for this user only', () => {
    const dir = join(tempDir(), 'nested', 'data');
    const broker = new SqliteBroker({ dataDir: dir });
    brokers.push(broker);
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    expect(broker.file).toBe(join(dir, 'tether.db'));
  });

  it('refuses a data directory that is a file, and a database that is not one', () => {
    const dir = tempDir();
    const file = join(dir, 'not-a-dir');
    writeFileSync(file, 'x');
    expect(() => new SqliteBroker({ dataDir: file })).toThrow(DataDirError);
    const corrupt = join(dir, 'corrupt');
    const broken = join(corrupt, 'tether.db');
    void new SqliteBroker({ dataDir: corrupt }).close();
    for (const extra of ['-wal', '-shm']) rmSync(broken + extra, { force: true });
    writeFileSync(broken, 'this is not an SQLite database, just some text that is long enough');
    expect(() => new SqliteBroker({ dataDir: corrupt })).toThrow(StoreCorruptError);
  });
});

describe('loadOrCreateSecret', () => {
  it('writes a secret readable by this user only and returns the same one next time', () => {
    const dir = tempDir();
    const secret = loadOrCreateSecret(dir, 32);
    expect(secret.length).toBeGreaterThanOrEqual(32);
    expect(statSync(join(dir, 'jwt-secret')).mode & 0o777).toBe(0o600);
    expect(loadOrCreateSecret(dir, 32)).toBe(secret);
  });

  it('refuses a secret file that is too short', () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'jwt-secret'), 'short\n');
    expect(() => loadOrCreateSecret(dir, 32)).toThrow(/fewer than 32/);
  });
});

function action(id: string, payload: unknown = 'add') {
  return { type: 'action' as const, id, topic: 'count', payload };
}
