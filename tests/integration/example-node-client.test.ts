import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { killSpawnedServers, spawnServer } from '../fixtures/real-server.ts';

// README's "client without the dashboard" example must keep working against the real server,
// through the package's public export `tether-live/client`.
const run = promisify(execFile);
const repoRoot = fileURLToPath(new URL('../..', import.meta.url));

describe('the Node client example', () => {
  afterAll(killSpawnedServers);

  it('follows a topic, sends an action and exits on its own after stop()', async () => {
    const server = await spawnServer({ TETHER_SAMPLE_MS: '200' });
    const { stdout } = await run(
      process.execPath,
      ['--import', 'tsx', 'examples/node-client/watch.ts', server.httpUrl, '2'],
      {
        cwd: repoRoot,
        timeout: 15_000,
        env: { ...process.env, TETHER_TOKEN: server.token },
      },
    );
    expect(stdout).toMatch(/^connection connecting$/m);
    expect(stdout).toMatch(/^connection connected$/m);
    expect(stdout).toMatch(/^cpu seq \d+ live: \d+\.\d %$/m);
    expect(stdout).toMatch(/^sent action \S+$/m);
    expect(stdout).not.toMatch(/refused/);
    // Exiting by itself (no timeout kill) shows stop() left no socket or timer behind.
    expect(stdout.trim().split('\n').at(-1)).toBe('connection closed');
  });
});
