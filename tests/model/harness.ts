import { createActor, setup } from 'xstate';
import type { ActorRefFromLogic, AnyActorLogic, InputFrom, InspectionEvent } from 'xstate';
import type { OutboundFrame, SendEvent } from '../../machines/wire.ts';
import type { WebSocketConstructor, WebSocketLike } from '../../src/client/websocket-transport.ts';

/**
 * Runs a child machine (subscription, outbox) the way the connection does: invoked by a parent
 * that records every `sendParent({ type: 'SEND', frame })` in `frames`.
 */
export function underRecordingParent<TLogic extends AnyActorLogic>(
  logic: TLogic,
  input: InputFrom<TLogic>,
  inspect?: (event: InspectionEvent) => void,
) {
  const frames: OutboundFrame[] = [];
  const recorder = setup({
    types: { events: {} as SendEvent },
    actors: { child: logic as AnyActorLogic },
  }).createMachine({
    invoke: { id: 'child', src: 'child', input },
    on: { SEND: { actions: ({ event }) => frames.push(event.frame) } },
  });
  const parent = createActor(recorder, inspect ? { inspect } : {}).start();
  return {
    actor: parent.getSnapshot().children.child as ActorRefFromLogic<TLogic>,
    frames,
    stop: () => parent.stop(),
  };
}

/**
 * A WebSocket the test drives by hand: it opens, fails, receives and closes exactly when told,
 * with no timers of its own, so a model path's steps map onto it one to one.
 */
export class FakeSockets {
  readonly all: FakeSocket[] = [];
  /** Everything the client sent, parsed, in order. */
  readonly sent: unknown[] = [];

  readonly WebSocket: WebSocketConstructor = (() => {
    const sockets = this;
    return class {
      constructor(url: string) {
        const socket = new FakeSocket(url, sockets.sent);
        sockets.all.push(socket);
        return socket;
      }
    } as unknown as WebSocketConstructor;
  })();

  /** The socket created last (the connection's, or its probe's). */
  get current(): FakeSocket {
    const socket = this.all.at(-1);
    if (!socket) throw new Error('no socket was created');
    return socket;
  }

  /** Sockets neither side has closed. */
  get open(): number {
    return this.all.filter((socket) => socket.readyState !== 3).length;
  }
}

type Handler = ((event: never) => unknown) | null;

export class FakeSocket implements WebSocketLike {
  readyState = 0;
  onopen: Handler = null;
  onmessage: Handler = null;
  onclose: Handler = null;
  onerror: Handler = null;

  constructor(
    readonly url: string,
    private readonly log: unknown[],
  ) {}

  send(data: string): void {
    if (this.readyState !== 1) throw new Error('send on a socket that is not open');
    this.log.push(JSON.parse(data));
  }

  close(): void {
    this.readyState = 3; // the client's own close: its handlers are gone by now
  }

  open(): void {
    this.readyState = 1;
    (this.onopen as ((event: unknown) => void) | null)?.({});
  }

  receive(...texts: string[]): void {
    for (const data of texts)
      (this.onmessage as ((event: { data: string }) => void) | null)?.({ data });
  }

  drop(code: number, reason: string): void {
    this.readyState = 3;
    (this.onclose as ((event: { code: number; reason: string }) => void) | null)?.({
      code,
      reason,
    });
  }
}
