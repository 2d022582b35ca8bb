/**
 * How hard the fault suite pushes. `npm test` runs the defaults (a few hundred fuzz runs, the
 * leak cycles of issue 6, all well under 30 s per file); `npm run soak` sets TETHER_SOAK=N to
 * multiply every count by N, and may pick a fresh seed with TETHER_FUZZ_SEED=random.
 */
export const SOAK = Math.max(1, Number(process.env.TETHER_SOAK) || 1);

const seedEnv = process.env.TETHER_FUZZ_SEED;
/** Fixed by default so CI failures replay; fast-check prints it (and the shrunk case) on failure. */
export const SEED =
  seedEnv === 'random'
    ? (Date.now() ^ (Math.random() * 0x7fffffff)) | 0
    : Number(seedEnv ?? 20_251_106);

/** `n` scaled for a soak run. */
export const scaled = (n: number) => Math.round(n * SOAK);
