/**
 * The server of the latency bench (argv: directory of the built bench page): the real Tether
 * server serving the page and 20 topics `lat.N`. On `publish` it publishes `rate` updates a
 * second round-robin over the topics, each carrying its publish time; the 1 ms timer catches up
 * on the schedule, so the rate holds even when a tick comes late.
 */
import { performance } from 'node:perf_hooks';
import { createTetherServer } from '../../server/tether-server.ts';
import { exitWithParent, report } from '../lib/proc.ts';

exitWithParent();
const WIDGETS = 20;
const now = () => performance.timeOrigin + performance.now();
const server = createTetherServer({ staticDir: process.argv[2]!, historyLength: 100 });
const topics = Array.from({ length: WIDGETS }, (_, i) =>
  server.defineTopic(`lat.${i}`, { initial: { t: 0, v: 0 } }),
);
const { port } = await server.listen(0, '127.0.0.1');

let timer: NodeJS.Timeout | undefined;
let published = 0;
process.on('message', (message: { cmd: string; rate?: number }) => {
  if (message.cmd === 'publish') {
    clearInterval(timer);
    const start = performance.now();
    const first = published;
    timer = setInterval(() => {
      const due = first + Math.floor(((performance.now() - start) * message.rate!) / 1000);
      for (; published < due; published++) {
        topics[published % WIDGETS]!.publish([
          { op: 'replace', path: '/t', value: now() },
          { op: 'replace', path: '/v', value: published },
        ]);
      }
    }, 1);
  } else if (message.cmd === 'quiet') {
    clearInterval(timer);
    report({ published });
  }
});
report({ port });
