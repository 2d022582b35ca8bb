// What a browser app writes (client, Solid hooks, protocol types), type-checked without Node types.
import { createTetherClient, type TetherClient } from 'tether-live/client';
import { ErrorCode, type PatchOperation } from 'tether-live/protocol';
import { createTetherHooks } from 'tether-live/solid';

export interface AppTopics {
  orders: { count: number };
}

const client: TetherClient = createTetherClient({ url: 'http://127.0.0.1:8080' });
const held = client.subscribe('orders');
export const status: string = held.view.get().status;
held.release();

const hooks = createTetherHooks<AppTopics>();
export const useOrders = (): number | undefined => hooks.useTopic('orders').data()?.count;
export const ops: PatchOperation[] = [{ op: 'replace', path: '/count', value: 1 }];
export const codes: string[] = [ErrorCode.badFrame, status];
