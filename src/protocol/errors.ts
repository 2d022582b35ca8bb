/** Codes carried by `error` and `nack` frames. Outside clients switch on these strings. */
export const ErrorCode = {
  badFrame: 'bad_frame',
  tooLarge: 'too_large',
  /** A change whose values nest deeper than the topic allows (`maxDepth`). */
  tooDeep: 'too_deep',
  unknownTopic: 'unknown_topic',
  unauthorized: 'unauthorized',
  forbidden: 'forbidden',
  rateLimited: 'rate_limited',
  notWritable: 'not_writable',
  outOfRange: 'out_of_range',
  /** An action changes a field that changed since its base; the nack lists them (`conflicts`). */
  conflict: 'conflict',
  /** An action's base is beyond the history the server keeps: it cannot tell whether its fields changed. */
  staleBase: 'stale_base',
  /** A published patch (or an action's patch) that does not apply to the topic's current state. */
  badPatch: 'bad_patch',
  heartbeatTimeout: 'heartbeat_timeout',
  /** A subscribe past the server's per-connection limit (`maxSubscriptions`); carries the topic. */
  tooManySubscriptions: 'too_many_subscriptions',
  /** This address already has the most WebSocket connections the server allows; followed by close 1013. */
  tooManyConnections: 'too_many_connections',
  internal: 'internal',
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/** WebSocket close codes the server uses; 4xxx mirror the HTTP status they resemble. */
export const CloseCode = {
  normal: 1000,
  goingAway: 1001,
  protocolError: 1002,
  tooLarge: 1009,
  internalError: 1011,
  /** Too many connections from this address: reconnect later (with backoff). */
  tryAgainLater: 1013,
  badFrames: 4400,
  unauthorized: 4401,
  forbidden: 4403,
  heartbeatTimeout: 4408,
  rateLimited: 4429,
} as const;

/** A refusal the client must not retry blindly: it goes to `failed` and waits for RETRY. */
export function isTerminalClose(code: number): boolean {
  return (
    code === CloseCode.unauthorized ||
    code === CloseCode.forbidden ||
    code === CloseCode.protocolError ||
    code === CloseCode.badFrames
  );
}

export const DEFAULT_MAX_FRAME_BYTES = 64 * 1024;
