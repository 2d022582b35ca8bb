// The peer measured the same way: centrifuge-js's client (JSON protocol).
import { Centrifuge } from 'centrifuge';

Object.assign(globalThis, { Centrifuge });
