import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { killSpawnedServers, spawnServer, tempDataDir } from '../fixtures/real-server.ts';
import type { SpawnedServer } from '../fixtures/real-server.ts';
import { SOAK, scaled } from './budget.ts';

afterAll(killSpawnedServers);

const KEY = 'crash-test-publish-key-0123456789';
const CYCLES = scaled(20);
/** Requests in flight at once, per kind: enough that the kill lands mid-request. */
const PARALLEL = 3;

type Outcome = 'acked' | 'unknown';

/**
 * kill -9 during a burst of `POST /api/publish` and `POST /api/actions`, then a restart on the
 * same data directory, again and again. Every acknowledged publish and action must be there
 * exactly once; an action whose answer was lost is resent after the restart and must then be
 * there exactly once too (run before the crash, or now, never both).
 */
describe('the durable store under kill -9', () => {
  it(
    `loses and duplicates nothing acknowledged over ${CYCLES} kill -9 cycles`,
    async () => {
      const dataDir = tempDataDir();
      const topicsFile = join(dataDir, '..', `${dataDir.split('/').pop()}-topics.json`);
      writeFileSync(
        topicsFile,
        JSON.stringify([
          { name: 'crash.published', initial: { items: [] }, historyLength: 50 },
          { name: 'crash.acted', initial: { items: [] }, historyLength: 50, writable: true },
        ]),
      );
      const env = {
        TETHER_DATA_DIR: dataDir,
        TETHER_TOPICS: topicsFile,
        TETHER_PUBLISH_KEY: KEY,
        TETHER_SAMPLE_MS: '1000',
      };
      const published = new Map<string, Outcome>();
      const acted = new Map<string, Outcome>();
      let next = 0;
      const epochs = new Set<string>();
      let resent = 0;

      let server = await spawnServer(env);
      // The login token of the first start: the secret is kept, so it stays valid at every restart.
      const token = server.token!;
      const act = (target: SpawnedServer, id: string) => sendAction(target, token, id);
      for (let cycle = 0; cycle < CYCLES; cycle++) {
        // Actions whose answer the crash swallowed: resent now, answered from the store or run once.
        for (const [id, outcome] of acted) {
          if (outcome !== 'unknown') continue;
          const reply = await act(server, id);
          expect(reply, `resent action ${id}`).toMatchObject({ type: 'ack', id });
          acted.set(id, 'acked');
          resent++;
        }
        const burst = async (send: (id: string) => Promise<boolean>, log: Map<string, Outcome>) => {
          for (;;) {
            const id = `c${cycle}-${next++}`;
            log.set(id, 'unknown');
            if (!(await send(id).catch(() => false))) return;
            log.set(id, 'acked');
          }
        };
        const running = [
          ...Array.from({ length: PARALLEL }, () => burst((id) => publish(server, id), published)),
          ...Array.from({ length: PARALLEL }, () =>
            burst(async (id) => (await act(server, id)).type === 'ack', acted),
          ),
        ];
        await new Promise((resolve) => setTimeout(resolve, 150 + ((cycle * 37) % 200)));
        server.kill('SIGKILL');
        await server.exited;
        await Promise.all(running);

        server = await spawnServer(env);
        const publishedState = await stateOf(server, 'crash.published');
        const actedState = await stateOf(server, 'crash.acted');
        epochs.add(publishedState.epoch);
        check('publish', publishedState.items, published);
        check('action', actedState.items, acted);
      }
      expect(epochs.size, 'a restart keeps the epoch').toBe(1);
      const acked = [...published.values()].filter((o) => o === 'acked').length;
      expect(acked, 'publishes acknowledged before the kills').toBeGreaterThan(CYCLES * 5);
      // A resend of an action already answered gets the same answer and changes nothing.
      const [someId] = [...acted.keys()];
      expect(await act(server, someId!)).toEqual({ type: 'ack', id: someId });
      check('action', (await stateOf(server, 'crash.acted')).items, acted);
      console.log(
        `crash test: ${CYCLES} kill -9 cycles, ${acked} publishes and ${acted.size} actions acknowledged (${resent} resent after a lost answer): lost 0, duplicated 0`,
      );
      server.kill('SIGKILL');
      await server.exited;
    },
    180_000 * SOAK,
  );
});

/** Every acknowledged id present once, no id twice, nothing that was never sent. */
function check(kind: string, items: string[], sent: Map<string, Outcome>): void {
  const counts = new Map<string, number>();
  for (const id of items) counts.set(id, (counts.get(id) ?? 0) + 1);
  const duplicated = [...counts].filter(([, n]) => n > 1).map(([id]) => id);
  const lost = [...sent].filter(([id, o]) => o === 'acked' && !counts.has(id)).map(([id]) => id);
  const invented = items.filter((id) => !sent.has(id));
  expect({ kind, lost, duplicated, invented }).toEqual({
    kind,
    lost: [],
    duplicated: [],
    invented: [],
  });
}

async function publish(server: SpawnedServer, id: string): Promise<boolean> {
  const response = await fetch(`${server.httpUrl}/api/publish`, {
    method: 'POST',
    headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' },
    body: JSON.stringify({
      topic: 'crash.published',
      ops: [{ op: 'add', path: '/items/-', value: id }],
    }),
  });
  return response.ok && ((await response.json()) as { type: string }).type === 'published';
}

async function sendAction(
  server: SpawnedServer,
  token: string,
  id: string,
): Promise<{ type: string; id?: string }> {
  const response = await fetch(`${server.httpUrl}/api/actions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({
      type: 'action',
      id,
      topic: 'crash.acted',
      payload: { ops: [{ op: 'add', path: '/items/-', value: id }] },
    }),
  });
  return (await response.json()) as { type: string; id?: string };
}

async function stateOf(
  server: SpawnedServer,
  topic: string,
): Promise<{ epoch: string; items: string[] }> {
  const response = await fetch(`${server.httpUrl}/api/poll?topic=${topic}`, {
    headers: { authorization: `Bearer ${KEY}` },
  });
  const { frames } = (await response.json()) as {
    frames: { type: string; epoch: string; data: { items: string[] } }[];
  };
  const snapshot = frames.find((frame) => frame.type === 'snapshot')!;
  return { epoch: snapshot.epoch, items: snapshot.data.items };
}
