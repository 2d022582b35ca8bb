// What an app that only uses the runtime pulls in: createTetherClient and everything it reaches.
import { createTetherClient } from '../../src/client/index.ts';

Object.assign(globalThis, { createTetherClient });
