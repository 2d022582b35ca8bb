// The peer measured the same way: the socket.io client's `io`.
import { io } from 'socket.io-client';

Object.assign(globalThis, { io });
