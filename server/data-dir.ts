import { randomBytes } from 'node:crypto';
import {
  accessSync,
  constants,
  mkdirSync,
  readFileSync,
  renameSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';

/** The file in the data directory that holds the generated login secret. */
export const SECRET_FILE = 'jwt-secret';

/** The data directory cannot be created, read or written. */
export class DataDirError extends Error {
  readonly dir: string;

  constructor(dir: string, reason: string) {
    super(`cannot use the data directory ${dir} (${reason})`);
    this.dir = dir;
    this.name = 'DataDirError';
  }
}

/** Where the CLI keeps its data by default: the per-user state directory (XDG Base Directory). */
export function defaultDataDir(env: NodeJS.ProcessEnv): string {
  const base = env.XDG_STATE_HOME || join(homedir(), '.local', 'state');
  return join(base, 'tether');
}

/** Creates `dir` (mode 0700, only this user) if needed and checks it can be read and written. */
export function ensureDataDir(dir: string): string {
  const absolute = resolve(dir);
  let problem: string | null = null;
  try {
    if (statSync(absolute, { throwIfNoEntry: false })?.isDirectory() === false)
      problem = 'it is a file, not a directory';
    else {
      mkdirSync(absolute, { recursive: true, mode: 0o700 });
      accessSync(absolute, constants.R_OK | constants.W_OK | constants.X_OK);
    }
  } catch (error) {
    problem = errorText(error);
  }
  if (problem !== null) throw new DataDirError(absolute, problem);
  return absolute;
}

/**
 * The secret that signs login tokens, kept in the data directory (mode 0600) so tokens outlive a
 * restart: read when present, otherwise generated and written (atomically, by rename).
 */
export function loadOrCreateSecret(dir: string, minLength: number): string {
  const file = join(dir, SECRET_FILE);
  try {
    const secret = readFileSync(file, 'utf8').trim();
    if (secret.length < minLength)
      throw new DataDirError(dir, `${SECRET_FILE} holds fewer than ${minLength} characters`);
    return secret;
  } catch (error) {
    if (error instanceof DataDirError) throw error;
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT')
      throw new DataDirError(dir, `${SECRET_FILE}: ${errorText(error)}`);
  }
  const secret = randomBytes(32).toString('base64url');
  const temporary = `${file}.${process.pid}.tmp`;
  try {
    writeFileSync(temporary, `${secret}\n`, { mode: 0o600, flag: 'wx' });
    renameSync(temporary, file);
  } catch (error) {
    throw new DataDirError(dir, `${SECRET_FILE}: ${errorText(error)}`);
  }
  return secret;
}

function errorText(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code;
  const message = error instanceof Error ? error.message : String(error);
  return code ? `${code}: ${message.replace(/^\w+: /, '')}` : message;
}
