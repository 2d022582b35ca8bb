import { clientThroughput } from '../client-throughput.ts';
console.log((await clientThroughput({ quick: process.argv.includes('--quick') })).body);
process.exit(0);
