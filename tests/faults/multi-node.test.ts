import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { connectionView, createTetherClient } from '../../src/client/index.ts';
import type { LocalTetherClient } from '../../src/client/index.ts';
import type { PatchOperation } from '../../src/protocol/index.ts';
import { killSpawnedServers, spawnServer, startServer } from '../fixtures/real-server.ts';
import type { SpawnedServer, StartedServer } from '../fixtures/real-server.ts';
import { redisAvailability, startRedis } from '../fixtures/redis.ts';
import { Audit, FAST, countingWebSocket, sumAudits } from './client-harness.ts';
import { watchStream } from './stream-watch.ts';
import { startProxy } from './tcp-proxy.ts';

/**
 * The fault suite across nodes (issue 9): one Redis, two in-process nodes (A publishes and records
 * every committed state as the truth; B hosts the stream-watch bystander) and two CLI nodes (C, D)
 * that real clients reach through the fault-injecting TCP proxy. C and D are killed with SIGKILL
 * and restarted mid-stream while the proxy adds latency, black-holes and cuts frames. Every view a
 * client shows must equal A's committed state at that position, nothing may be applied twice or
 * out of order, everyone converges, and the bystander on B loses nothing.
 */

const redisCheck = redisAvailability();
const TOPICS = ['f.0', 'f.1', 'f.2'];
const WATCHED = 'watched.ticker';
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

let cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
  cleanups = [];
  await killSpawnedServers();
});

