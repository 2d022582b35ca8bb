import type { WebSocketLike } from '../../src/client/index.ts';
import { snapshotText } from './shapes.ts';

/**
 * A WebSocket for driving createTetherClient without a network: it opens in the next task,
 * answers `hello` with a welcome and every `subscribe` with a snapshot shaped like the metric
 * topics (shapes.ts); whoever drives it pushes the patches through `last.onmessage` itself.
 * `onSubscribe` hears each subscribe as it is answered.
 */
export function standInSocket(onSubscribe: (topic: string) => void = () => undefined) {
  return class StandInSocket implements WebSocketLike {
    /** The socket the client opened last. */
    static last: StandInSocket | null = null;
    readyState = 0;
    onopen: WebSocketLike['onopen'] = null;
    onmessage: WebSocketLike['onmessage'] = null;
    onclose: WebSocketLike['onclose'] = null;
    onerror: WebSocketLike['onerror'] = null;
    constructor() {
      StandInSocket.last = this;
      setTimeout(() => {
        this.readyState = 1;
        this.onopen?.({});
      });
    }
    send(text: string) {
      const frame = JSON.parse(text) as { type: string; topic?: string };
      const reply = (data: string) => setTimeout(() => this.onmessage?.({ data }));
      if (frame.type === 'hello') reply(JSON.stringify({ type: 'welcome', heartbeatMs: 25_000 }));
      else if (frame.type === 'subscribe') {
        reply(snapshotText(frame.topic!));
        onSubscribe(frame.topic!);
      }
    }
    close() {
      this.readyState = 3;
    }
  };
}
