// Serves the built page (../dist) with the installed server, feeds `orders`, prints the URL.
import { fileURLToPath } from 'node:url';
import { createTetherServer } from 'tether-live/server';

const server = createTetherServer({ staticDir: fileURLToPath(new URL('./dist', import.meta.url)) });
server.defineTopic('orders', { initial: { count: 0 } });
const { port } = await server.listen(0, '127.0.0.1');
server.publish('orders', [{ op: 'replace', path: '/count', value: 42 }]);
console.log(`serving http://127.0.0.1:${port}/`);
process.on('SIGTERM', () => void server.close().then(() => process.exit(0)));
