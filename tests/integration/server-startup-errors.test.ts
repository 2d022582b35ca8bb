import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { tempDataDir } from '../fixtures/real-server.ts';

const repoRoot = fileURLToPath(new URL('../..', import.meta.url));

/** Runs the CLI until it exits by itself; its exit code and what it printed to stderr. */
function runCli(env: Record<string, string>): Promise<{ code: number | null; stderr: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'server/main.ts'], {
    cwd: repoRoot,
    env: { ...process.env, HOST: '127.0.0.1', PORT: '0', ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
  return new Promise((resolve) =>
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stderr });
    }),
  );
}

describe('the CLI refuses to start with one line that says what to do', () => {
  it('when the port is taken', async () => {
    const holder = createServer();
    await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', resolve));
    const { port } = holder.address() as AddressInfo;
    try {
      const { code, stderr } = await runCli({
        PORT: String(port),
        TETHER_DATA_DIR: tempDataDir(),
      });
      expect(code).toBe(1);
      expect(stderr.trim().split('\n')).toEqual([
        `tether: port ${port} on 127.0.0.1 is already in use; stop the program using it or set PORT (e.g. PORT=${port + 1})`,
      ]);
    } finally {
      holder.close();
    }
  }, 30_000);

  it('when the data directory cannot be used', async () => {
    const file = join(tempDataDir(), 'a-file');
    writeFileSync(file, 'not a directory');
    const { code, stderr } = await runCli({ TETHER_DATA_DIR: file });
    expect(code).toBe(1);
    const lines = stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(
      new RegExp(
        `^tether: cannot use the data directory ${file} \\(it is a file, not a directory\\); set TETHER_DATA_DIR to a directory this user can write \\(or :memory: to keep nothing\\)$`,
      ),
    );
  }, 30_000);

  it('when the database is corrupt', async () => {
    const dir = tempDataDir();
    mkdirSync(dir, { recursive: true });
    writeFileSync(
      join(dir, 'tether.db'),
      'this is not an SQLite database, just text. '.repeat(100),
    );
    const { code, stderr } = await runCli({ TETHER_DATA_DIR: dir });
    expect(code).toBe(1);
    expect(stderr.trim().split('\n')).toEqual([
      `tether: the database ${join(dir, 'tether.db')} cannot be read (file is not a database); restore a backup, or move the file away to start clean (docs/server.md § Data)`,
    ]);
  }, 30_000);
});
