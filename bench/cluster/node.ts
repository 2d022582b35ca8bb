/**
 * One server node of the cluster fan-out benchmark (argv: redis URL or `memory`, `publisher` or
 * `follower`, topics). Same topics, frames and commands as bench/fanout/server.ts; only the
 * publisher node publishes, the follower receives the frames through Redis like any other node.
 */
import { performance } from 'node:perf_hooks';
import { createTetherServer } from '../../server/tether-server.ts';
import type { Topic } from '../../server/topic.ts';
import { exitWithParent, report } from '../lib/proc.ts';

exitWithParent();
const [redis = 'memory', role = 'publisher', topicsArg = '3'] = process.argv.slice(2);
const names = Array.from({ length: Number(topicsArg) }, (_, i) => `fan.${i}`);
const now = () => performance.timeOrigin + performance.now();
const gc = (globalThis as { gc?: () => void }).gc ?? (() => undefined);

const server = createTetherServer({
  staticDir: false,
  heartbeatTimeoutMs: 3_600_000,
  heartbeatMs: 1_800_000,
  ...(redis === 'memory' ? {} : { redisUrl: redis }),
});
const topics: Topic[] = names.map((name) => server.defineTopic(name, { initial: { t: 0, n: 0 } }));
const { port } = await server.listen(0, '127.0.0.1');

let timer: NodeJS.Timeout | undefined;
process.on('message', (message: { cmd: string; rate?: number }) => {
  if (message.cmd === 'stats' || message.cmd === 'stats-nogc') {
    if (message.cmd === 'stats') gc();
    const { rss, heapUsed, external } = process.memoryUsage();
    const cpu = process.cpuUsage();
    report({
      stats: {
        rss,
        heapUsed,
        external,
        cpuMs: (cpu.user + cpu.system) / 1000,
        connections: server.clients().websocket,
      },
    });
  } else if (message.cmd === 'publish' && role === 'publisher') {
    clearInterval(timer);
    let seq = 0;
    timer = setInterval(() => {
      seq++;
      for (const topic of topics)
        topic.publish([
          { op: 'replace', path: '/t', value: now() },
          { op: 'replace', path: '/n', value: seq },
        ]);
    }, 1000 / message.rate!);
  } else if (message.cmd === 'quiet') clearInterval(timer);
});
report({ port });
