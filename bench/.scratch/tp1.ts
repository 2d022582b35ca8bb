import { clientThroughput } from '../client-throughput.ts';
process.env.BENCH_VARIANTS = process.env.BENCH_VARIANTS ?? 'tether';
console.log((await clientThroughput({ quick: false })).body);
process.exit(0);
