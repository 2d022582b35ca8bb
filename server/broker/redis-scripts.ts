import type { Redis } from 'ioredis';

/**
 * The Lua scripts that keep each topic consistent in Redis. Every change to a topic runs inside
 * one script, so the hash (epoch, seq, full state), the stream (the patch frames, id `<seq>-0`)
 * and the PUBLISH to the other nodes happen together or not at all.
 *
 * Keys per topic T: `<prefix>topic:T` (hash), `<prefix>log:T` (stream, fields b = batch id,
 * f = frame text), channel `<prefix>frames:T` (message `<batch id> <frame text>`).
 */

/** Creates the topic once (a new epoch, the given state at seq 0), then returns epoch, seq, state and the last `n` frame texts, oldest first. */
const LOAD = `
if redis.call('HEXISTS', KEYS[1], 'epoch') == 0 then
  redis.call('DEL', KEYS[2])
  redis.call('HSET', KEYS[1], 'epoch', ARGV[1], 'seq', '0', 'state', ARGV[2])
end
local head = redis.call('HMGET', KEYS[1], 'epoch', 'seq', 'state')
local out = {head[1], head[2], head[3]}
local n = tonumber(ARGV[3])
if n > 0 then
  local entries = redis.call('XREVRANGE', KEYS[2], '+', '-', 'COUNT', n)
  for i = #entries, 1, -1 do out[#out + 1] = entries[i][2][4] end
end
return out
`;

/**
 * Starts a new epoch from the given state, but only if the topic is still at (ARGV[1], ARGV[2]):
 * for a Redis that came back with an older seq in the same epoch (an AOF that lost its last
 * second), whose seqs would otherwise be reused for different frames.
 */
const FORK = `
local head = redis.call('HMGET', KEYS[1], 'epoch', 'seq')
if head[1] == ARGV[1] and head[2] == ARGV[2] then
  redis.call('DEL', KEYS[2])
  redis.call('HSET', KEYS[1], 'epoch', ARGV[3], 'seq', '0', 'state', ARGV[4])
  return 1
end
return 0
`;

/** Epoch, seq, then (batch id, frame text) pairs of the frames after seq ARGV[1], at most ARGV[2] of them. */
const CATCH_UP = `
local head = redis.call('HMGET', KEYS[1], 'epoch', 'seq')
local out = {head[1] or '', head[2] or '0'}
local entries = redis.call('XRANGE', KEYS[2], (tonumber(ARGV[1]) + 1) .. '-0', '+', 'COUNT', ARGV[2])
for i = 1, #entries do
  out[#out + 1] = entries[i][2][2]
  out[#out + 1] = entries[i][2][4]
end
return out
`;

/**
 * Commits a batch of frames computed at (epoch ARGV[1], seq ARGV[2]): refused with 'epoch' when
 * the topic was re-created, 'fenced' when a lease guards it and is not ours, 'conflict' when
 * another node committed first. ARGV: epoch, seq, stream length, channel, new state, fence token
 * ('' = none), batch id, n, then the n frame texts.
 */
const COMMIT = `
local head = redis.call('HMGET', KEYS[1], 'epoch', 'seq')
if head[1] ~= ARGV[1] then return {'epoch'} end
if ARGV[6] ~= '' and redis.call('GET', KEYS[3]) ~= ARGV[6] then return {'fenced'} end
local seq = tonumber(head[2])
if seq ~= tonumber(ARGV[2]) then return {'conflict', head[2]} end
local n = tonumber(ARGV[8])
for i = 1, n do
  local text = ARGV[8 + i]
  redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[3], (seq + i) .. '-0', 'b', ARGV[7], 'f', text)
  redis.call('PUBLISH', ARGV[4], ARGV[7] .. ' ' .. text)
end
redis.call('HSET', KEYS[1], 'seq', tostring(seq + n), 'state', ARGV[5])
return {'ok'}
`;

/** Extends a lease only while it is still ours. */
const RENEW = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0
`;

/** Gives a lease back only while it is still ours. */
const RELEASE = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`;

type Reply = (string | null)[];

export interface TetherScripts {
  load(hash: string, stream: string, epoch: string, state: string, history: number): Promise<Reply>;
  catchUp(hash: string, stream: string, afterSeq: number, count: number): Promise<Reply>;
  fork(
    hash: string,
    stream: string,
    seen: { epoch: string; seq: string },
    epoch: string,
    state: string,
  ): Promise<number>;
  commit(
    keys: { hash: string; stream: string; lease: string },
    args: (string | number)[],
  ): Promise<Reply>;
  renew(lease: string, token: string, ttlMs: number): Promise<number>;
  release(lease: string, token: string): Promise<number>;
}

const SCRIPTS = {
  tetherLoad: [LOAD, 2],
  tetherFork: [FORK, 2],
  tetherCatchUp: [CATCH_UP, 2],
  tetherCommit: [COMMIT, 3],
  tetherRenew: [RENEW, 1],
  tetherRelease: [RELEASE, 1],
} as const;

/** Registers the scripts on `redis` (EVALSHA, falling back to EVAL once per connection). */
export function defineScripts(redis: Redis): TetherScripts {
  for (const [name, [lua, numberOfKeys]] of Object.entries(SCRIPTS))
    redis.defineCommand(name, { lua, numberOfKeys });
  // defineCommand adds methods ioredis's types cannot know about.
  const call = redis as unknown as Record<
    keyof typeof SCRIPTS,
    (...args: (string | number)[]) => Promise<unknown>
  >;
  return {
    load: (hash, stream, epoch, state, history) =>
      call.tetherLoad(hash, stream, epoch, state, history) as Promise<Reply>,
    fork: (hash, stream, seen, epoch, state) =>
      call.tetherFork(hash, stream, seen.epoch, seen.seq, epoch, state) as Promise<number>,
    catchUp: (hash, stream, afterSeq, count) =>
      call.tetherCatchUp(hash, stream, afterSeq, count) as Promise<Reply>,
    commit: ({ hash, stream, lease }, args) =>
      call.tetherCommit(hash, stream, lease, ...args) as Promise<Reply>,
    renew: (lease, token, ttlMs) => call.tetherRenew(lease, token, ttlMs) as Promise<number>,
    release: (lease, token) => call.tetherRelease(lease, token) as Promise<number>,
  };
}
