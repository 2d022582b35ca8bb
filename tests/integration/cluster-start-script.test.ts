import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { openClient } from '../fixtures/real-server.ts';
import type { TestClient } from '../fixtures/real-server.ts';
import { redisAvailability } from '../fixtures/redis.ts';

/** `npm run start:cluster` (server/cluster/start-cluster.ts, without the build): it comes up, serves through its proxy, and Ctrl-C stops everything. */

const redisCheck = redisAvailability();
const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
let script: ChildProcess | undefined;
let client: TestClient | undefined;
afterEach(() => {
  client?.ws.terminate();
  script?.kill('SIGKILL');
});

describe.skipIf(!redisCheck.available)('npm run start:cluster', () => {
  it(
    'starts Redis, two nodes and a proxy, serves the dashboard topics through it, and stops cleanly on SIGINT',
    { timeout: 40_000 },
    async () => {
      script = spawn(process.execPath, ['--import', 'tsx', 'server/cluster/start-cluster.ts'], {
        cwd: repoRoot,
        env: {
          ...process.env,
          PORT: '0',
          TETHER_NODES: '2',
          TETHER_SAMPLE_MS: '100',
          REDIS_URL: '',
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let output = '';
      script.stdout!.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
      script.stderr!.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
      const exited = new Promise<number | null>((resolve) =>
        script!.once('exit', (code) => resolve(code)),
      );
      const login = await new Promise<RegExpExecArray>((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`no login line within 30 s:\n${output}`)),
          30_000,
        );
        script!.stdout!.on('data', () => {
          const match = /tether login \(.*\): http:\/\/127\.0\.0\.1:(\d+)\/#token=(\S+)/.exec(
            output,
          );
          if (match) {
            clearTimeout(timer);
            resolve(match);
          }
        });
      });
      const [, port, token] = login;
      expect(output).toMatch(/tether cluster: 2 nodes .* sharing redis:\/\/127\.0\.0\.1:\d+/);
      expect((await fetch(`http://127.0.0.1:${port}/healthz`)).status).toBe(200);
      // The token works on whichever node the proxy picks.
      for (let i = 0; i < 2; i++) {
        client?.ws.terminate();
        client = await openClient(`ws://127.0.0.1:${port}/ws`);
        client.send({ type: 'hello', token });
        expect(await client.take()).toMatchObject({ type: 'welcome' });
        client.send({ type: 'subscribe', topic: 'host.cpu' });
        expect(await client.take()).toMatchObject({ type: 'snapshot', topic: 'host.cpu' });
      }
      const pids = [...output.matchAll(/pid (\d+)/g)].map((match) => Number(match[1]));
      expect(pids).toHaveLength(3); // two nodes and redis-server
      script.kill('SIGINT');
      expect(await exited).toBe(0);
      for (const pid of pids)
        expect(() => process.kill(pid, 0), `pid ${pid} still running`).toThrow(); // all gone
    },
  );
});
