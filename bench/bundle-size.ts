/**
 * 6. Bundle size: minified (vite's production build, oxc minifier) + gzip (zlib level 9) of the
 * client runtime alone, the runtime with xstate left out (its own code), the Solid
 * layer, the real dashboard build, and socket.io-client and centrifuge built the same way; and the
 * client's floor in rungs (bench/bundle/floor-*.ts): xstate alone, + the statecharts, + the applier
 * and the WebSocket transport.
 * Each entry (bench/bundle/*.ts) exports its one API onto globalThis so nothing is tree-shaken away.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { build } from 'vite';
import { repoRoot } from './lib/proc.ts';
import { kb, table } from './lib/stats.ts';
import type { Bench } from './lib/types.ts';

interface Size {
  min: number;
  gzip: number;
}

const gz = (code: string | Uint8Array) => gzipSync(code, { level: 9 }).length;

/** Builds one entry to a single minified ES chunk (in memory) and sizes it. */
async function buildEntry(entry: string, external: (string | RegExp)[] = []): Promise<Size> {
  const output = await build({
    configFile: false,
    root: repoRoot,
    logLevel: 'silent',
    build: {
      write: false,
      minify: true,
      sourcemap: false,
      modulePreload: false,
      rollupOptions: {
        input: join(repoRoot, 'bench/bundle', entry),
        external,
        output: { format: 'es' },
      },
    },
  });
  const outputs = (Array.isArray(output) ? output : [output]).flatMap((o) =>
    'output' in o ? o.output : [],
  );
  const code = outputs
    .filter((o) => o.type === 'chunk')
    .map((o) => (o as { code: string }).code)
    .join('\n');
  return { min: Buffer.byteLength(code), gzip: gz(code) };
}

/** The real dashboard (vite.config.ts), built to a temporary directory: the JS a first visit loads, and the lazy chunks. */
async function buildDashboard(): Promise<{ initial: Size; lazy: Size; css: Size }> {
  const outDir = mkdtempSync(join(os.tmpdir(), 'tether-bundle-'));
  try {
    await build({
      root: repoRoot,
      logLevel: 'silent',
      build: { outDir, emptyOutDir: true, sourcemap: false },
    });
    const html = readFileSync(join(outDir, 'index.html'), 'utf8');
    const files = readdirSync(join(outDir, 'assets')).filter((f) =>
      statSync(join(outDir, 'assets', f)).isFile(),
    );
    const sum = (names: string[]): Size => {
      const texts = names.map((f) => readFileSync(join(outDir, 'assets', f)));
      return {
        min: texts.reduce((s, t) => s + t.length, 0),
        gzip: texts.reduce((s, t) => s + gz(t), 0),
      };
    };
    const js = files.filter((f) => f.endsWith('.js'));
    const initial = js.filter((f) => html.includes(f));
    return {
      initial: sum(initial),
      lazy: sum(js.filter((f) => !initial.includes(f))),
      css: sum(files.filter((f) => f.endsWith('.css'))),
    };
  } finally {
    rmSync(outDir, { recursive: true, force: true });
  }
}

export const bundleSize: Bench = async () => {
  const client = await buildEntry('tether-client.ts');
  const own = await buildEntry('tether-client.ts', ['xstate']);
  const solid = await buildEntry('tether-solid.ts', ['solid-js', 'solid-js/web']);
  const socketIo = await buildEntry('socket-io-client.ts');
  const centrifuge = await buildEntry('centrifuge.ts');
  const floor = {
    xstate: await buildEntry('floor-xstate.ts'),
    statecharts: await buildEntry('floor-statecharts.ts'),
    websocket: await buildEntry('floor-websocket.ts'),
  };
  const dashboard = await buildDashboard();
  const row = (name: string, size: Size, vs = client) => [
    name,
    kb(size.min),
    kb(size.gzip),
    `${(size.gzip / vs.gzip).toFixed(2)}×`,
  ];
  const body = [
    'Sizes are of one minified ES chunk per entry (vite 8 production build); gzip at level 9. Ratio = gzip size / the Tether client runtime.',
    '',
    table(
      ['bundle', 'minified', 'gzip', 'vs Tether client'],
      [
        row('Tether client runtime (createTetherClient, all deps)', client),
        row('… with xstate external (Tether’s own code)', own),
        row('… xstate alone (difference)', {
          min: client.min - own.min,
          gzip: client.gzip - own.gzip,
        }),
        row('Tether client + Solid hooks (solid-js external; no @xstate/solid any more)', solid),
        row('floor: the xstate API the client imports, alone', floor.xstate),
        row('floor: + the three statecharts and the sequence fold', floor.statecharts),
        row('floor: + the RFC 6902 applier and the WebSocket transport', floor.websocket),
        row('socket.io-client (io)', socketIo),
        row('centrifuge (Centrifuge)', centrifuge),
        row('dashboard: JS loaded on first visit', dashboard.initial),
        row('dashboard: other chunks (?inspect; the cross-tab worker)', dashboard.lazy),
        row('dashboard: CSS', dashboard.css),
      ],
    ),
    '',
    'Differences of gzip sizes are approximate (gzip is not additive).',
  ].join('\n');
  return { title: 'Bundle size', body };
};
