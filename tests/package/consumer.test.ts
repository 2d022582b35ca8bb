/**
 * The package as an app gets it: `npm pack` (which builds lib/ through `prepare`), the tarball
 * installed into a fresh app outside the repository, then used from plain Node, type-checked
 * under three consumer configs, bundled by Vite (a Solid page) and by webpack 5 (a plain page)
 * into pages that run in Chromium, and linted by publint and arethetypeswrong.
 */
import { execFile, spawn } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { Browser } from 'playwright-core';
import { build } from 'vite';
import webpack, { type Stats } from 'webpack';
import solid from 'vite-plugin-solid';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { browserAvailability, launchChromium } from '../e2e/browser.ts';

const run = promisify(execFile);
const root = fileURLToPath(new URL('../..', import.meta.url));
const bin = (path: string) => join(root, 'node_modules', path);
const scratch = mkdtempSync(join(tmpdir(), 'tether-package-'));
const app = join(scratch, 'app');
let tarball = '';

/** What the app installs besides the tarball, at the repo's versions so the npm cache has them. */
function appDependencies(): string[] {
  const { devDependencies } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
    devDependencies: Record<string, string>;
  };
  return ['xstate', 'ws', 'solid-js', '@types/node'].map((name) => {
    const version = devDependencies[name];
    if (!version) throw new Error(`package.json has no devDependency ${name}`);
    return `${name}@${version}`;
  });
}

const npm = (args: string[], cwd: string) =>
  run('npm', [...args, '--prefer-offline', '--no-audit', '--no-fund'], {
    cwd,
    maxBuffer: 16 * 1024 * 1024,
  });

beforeAll(async () => {
  const { stdout } = await npm(['pack', '--json', '--pack-destination', scratch], root);
  const [packed] = JSON.parse(stdout.slice(stdout.indexOf('['))) as {
    filename: string;
    size: number;
    files: { path: string }[];
  }[];
  tarball = join(scratch, packed!.filename);
  console.log(
    `[package] ${packed!.filename}: ${packed!.files.length} files, ${packed!.size} bytes`,
  );
  cpSync(join(root, 'tests/package/app'), app, { recursive: true });
  writeFileSync(
    join(app, 'package.json'),
    JSON.stringify({ name: 'consumer', private: true, type: 'module' }),
  );
  await npm(['install', tarball, ...appDependencies()], app);
}, 240_000);

afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe('the packed tarball', () => {
  it('holds only lib/, the license, the readme and package.json', async () => {
    const { stdout } = await run('tar', ['-tzf', tarball]);
    const tops = new Set(
      stdout
        .trim()
        .split('\n')
        .map((path) => path.split('/')[1]),
    );
    expect([...tops].sort()).toEqual(['LICENSE', 'README.md', 'lib', 'package.json']);
    expect(stdout).toContain('package/lib/src/client/shared/worker.js');
    expect(stdout).not.toMatch(/(?<!\.d)\.tsx?\n|\.test\./);
  });

  it('passes publint and arethetypeswrong (ESM-only)', async () => {
    const publint = await run(process.execPath, [
      bin('publint/src/cli.js'),
      'run',
      tarball,
      '--strict',
    ]);
    expect(publint.stdout).toContain('All good');
    // attw exits non-zero on any problem in the profile.
    await run(process.execPath, [
      bin('@arethetypeswrong/cli/dist/index.js'),
      tarball,
      '--profile',
      'esm-only',
      '--format',
      'ascii',
    ]);
  }, 60_000);
});

