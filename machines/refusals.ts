/**
 * How many refusals an outbox keeps for the UI, newest last; a tab mirroring a shared outbox
 * keeps as many. In its own file, free of xstate, so a tab's bundle can read it without the machines.
 */
export const REFUSED_KEPT = 20;
