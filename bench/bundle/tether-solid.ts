// The runtime plus the Solid hooks (src/solid), as a Solid app that is not our dashboard uses them.
import { createTetherClient } from '../../src/client/index.ts';
import { TetherProvider, useConnection, useTopic } from '../../src/solid/index.ts';

Object.assign(globalThis, { createTetherClient, TetherProvider, useConnection, useTopic });
