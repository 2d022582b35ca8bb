import type { ActionRequest } from '../../machines/wire.ts';
import type { ActionPosition } from './view-types.ts';

/** How `send` queues an action. */
export interface SendOptions {
  /**
   * The topic position the action was made against (a subscription view's `epoch` and `seq`) and
   * the JSON Pointers it changes, together: the server then applies it unless one of those fields
   * changed since, and otherwise refuses with `conflict` and their current values
   * (RefusedAction.conflicts).
   */
  base?: ActionPosition;
  fields?: string[];
  /** Sends an action again under the id it was first given (a durable outbox after a reload); the server applies an id once. */
  id?: string;
}

/** An action as the outbox queues it; `base` and `fields` only together (the server refuses one alone). */
export function actionRequest(
  id: string,
  topic: string,
  payload: unknown,
  { base, fields }: SendOptions,
): ActionRequest {
  if ((base === undefined) !== (fields === undefined))
    throw new TypeError('send: `base` and `fields` go together');
  return { id, topic, payload, ...(base && fields && { base: { ...base }, fields: [...fields] }) };
}
