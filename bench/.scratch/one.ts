const name = process.argv[2]!;
const mod = await import(`../${name}.ts`);
const fn = Object.values(mod)[0] as (o: { quick: boolean }) => Promise<{ body: string }>;
console.log((await fn({ quick: process.argv.includes('--quick') })).body);
process.exit(0);
