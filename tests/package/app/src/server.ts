// What a Node app writes with the server: options, a typed custom topic, a publish.
import { createTetherServer, typedTopics, type TetherServerOptions } from 'tether-live/server';
import { ops, type AppTopics } from './browser.js';

const options: TetherServerOptions = { historyLength: 10, staticDir: false };
const server = createTetherServer(options);
const topics = typedTopics<AppTopics>(server);
topics.define('orders', { initial: { count: 0 } });
topics.publish('orders', ops);
export const listening: Promise<{ port: number }> = server.listen(0);
