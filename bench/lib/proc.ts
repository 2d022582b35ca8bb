import { fork } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import { fileURLToPath } from 'node:url';

export const repoRoot = fileURLToPath(new URL('../..', import.meta.url));

const children = new Set<ChildProcess>();
// A benchmark that throws must not leave servers or load generators behind.
process.once('exit', () => {
  for (const child of children) child.kill('SIGKILL');
});

export interface Worker<M> {
  child: ChildProcess;
  /** The next IPC message that satisfies `match` (bounded by `timeoutMs`). */
  next<T extends M = M>(match?: (message: M) => boolean, timeoutMs?: number): Promise<T>;
  send(message: unknown): void;
  /** SIGKILL unless it exits by itself within `graceMs` after `signal`. */
  stop(signal?: NodeJS.Signals, graceMs?: number): Promise<void>;
  exited: Promise<number | null>;
}

/**
 * Runs a TypeScript file in its own Node process (via tsx) with an IPC channel. Load generators and
 * servers run apart from the process being measured, so its CPU time is its own.
 * `fds` raises the soft open-file limit first (`ulimit -n`), for the 10k-connection runs.
 */
export function spawnWorker<M = unknown>(script: string, args: string[] = [], options: { env?: Record<string, string>; nodeArgs?: string[]; fds?: number } = {}): Worker<M> {
  const file = fileURLToPath(new URL(script, new URL('../', import.meta.url)));
  const nodeArgs = ['--import', 'tsx', ...(options.nodeArgs ?? [])];
  const child = options.fds
    ? fork(file, args, { execPath: '/bin/bash', execArgv: ['-c', `ulimit -n ${options.fds} && exec "$0" ${nodeArgs.join(' ')} "$@"`, process.execPath], cwd: repoRoot, env: { ...process.env, ...options.env }, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
    : fork(file, args, { execArgv: nodeArgs, cwd: repoRoot, env: { ...process.env, ...options.env }, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  children.add(child);
  const inbox: M[] = [];
  const waiters = new Set<() => void>();
  child.on('message', (message) => {
    inbox.push(message as M);
    for (const wake of waiters) wake();
  });
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => {
      children.delete(child);
      for (const wake of waiters) wake();
      resolve(code);
    }),
  );
  let dead = false;
  void exited.then(() => (dead = true));
  return {
    child,
    exited,
    send: (message) => child.send(message as never),
    next<T extends M>(match: (message: M) => boolean = () => true, timeoutMs = 120_000): Promise<T> {
      return new Promise<T>((resolve, reject) => {
        const check = () => {
          const index = inbox.findIndex(match);
          if (index >= 0) {
            done();
            resolve(inbox.splice(index, 1)[0] as T);
          } else if (dead) {
            done();
            reject(new Error(`${script} exited before sending the expected message`));
          }
        };
        const timer = setTimeout(() => {
          done();
          reject(new Error(`${script}: no expected message within ${timeoutMs} ms`));
        }, timeoutMs);
        const done = () => {
          clearTimeout(timer);
          waiters.delete(check);
        };
        waiters.add(check);
        check();
      });
    },
    async stop(signal = 'SIGTERM', graceMs = 5000) {
      if (dead) return;
      child.kill(signal);
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** For worker scripts: send a message to the parent (no-op without IPC). */
export function report(message: unknown): void {
  process.send?.(message);
}

/** For worker scripts: never outlive the parent. */
export function exitWithParent(): void {
  process.on('disconnect', () => process.exit(0));
}

export function machine(): { cores: number; model: string; node: string; memory: string; date: string } {
  const model = /model name\s*:\s*(.+)/.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1] ?? os.cpus()[0]?.model ?? 'unknown';
  return {
    cores: os.availableParallelism(),
    model,
    node: process.version,
    memory: `${Math.round(os.totalmem() / 2 ** 30)} GiB`,
    date: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
  };
}

/** CPU time (user + system) in ms since `since`, this process only. */
export function cpuMs(since?: NodeJS.CpuUsage): number {
  const usage = process.cpuUsage(since);
  return (usage.user + usage.system) / 1000;
}

/** CPU ms of another process from /proc (utime + stime), to bill a server that we did not write. */
export function processCpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]);
  return (ticks * 1000) / 100; // USER_HZ is 100 on Linux
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
