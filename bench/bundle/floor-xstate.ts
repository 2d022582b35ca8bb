// The first rung of the client's size floor: the xstate API Tether's client imports, and nothing else.
import {
  assign,
  createActor,
  enqueueActions,
  fromCallback,
  not,
  sendParent,
  sendTo,
  setup,
} from 'xstate';

Object.assign(globalThis, {
  xstate: [assign, createActor, enqueueActions, fromCallback, not, sendParent, sendTo, setup],
});
