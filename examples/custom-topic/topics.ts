/**
 * The app's topic map, shared by the server (typedTopics) and the page (createTetherHooks): a
 * misspelt topic or a sample of the wrong shape is a type error on both sides.
 */
export interface OrderSample {
  /** ms since the Unix epoch */
  t: number;
  /** orders in the minute before `t` */
  count: number;
}

export interface AppTopics {
  'orders.perMinute': { samples: OrderSample[] };
}

/** Samples kept in the topic: the last minute, one per second. */
export const WINDOW = 60;
