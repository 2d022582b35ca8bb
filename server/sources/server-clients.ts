import type { TetherServer } from '../tether-server.ts';

export const SERVER_CLIENTS = 'server.clients';

export interface ClientsState {
  t: number;
  websocket: number;
  polling: number;
  total: number;
}

/**
 * `server.clients`: WebSocket connections and distinct polling clients, over every node of a
 * cluster (each node reports its own counts through the broker); published only when a count changes.
 */
export function defineServerClients(server: TetherServer) {
  const read = (t: number): ClientsState => {
    const { websocket, polling } = server.clusterClients();
    return { t, websocket, polling, total: websocket + polling };
  };
  const topic = server.defineTopic<ClientsState>(SERVER_CLIENTS, { initial: read(Date.now()) });
  return {
    sample(t: number): void {
      const next = read(t);
      const { websocket, polling } = topic.state;
      if (next.websocket !== websocket || next.polling !== polling) topic.publishState(next);
    },
  };
}