describe('an app that installs it', () => {
  it('runs a server, a custom topic and a client from plain Node', async () => {
    const { stdout } = await run(process.execPath, ['node-run.mjs'], { cwd: app, timeout: 20_000 });
    console.log(`[package] node node-run.mjs:\n${stdout}`);
    expect(stdout).toMatch(/^server on 127\.0\.0\.1:\d+$/m);
    expect(stdout).toContain('client read orders: {"count":3} (seq 1, live)');
    // No static directory unless one is given.
    expect(stdout).toContain('static dir: GET / -> 404');
  }, 30_000);

  const tsc = (project: string) =>
    run(process.execPath, [bin('typescript/bin/tsc'), '--noEmit', '-p', project], { cwd: app });

  it('type-checks with the defaults of `tsc --init` (plus Node types and src/)', async () => {
    await run(process.execPath, [bin('typescript/bin/tsc'), '--init'], { cwd: app });
    const init = readFileSync(join(app, 'tsconfig.json'), 'utf8');
    expect(init).toMatch(/"module": "nodenext"/);
    writeFileSync(
      join(app, 'tsconfig.json'),
      init
        .replace(/"types": \[\]/, '"types": ["node"]')
        .replace(/\n}\s*$/, ',\n  "include": ["src"]\n}\n'),
    );
    await expect(tsc('tsconfig.json')).resolves.toMatchObject({ stdout: '' });
  }, 60_000);

  it('type-checks the browser code strictly with moduleResolution bundler and no Node types', async () => {
    await expect(tsc('tsconfig.bundler.json')).resolves.toMatchObject({ stdout: '' });
  }, 60_000);

  it('type-checks strictly with nodenext, erasableSyntaxOnly and the package’s .d.ts checked too', async () => {
    await expect(tsc('tsconfig.nodenext.json')).resolves.toMatchObject({ stdout: '' });
  }, 180_000); // skipLibCheck off: every declaration file is checked, @types/node's included

  describe('pages built by bundlers, in Chromium', () => {
    const availability = browserAvailability();
    let browser: Browser | undefined;
    afterAll(() => browser?.close());

    /**
     * Serves `dist` with the installed server (which publishes `orders` = 42), opens it, and
     * checks that the page shows the count while its SharedWorker, running `workerScript`, holds
     * the only socket: the page itself opens none and never falls back to connecting alone.
     */
    async function showsOrdersThroughTheWorker(dist: string, workerScript: RegExp) {
      const server = spawn(process.execPath, ['serve-web.mjs', dist], { cwd: app });
      try {
        const url = await new Promise<string>((done, fail) => {
          let output = '';
          const timer = setTimeout(() => fail(new Error(`no server:\n${output}`)), 15_000);
          const read = (chunk: Buffer) => {
            output += String(chunk);
            const match = /serving (http:\S+)/.exec(output);
            if (match) {
              clearTimeout(timer);
              done(match[1]!);
            }
          };
          server.stdout.on('data', read);
          server.stderr.on('data', read);
        });
        browser ??= await launchChromium();
        const page = await browser.newPage();
        const warnings: string[] = [];
        const pageSockets: string[] = [];
        page.on('console', (message) => warnings.push(message.text()));
        page.on('pageerror', (error) => warnings.push(error.message));
        page.on('websocket', (socket) => pageSockets.push(socket.url()));
        await page.goto(url);
        await page.waitForFunction(
          () => document.querySelector('#count')?.textContent === '42',
          undefined,
          { timeout: 15_000 },
        );
        expect(await page.textContent('#status')).toBe('connected');
        expect(await page.evaluate(() => typeof SharedWorker)).toBe('function');
        const cdp = await page.context().newCDPSession(page);
        const { targetInfos } = await cdp.send('Target.getTargets');
        // This page's origin only: another test's worker may still be closing.
        const workers = targetInfos
          .filter((target) => target.type === 'shared_worker' && target.url.startsWith(url))
          .map((target) => new URL(target.url).pathname);
        console.log(
          `[package] ${dist}: #count 42, #status connected, shared worker ${workers.join(' ')}, page sockets ${pageSockets.length}`,
        );
        expect(workers).toEqual([expect.stringMatching(workerScript)]);
        expect(pageSockets).toEqual([]);
        expect(warnings.filter((text) => /worker did not start|Error/.test(text))).toEqual([]);
        await page.close();
      } finally {
        server.kill('SIGTERM');
      }
    }

    it.runIf(availability.available)(
      'Vite bundles the shared worker into a Solid page that shows live data',
      async () => {
        await build({
          configFile: false,
          root: join(app, 'web'),
          logLevel: 'warn',
          plugins: [solid()],
          build: { outDir: join(app, 'dist'), emptyOutDir: true },
        });
        const assets = readdirSync(join(app, 'dist/assets'));
        expect(assets.some((name) => /^worker-.*\.js$/.test(name))).toBe(true);
        await showsOrdersThroughTheWorker('dist', /^\/assets\/worker-.*\.js$/);
      },
      90_000,
    );

    it.runIf(availability.available)(
      'webpack 5 bundles the shared worker into a plain page that shows live data',
      async () => {
        const dist = join(app, 'dist-webpack');
        const compiler = webpack({
          mode: 'production',
          context: app,
          entry: './webpack/main.js',
          output: { path: dist, clean: true },
          devtool: false,
        });
        const stats = await new Promise<Stats>((done, fail) =>
          compiler.run((error, result) =>
            error || !result ? fail(error ?? new Error('webpack gave no stats')) : done(result),
          ),
        );
        await promisify(compiler.close.bind(compiler))();
        const { errors = [], warnings = [] } = stats.toJson({
          all: false,
          errors: true,
          warnings: true,
        });
        expect([...errors, ...warnings].map((problem) => problem.message)).toEqual([]);
        // The worker is its own chunk: an emitted script besides main.js.
        const scripts = readdirSync(dist).filter((name) => name.endsWith('.js'));
        expect(scripts).toContain('main.js');
        expect(scripts).toHaveLength(2);
        cpSync(join(app, 'webpack/index.html'), join(dist, 'index.html'));
        const workerScript = scripts.find((name) => name !== 'main.js')!;
        await showsOrdersThroughTheWorker('dist-webpack', new RegExp(`^/${workerScript}$`));
      },
      90_000,
    );
  });
});
