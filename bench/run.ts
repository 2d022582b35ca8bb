/**
 * `npm run bench` runs every benchmark; `npm run bench:quick` the CI-sized variant (asserts
 * nothing about time). Names select benchmarks: `npm run bench -- throughput fanout`.
 * Prints one markdown report (the machine first) for bench/RESULTS.md.
 */
import { bundleSize } from './bundle-size.ts';
import { clientThroughput } from './client-throughput.ts';
import { fanOut } from './fanout.ts';
import { fanOutCluster } from './fanout-cluster.ts';
import { latency } from './latency.ts';
import { machine } from './lib/proc.ts';
import type { Bench } from './lib/types.ts';
import { patchSize } from './patch-size.ts';
import { reconnectStorm } from './reconnect-storm.ts';
import { store } from './store.ts';
import { tabs } from './tabs.ts';

const benches: Record<string, Bench> = {
  throughput: clientThroughput,
  latency,
  fanout: fanOut,
  'fanout-cluster': fanOutCluster,
  patches: patchSize,
  storm: reconnectStorm,
  bundle: bundleSize,
  tabs,
  store,
};

const args = process.argv.slice(2);
const quick = args.includes('--quick');
const names = args.filter((arg) => !arg.startsWith('--'));
const unknown = names.filter((name) => !(name in benches));
if (unknown.length > 0) {
  console.error(
    `unknown benchmark(s): ${unknown.join(', ')}; known: ${Object.keys(benches).join(', ')}`,
  );
  process.exit(2);
}

const m = machine();
console.log(`# Tether benchmarks${quick ? ' (quick)' : ''}\n`);
console.log(
  `\`npm run ${quick ? 'bench:quick' : 'bench'}${names.length ? ` -- ${names.join(' ')}` : ''}\` · ${m.date} · ${m.cores} cores, ${m.model}, ${m.memory} · Node ${m.node}\n`,
);
let failed = false;
for (const name of names.length ? names : Object.keys(benches)) {
  const started = Date.now();
  try {
    const result = await benches[name]!({ quick });
    console.log(
      `## ${result.title}\n\n${result.body}\n\n_(${((Date.now() - started) / 1000).toFixed(0)} s)_\n`,
    );
  } catch (error) {
    failed = true;
    console.log(
      `## ${name}: FAILED\n\n\`\`\`\n${error instanceof Error ? error.stack : String(error)}\n\`\`\`\n`,
    );
  }
}
process.exit(failed ? 1 : 0);
