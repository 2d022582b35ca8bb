// The second rung: xstate + the three statecharts (connection, subscription, outbox) and the
// sequence fold they run, as the client creates them, without transports or the client API.
import { createActor } from 'xstate';
import { createConnectionMachine } from '../../machines/connection.ts';

Object.assign(globalThis, { createActor, createConnectionMachine });
