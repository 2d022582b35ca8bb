// The third rung: the statecharts + the RFC 6902 applier and the WebSocket transport with its
// frame validation: a client that can hold live topics over a WebSocket and nothing more.
import { createActor } from 'xstate';
import { createConnectionMachine } from '../../machines/connection.ts';
import { applyPatchImmutably } from '../../src/protocol/apply-patch.ts';
import { webSocketTransport } from '../../src/client/websocket-transport.ts';

Object.assign(globalThis, {
  createActor,
  createConnectionMachine,
  applyPatchImmutably,
  webSocketTransport,
});
