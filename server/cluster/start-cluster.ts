import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { mintToken } from '../auth.ts';
import { startRoundRobinProxy } from './round-robin-proxy.ts';

/**
 * `npm run start:cluster`: Tether scaled out on one machine, to try it. A private redis-server
 * (or REDIS_URL), TETHER_NODES nodes (default 3) of `server/main.ts` on PORT+1…, and a
 * round-robin proxy on PORT (default 8080) in front of them. One shared TETHER_JWT_SECRET, so the
 * printed login link works whichever node a connection lands on. Ctrl-C stops everything.
 */

const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
const port = Number(process.env.PORT ?? 8080);
const nodeCount = Number(process.env.TETHER_NODES ?? 3);
if (!Number.isInteger(port) || port < 0 || port > 65535 - 10)
  throw new Error(`PORT must be a port number, got "${process.env.PORT}"`);
if (!Number.isInteger(nodeCount) || nodeCount < 1 || nodeCount > 9)
  throw new Error(`TETHER_NODES must be 1 to 9, got "${process.env.TETHER_NODES}"`);
const secret = process.env.TETHER_JWT_SECRET ?? randomBytes(32).toString('base64url');
const children = new Set<ChildProcess>();
let redisDir: string | undefined;
let redis: ChildProcess | undefined;
let stopping = false;

function prefixed(child: ChildProcess, label: string): void {
  for (const stream of [child.stdout, child.stderr]) {
    stream?.setEncoding('utf8').on('data', (chunk: string) => {
      for (const line of chunk.split('\n'))
        if (line && !line.includes('#token=')) console.log(`[${label}] ${line}`);
    });
  }
}

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port: free } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return free;
}

function waitForLine(child: ChildProcess, pattern: RegExp, what: string): Promise<void> {
  return new Promise((resolve, reject) => {
    let output = '';
    const onData = (chunk: string) => {
      output += chunk;
      if (pattern.test(output)) resolve();
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', (code) => reject(new Error(`${what} exited with ${code}`)));
  });
}

async function startRedis(): Promise<string> {
  if (process.env.REDIS_URL) return process.env.REDIS_URL;
  const redisPort = await freePort();
  redisDir = mkdtempSync(path.join(tmpdir(), 'tether-cluster-redis-'));
  redis = spawn(
    process.env.REDIS_SERVER_PATH ?? 'redis-server',
    [
      '--port',
      String(redisPort),
      '--bind',
      '127.0.0.1',
      '--dir',
      redisDir,
      '--save',
      '',
      '--appendonly',
      'yes',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  redis.once('error', () => {
    console.error(
      'tether: cannot run redis-server; install it (Debian/Ubuntu: sudo apt-get install redis-server) or set REDIS_URL',
    );
    process.exit(1);
  });
  children.add(redis);
  const ready = waitForLine(redis, /Ready to accept connections/, 'redis-server');
  // Its start-up banner is noise here; a failure still shows through the exit message.
  await ready;
  return `redis://127.0.0.1:${redisPort}`;
}

function startNode(index: number, nodePort: number, redisUrl: string): Promise<void> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'server/main.ts'], {
    cwd: repoRoot,
    env: {
      ...process.env,
      PORT: String(nodePort),
      HOST: '127.0.0.1',
      REDIS_URL: redisUrl,
      TETHER_JWT_SECRET: secret,
      TETHER_LOGIN_LINK: 'off',
    },
    // Its own process group, so a terminal's Ctrl-C reaches only this script, which stops the
    // nodes in order (they give their leases back); the IPC channel stops a node if we die.
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  });
  children.add(child);
  const listening = waitForLine(child, /tether listening on/, `node ${index}`);
  prefixed(child, `node ${index} :${nodePort}`);
  child.once('exit', (code, signal) => {
    children.delete(child);
    if (!stopping)
      console.error(`[node ${index}] exited (${signal ?? code}); the others keep serving`);
  });
  return listening;
}

/** SIGTERM, then SIGKILL whatever is still running after 5 s. */
async function stopAll(list: ChildProcess[]): Promise<void> {
  const exits = list.map(
    (child) =>
      new Promise<void>((resolve) =>
        child.exitCode !== null || child.signalCode !== null
          ? resolve()
          : child.once('exit', () => resolve()),
      ),
  );
  for (const child of list) child.kill('SIGTERM');
  const force = setTimeout(() => {
    for (const child of list) child.kill('SIGKILL');
  }, 5000);
  await Promise.all(exits);
  clearTimeout(force);
}

async function main(): Promise<void> {
  const redisUrl = await startRedis();
  // PORT=0: every port picked free (for tests); otherwise the nodes sit right above the proxy.
  const nodePorts =
    port === 0
      ? await Promise.all(Array.from({ length: nodeCount }, () => freePort()))
      : Array.from({ length: nodeCount }, (_, i) => port + 1 + i);
  await Promise.all(nodePorts.map((nodePort, i) => startNode(i + 1, nodePort, redisUrl)));
  const proxy = await startRoundRobinProxy({ port, backends: nodePorts });
  const origin = `http://127.0.0.1:${proxy.port}`;
  const token = await mintToken(secret, {
    subject: 'local',
    grants: { sub: ['*'], act: ['*'] },
    ttlSec: 12 * 60 * 60,
  });
  const nodes = [...children]
    .filter((child) => child !== redis)
    .map((child, i) => `:${nodePorts[i]} pid ${child.pid}`);
  console.log(
    `\ntether cluster: ${nodeCount} nodes (${nodes.join(', ')}) sharing ${redisUrl}${redis ? ` (redis-server pid ${redis.pid})` : ''}, round-robin proxy on ${origin}`,
  );
  console.log(`tether login (valid 12 h, full access): ${origin}/#token=${token}`);
  console.log(
    `kill a node (kill -9 <its pid>) and watch the dashboard carry on; Ctrl-C stops everything\n`,
  );

  const stop = async () => {
    if (stopping) return;
    stopping = true;
    await proxy.close();
    // Nodes first (they give their leases back), Redis last.
    const nodes = [...children].filter((child) => child !== redis);
    await stopAll(nodes);
    if (redis) await stopAll([redis]);
    if (redisDir) rmSync(redisDir, { recursive: true, force: true });
    process.exit(0);
  };
  process.on('SIGINT', () => void stop());
  process.on('SIGTERM', () => void stop());
}

main().catch((error: unknown) => {
  console.error('tether: cluster failed to start:', error);
  for (const child of children) child.kill('SIGKILL');
  if (redisDir) rmSync(redisDir, { recursive: true, force: true });
  process.exit(1);
});
