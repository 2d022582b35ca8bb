// Serves a built page (the directory given, default ./dist) with the installed server, feeds
// `orders`, prints the URL.
import { fileURLToPath } from 'node:url';
import { createTetherServer } from 'tether-live/server';

const dist = new URL(`./${process.argv[2] ?? 'dist'}/`, import.meta.url);
const server = createTetherServer({ staticDir: fileURLToPath(dist) });
server.defineTopic('orders', { initial: { count: 0 } });
const { port } = await server.listen(0, '127.0.0.1');
server.publish('orders', [{ op: 'replace', path: '/count', value: 42 }]);
console.log(`serving http://127.0.0.1:${port}/`);
process.on('SIGTERM', () => void server.close().then(() => process.exit(0)));