describe.skipIf(!redisCheck.available)('faults across nodes', () => {
  it(
    'keeps every client exact while nodes die, restart and the network misbehaves',
    { timeout: 90_000 },
    async () => {
      const redis = await startRedis();
      cleanups.push(() => redis.close());
      const dir = mkdtempSync(path.join(tmpdir(), 'tether-faults-'));
      cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
      const topicsFile = path.join(dir, 'topics.json');
      writeFileSync(
        topicsFile,
        JSON.stringify([
          ...TOPICS.map((name) => ({ name, initial: { n: 0, list: [] } })),
          { name: WATCHED, initial: { n: 0 } },
        ]),
      );

      const inProcess = async () => {
        const node = await startServer({ redisUrl: redis.url, onError: () => undefined });
        cleanups.push(() => node.close());
        for (const topic of TOPICS)
          node.server.defineTopic(topic, { initial: { n: 0, list: [] as number[] } });
        node.server.defineTopic(WATCHED, { initial: { n: 0 } });
        await node.server.ready();
        return node;
      };
      const [a, b] = [await inProcess(), await inProcess()];
      const cli = (port = 0) =>
        spawnServer({
          PORT: String(port),
          REDIS_URL: redis.url,
          TETHER_AUTH: 'off',
          TETHER_TOPICS: topicsFile,
          TETHER_SAMPLE_MS: '200',
        });
      let [c, d] = await Promise.all([cli(), cli()]);

      // The truth: every state A's replica passes through (A sees every committed frame, in order).
      const states = new Map<string, string>();
      const record = (name: string, epoch: string, seq: number, state: unknown) =>
        states.set(`${name}|${epoch}|${seq}`, JSON.stringify(state));
      for (const info of a.server.hub.list())
        record(info.name, info.epoch, info.seq, a.server.hub.topic(info.name)!.state);
      a.server.hub.onPublish((topic) => record(topic.name, topic.epoch, topic.seq, topic.state));
      a.server.hub.onReset((topic) => record(topic.name, topic.epoch, topic.seq, topic.state));
      const truth = (topic: string, epoch: string, seq: number) =>
        states.get(`${topic}|${epoch}|${seq}`);

      // The stream-watch bystander: published on A, observed on B.
      let lastWatched = 0;
      const bystanderNode = {
        ...b,
        server: {
          defineTopic: () => a.server.hub.topic(WATCHED)!,
          publish: (topic: string, ops: readonly PatchOperation[]) => {
            const frame = a.server.publish(topic, ops)!;
            lastWatched = frame.seq;
            return frame;
          },
          hub: { topic: () => ({ seq: lastWatched }) },
        },
      } as unknown as StartedServer;
      const bystander = await watchStream(bystanderNode, {
        topic: WATCHED,
        everyMs: 10,
        perTick: 1,
      });
      cleanups.push(() => bystander.stop());

      const proxy = await startProxy(c.port);
      cleanups.push(() => proxy.close());
      const clients: { client: LocalTetherClient; audits: Audit[] }[] = [];
      for (let i = 0; i < 4; i++) {
        const counting = countingWebSocket();
        const client = createTetherClient({
          url: proxy.httpUrl,
          WebSocket: counting.WebSocket,
          network: false,
          fetch: null,
          polling: false,
          ...FAST,
        });
        cleanups.push(() => client.stop());
        clients.push({
          client,
          audits: TOPICS.map((topic) => new Audit(client.subscribe(topic).ref, truth)),
        });
      }

      let n = 0;
      const publisher = setInterval(() => {
        n++;
        for (const topic of TOPICS) {
          const ops: PatchOperation[] = [
            { op: 'replace', path: '/n', value: n },
            { op: 'add', path: '/list/-', value: n },
          ];
          if ((a.server.hub.topic(topic)!.state as { list: number[] }).list.length >= 4)
            ops.push({ op: 'remove', path: '/list/0' });
          a.server.publish(topic, ops);
        }
      }, 10);
      cleanups.push(() => clearInterval(publisher));
      const allLive = () =>
        clients.every(({ audits }) => audits.every((audit) => audit.view.status === 'live'));
      await vi.waitFor(() => expect(allLive()).toBe(true), { timeout: 10_000 });

      const killAndMove = async (victim: SpawnedServer, to: SpawnedServer) => {
        proxy.retarget(to.port);
        victim.kill('SIGKILL');
        await victim.exited;
      };
      await sleep(400);
      proxy.latency(30, 20);
      await sleep(400);
      proxy.latency(0);
      await killAndMove(c, d); // clients on C lose their node mid-stream
      await sleep(800);
      c = await cli(c.port); // C comes back on its port, in the same epoch
      proxy.blackhole(true); // nothing passes: only heartbeats notice
      await sleep(1200);
      proxy.blackhole(false);
      await sleep(500);
      await killAndMove(d, c);
      await sleep(800);
      await proxy.cutMidFrame();
      await sleep(600);
      clearInterval(publisher);
      d = await cli(d.port);

      // Converged: every subscription live at A's position and equal to A's snapshot.
      await a.server.hub.update(TOPICS[0]!, () => ({ ok: true }));
      for (const { client, audits } of clients) {
        for (const audit of audits) {
          const topic = a.server.hub.topic(audit.view.topic)!;
          await vi.waitFor(
            () => {
              const { epoch, seq, status } = audit.view;
              expect(
                { status, epoch, seq },
                connectionView(client.actor.getSnapshot()).statePath,
              ).toEqual({ status: 'live', epoch: topic.epoch, seq: topic.seq });
            },
            { timeout: 15_000, interval: 20 },
          );
          expect(audit.view.data).toEqual(topic.snapshot().frame.data);
          expect(audit.problems).toEqual([]);
        }
      }
      const watched = await bystander.verify();
      const totals = sumAudits(clients.flatMap(({ audits }) => audits));
      expect(totals).toMatchObject({ duplicated: 0, reordered: 0, wrong: 0 });
      // Resumed, not refetched: a node's death does not cost a client a snapshot in the same epoch.
      expect(totals.jumps).toBe(0);
      expect(totals.views).toBeGreaterThan(100);
      console.log(
        `[faults] multi-node: 2 CLI nodes killed -9 (1 restarted mid-run), latency, black hole, cut frame; ` +
          `${clients.length} clients × ${TOPICS.length} topics, ${n} publish rounds, applied ${totals.applied}, views checked ${totals.views}, ` +
          `jumps ${totals.jumps}, duplicated ${totals.duplicated}, reordered ${totals.reordered}, wrong ${totals.wrong}; ` +
          `bystander on another node: ${watched.patches} patches, lost 0, duplicated 0, reordered 0`,
      );
    },
  );
});
