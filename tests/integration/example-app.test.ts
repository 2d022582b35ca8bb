import { execFile, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { openClient } from '../fixtures/real-server.ts';

// examples/custom-topic is an app that uses Tether the way an outside project would: through the
// package's public exports only. These tests keep it that way, and keep it building and running.

const run = promisify(execFile);
const root = fileURLToPath(new URL('../..', import.meta.url));
const example = join(root, 'examples/custom-topic');
const outDir = mkdtempSync(join(tmpdir(), 'tether-example-'));
afterAll(() => rmSync(outDir, { recursive: true, force: true }));

const PUBLIC = ['tether-live/client', 'tether-live/solid', 'tether-live/server'];
/** Third-party packages the example may use besides Tether. */
const PACKAGES = ['solid-js', 'solid-js/web', 'vite', 'vite-plugin-solid'];

function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  return [
    ...text.matchAll(/(?:^|\n)\s*(?:import|export)\s(?:[^'"]*?\sfrom\s)?['"]([^'"]+)['"]/g),
    ...text.matchAll(/import\(\s*['"]([^'"]+)['"]\s*\)/g),
  ].map((m) => m[1]!);
}

describe('examples/custom-topic', () => {
  it('imports Tether only through its public exports', () => {
    const files = readdirSync(example).filter((name) => /\.(ts|tsx)$/.test(name));
    expect(files).toEqual(expect.arrayContaining(['main.tsx', 'server.ts', 'topics.ts']));
    const crossing: string[] = [];
    const tether = new Set<string>();
    for (const name of files) {
      for (const spec of importsOf(join(example, name))) {
        if (spec.startsWith('.')) {
          if (relative(example, resolve(dirname(join(example, name)), spec)).startsWith('..'))
            crossing.push(`${name}: ${spec}`);
        } else if (spec.startsWith('tether')) {
          if (PUBLIC.includes(spec)) tether.add(spec);
          else crossing.push(`${name}: ${spec}`);
        } else if (!spec.startsWith('node:') && !PACKAGES.includes(spec))
          crossing.push(`${name}: ${spec}`);
      }
    }
    expect(crossing).toEqual([]);
    expect([...tether].sort()).toEqual([...PUBLIC].sort());
  });

  it(
    'type-checks against the exported types and builds with Vite',
    { timeout: 120_000 },
    async () => {
      const tsc = join(root, 'node_modules/typescript/bin/tsc');
      await run(process.execPath, [tsc, '--noEmit', '-p', join(example, 'tsconfig.json')], {
        cwd: root,
      });
      const vite = join(root, 'node_modules/vite/bin/vite.js');
      await run(
        process.execPath,
        [
          vite,
          'build',
          '--config',
          join(example, 'vite.config.ts'),
          '--outDir',
          outDir,
          '--emptyOutDir',
          '--logLevel',
          'warn',
        ],
        { cwd: root },
      );
      expect(existsSync(join(outDir, 'index.html'))).toBe(true);
      const assets = readdirSync(join(outDir, 'assets'));
      expect(assets.some((name) => name.endsWith('.js'))).toBe(true);
      // The client runtime and the hooks are in the bundle (not left as bare imports).
      const bundle = assets
        .filter((name) => name.endsWith('.js'))
        .map((name) => readFileSync(join(outDir, 'assets', name), 'utf8'))
        .join('\n');
      expect(bundle).not.toMatch(/from\s*["']tether-live\//);
      expect(bundle).toContain('Tether hooks need a <TetherProvider');
    },
  );

  it(
    'runs its server: the custom topic publishes, and the app’s own route sits next to Tether’s',
    { timeout: 30_000 },
    async () => {
      const child = spawn(process.execPath, ['--import', 'tsx', join(example, 'server.ts')], {
        cwd: root,
        env: { ...process.env, PORT: '0', SAMPLE_MS: '50' },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      const exited = new Promise<number | null>((done) => child.once('exit', (code) => done(code)));
      try {
        let output = '';
        const httpUrl = await new Promise<string>((done, fail) => {
          const timer = setTimeout(
            () => fail(new Error(`example server did not start:\n${output}`)),
            20_000,
          );
          const read = (chunk: Buffer) => {
            output += String(chunk);
            const match = /on (http:\/\/127\.0\.0\.1:\d+)/.exec(output);
            if (match) {
              clearTimeout(timer);
              done(match[1]!);
            }
          };
          child.stdout.on('data', read);
          child.stderr.on('data', read);
        });
        const client = await openClient(`${httpUrl.replace('http', 'ws')}/ws`);
        client.send({ type: 'subscribe', topic: 'orders.perMinute' });
        await client.take((f) => f.type === 'snapshot');
        expect((await fetch(`${httpUrl}/orders`, { method: 'POST' })).status).toBe(202);
        const patch = await client.take<{
          ops: { op: string; path: string; value: { t: number; count: number } }[];
        }>((f) => f.type === 'patch');
        expect(patch.ops[0]).toMatchObject({
          op: 'add',
          path: '/samples/-',
          value: { t: expect.any(Number), count: expect.any(Number) },
        });
        expect(await (await fetch(`${httpUrl}/healthz`)).json()).toEqual({ ok: true });
        client.ws.close();
      } finally {
        child.kill('SIGTERM');
        await exited;
      }
    },
  );
});
