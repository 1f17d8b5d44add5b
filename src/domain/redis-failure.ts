/**
 * The one failure type of the Redis boundary. Everything `src/redis/` throws is a RedisFailure
 * naming the node it happened on; what a kind means to an operator (DCS error, exit code,
 * instance health) is decided in one table, failure-map.ts.
 */
export const REDIS_FAILURE_KINDS = [
  'unreachable', // cannot connect, connection lost or reset
  'timeout', // connected, but a command, or connect + handshake, missed its deadline
  'auth', // wrong or missing password or user
  'tls', // the TLS handshake failed: the server's certificate did not verify, or it refused keyheat's
  'no-permission', // an ACL forbids a command keyheat needs
  'unsupported', // the deployment cannot be analysed as configured: version, policy, replica, sentinel, renamed command
  'denied', // the address is outside network.allow
  'sentinel', // no Sentinel could name the primary: unreachable, wrong Sentinel password, unknown master name
  'protocol', // the server sent something that is not valid RESP, or not the reply the command has
  'limit', // a reply exceeded a configured cap (bytes, length, depth, cluster size)
  'cluster-down', // CLUSTERDOWN, or keys redirected in a loop
  'loading', // the server is still loading its dataset
  'busy', // the server is blocked by a script or function
  'cancelled', // keyheat stopped the work itself (task deleted, shutdown, interrupt)
  'deadline', // the whole analysis ran longer than analysis.max_duration_ms
  'other', // any other error reply
] as const;

export type RedisFailureKind = (typeof REDIS_FAILURE_KINDS)[number];

export class RedisFailure extends Error {
  /**
   * @param node `host:port` of the node the failure happened on ('' when none was reached yet).
   * @param message A sentence for a human, already free of secrets and control characters.
   */
  constructor(
    readonly kind: RedisFailureKind,
    readonly node: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'RedisFailure';
  }
}

export function isRedisFailure(error: unknown): error is RedisFailure {
  return error instanceof RedisFailure;
}
