/**
 * The real Tether server for the reconnect storm (argv: port, 0 = any). Records when each
 * WebSocket upgrade arrives (the accept rate) and closes gracefully on SIGTERM (1001 to every
 * client, as a deploy does), so a restart is: SIGTERM this process, start a new one on the port.
 */
import { createServer } from 'node:http';
import { performance } from 'node:perf_hooks';
import { createTetherServer } from '../../server/tether-server.ts';
import { exitWithParent, report } from '../lib/proc.ts';

exitWithParent();
const now = () => performance.timeOrigin + performance.now();
const server = createTetherServer({ staticDir: false });
for (let i = 0; i < 3; i++) server.defineTopic(`storm.${i}`, { initial: { n: 0, samples: [] } });
const upgrades: number[] = [];
const http = createServer();
http.on('upgrade', () => upgrades.push(now()));
server.attach(http);
http.listen(Number(process.argv[2] ?? 0), '127.0.0.1', () =>
  report({ port: (http.address() as { port: number }).port, listeningAt: now() }),
);
process.on('message', (message: { cmd: string }) => {
  if (message.cmd === 'upgrades') report({ upgrades: upgrades.splice(0) });
});
process.on('SIGTERM', () => {
  void server.close().then(() => http.close(() => process.exit(0)));
});
