import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { killSpawnedServers, spawnServer } from '../fixtures/real-server.ts';
import type { SpawnedServer } from '../fixtures/real-server.ts';

// The CLI with the docs' own example files (docs/examples/): extra topics from TETHER_TOPICS, the
// dashboard from TETHER_DASHBOARD, fed by the example scripts with TETHER_PUBLISH_KEY. If the docs'
// examples stop working, this fails.

const run = promisify(execFile);
const root = fileURLToPath(new URL('../..', import.meta.url));
const examples = join(root, 'docs/examples');
const KEY = 'cli-test-publish-key-0123456789abcdef';
const scratch = mkdtempSync(join(tmpdir(), 'tether-cli-'));

afterEach(killSpawnedServers);
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const env = {
  TETHER_TOPICS: join(examples, 'topics.json'),
  TETHER_DASHBOARD: join(examples, 'dashboard.json'),
  TETHER_PUBLISH_KEY: KEY,
  TETHER_SAMPLE_MS: '1000',
};

async function snapshot(server: SpawnedServer, topic: string) {
  const { frames } = (await (
    await fetch(`${server.httpUrl}/api/poll?topic=${topic}`, { headers: server.authHeaders })
  ).json()) as { frames: { type: string; seq: number; data: unknown }[] };
  return frames[0]!;
}

describe('the CLI with custom topics', () => {
  it('defines the topics of TETHER_TOPICS next to the host metrics, serves TETHER_DASHBOARD, and takes publishes with the key', async () => {
    const server = await spawnServer(env);
    const { topics } = (await (
      await fetch(`${server.httpUrl}/api/topics`, { headers: server.authHeaders })
    ).json()) as { topics: { name: string }[] };
    expect(topics.map((t) => t.name)).toEqual(
      expect.arrayContaining(['host.cpu', 'alerts.feed', 'orders.perMinute', 'deploys']),
    );
    expect(await (await fetch(`${server.httpUrl}/dashboard.json`)).json()).toEqual(
      JSON.parse(readFileSync(env.TETHER_DASHBOARD, 'utf8')),
    );

    // docs/examples/publish-orders.mjs, three times, fast.
    const node = await run(process.execPath, [join(examples, 'publish-orders.mjs')], {
      env: {
        ...process.env,
        TETHER_URL: server.httpUrl,
        TETHER_PUBLISH_KEY: KEY,
        ORDERS_COUNT: '3',
        ORDERS_INTERVAL_MS: '10',
      },
    });
    expect(node.stdout).toMatch(
      /^seq 1: \d+ orders\/min\nseq 2: \d+ orders\/min\nseq 3: \d+ orders\/min\n$/,
    );
    const orders = await snapshot(server, 'orders.perMinute');
    expect(orders.seq).toBe(3);
    expect(
      (orders.data as { samples: { t: number; count: number; revenue: number }[] }).samples,
    ).toEqual([
      expect.objectContaining({
        t: expect.any(Number),
        count: expect.any(Number),
        revenue: expect.any(Number),
      }),
      expect.anything(),
      expect.anything(),
    ]);

    // docs/examples/publish-orders.sh (curl).
    const curl = await run('sh', [join(examples, 'publish-orders.sh'), '17'], {
      env: { ...process.env, TETHER_URL: server.httpUrl, TETHER_PUBLISH_KEY: KEY },
    });
    expect(
      curl.stdout
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line) as unknown),
    ).toEqual([
      { type: 'published', topic: 'orders.perMinute', epoch: expect.any(String), seq: 4 },
      { type: 'published', topic: 'deploys', epoch: expect.any(String), seq: 1 },
    ]);
    expect((await snapshot(server, 'deploys')).data).toEqual({
      items: [{ t: expect.any(Number), level: 'info', message: 'checkout v42 deployed' }],
    });

    // The curl script reports a refusal and fails.
    await expect(
      run('sh', [join(examples, 'publish-orders.sh')], {
        env: {
          ...process.env,
          TETHER_URL: server.httpUrl,
          TETHER_PUBLISH_KEY: 'wrong-key-0123456789abcdef',
        },
      }),
    ).rejects.toMatchObject({
      stdout: expect.stringContaining('"code":"unauthorized"'),
    });
  });

  it('keeps publishing disabled without TETHER_PUBLISH_KEY', async () => {
    const server = await spawnServer({ TETHER_TOPICS: env.TETHER_TOPICS });
    const res = await fetch(`${server.httpUrl}/api/publish`, {
      method: 'POST',
      body: JSON.stringify({ topic: 'deploys', data: { items: [] } }),
    });
    expect(res.status).toBe(403);
    // Without TETHER_DASHBOARD the built-in host-metrics dashboard is served.
    expect(
      ((await (await fetch(`${server.httpUrl}/dashboard.json`)).json()) as { widgets: unknown[] })
        .widgets,
    ).toContainEqual({ view: 'cpu' });
  });

  it.each([
    [
      'a missing topics file',
      { TETHER_TOPICS: join(scratch, 'nope.json') },
      /TETHER_TOPICS: cannot read .*nope\.json: ENOENT/,
    ],
    [
      'a topic without initial state',
      { TETHER_TOPICS: write('no-initial.json', [{ name: 'x' }]) },
      /TETHER_TOPICS: .*no-initial\.json: 0\.initial: Invalid key: Expected "initial" but received undefined/,
    ],
    [
      'a misspelt option',
      { TETHER_TOPICS: write('typo.json', [{ name: 'x', initial: 1, writeable: true }]) },
      /0\.writeable: unknown field/,
    ],
    [
      'a topic the CLI already has',
      { TETHER_TOPICS: write('clash.json', [{ name: 'host.cpu', initial: {} }]) },
      /TETHER_TOPICS: topic "host\.cpu" is already defined/,
    ],
    [
      'an invalid dashboard',
      { TETHER_DASHBOARD: write('dash.json', { widgets: [{ view: 'number', topic: 'x' }] }) },
      /TETHER_DASHBOARD: .*dash\.json: widgets\.0\.title: /,
    ],
    [
      'a dashboard that is not JSON',
      { TETHER_DASHBOARD: writeText('dash.txt', 'widgets: []') },
      /TETHER_DASHBOARD: .*dash\.txt is not valid JSON/,
    ],
    [
      'a short publish key',
      { TETHER_PUBLISH_KEY: 'secret' },
      /TETHER_PUBLISH_KEY must be one or more comma-separated keys of at least 16/,
    ],
  ])('stops with exit code 2 and says why on %s', async (_what, extra, message) => {
    const failure = await spawnServer(extra).then(
      () => null,
      (error: unknown) => (error as Error).message,
    );
    expect(failure).toMatch(/server exited with 2 before listening/);
    expect(failure).toMatch(message);
  });
});

function write(name: string, value: unknown): string {
  return writeText(name, JSON.stringify(value));
}

function writeText(name: string, text: string): string {
  const path = join(scratch, name);
  writeFileSync(path, text);
  return path;
}
