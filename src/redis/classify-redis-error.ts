/**
 * The one place that reads Redis and socket error messages. Everything above the Redis boundary
 * works with RedisFailure kinds, never with message substrings.
 */
import { ConnectionError, RedisReplyError } from './resp-connection.js';

export type RedisFailureKind =
  | 'unreachable' // cannot connect, connection lost
  | 'timeout' // connected, but the server stopped answering
  | 'auth' // wrong or missing password / user
  | 'no-permission' // ACL forbids a command keyheat needs
  | 'lfu-not-selected' // OBJECT FREQ under a non-LFU policy
  | 'unknown-command' // renamed or disabled command
  | 'moved' // cluster: slot served elsewhere
  | 'ask' // cluster: slot being migrated
  | 'cluster-down'
  | 'loading' // server still loading its dataset
  | 'busy' // server blocked by a script
  | 'cancelled' // keyheat closed the connection itself
  | 'other';

export class RedisFailure extends Error {
  constructor(
    readonly kind: RedisFailureKind,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'RedisFailure';
  }
}

const UNREACHABLE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EPIPE',
  'EADDRNOTAVAIL',
]);

/** Classifies any error thrown while talking to a Redis at `address`. */
export function classifyRedisError(error: unknown, address: string): RedisFailure {
  if (error instanceof RedisFailure) return error;
  if (error instanceof ConnectionError) {
    if (error.code === 'ECLOSED') return new RedisFailure('cancelled', `connection to ${address} closed`, { cause: error });
    if (error.code === 'ETIMEDOUT') return new RedisFailure('timeout', error.message, { cause: error });
    if (error.code !== undefined && UNREACHABLE_CODES.has(error.code)) {
      return new RedisFailure('unreachable', error.message, { cause: error });
    }
    return new RedisFailure('unreachable', error.message, { cause: error });
  }
  if (error instanceof RedisReplyError) return classifyReply(error, address);
  const message = error instanceof Error ? error.message : String(error);
  return new RedisFailure('other', `${address}: ${message}`, { cause: error });
}

function classifyReply(error: RedisReplyError, address: string): RedisFailure {
  const text = error.message;
  const at = `${address} answered: ${text}`;
  switch (error.prefix) {
    case 'WRONGPASS':
    case 'NOAUTH':
      return new RedisFailure('auth', `authentication failed at ${at}`, { cause: error });
    case 'NOPERM':
      return new RedisFailure('no-permission', `permission denied at ${at}`, { cause: error });
    case 'MOVED':
      return new RedisFailure('moved', at, { cause: error });
    case 'ASK':
      return new RedisFailure('ask', at, { cause: error });
    case 'CLUSTERDOWN':
      return new RedisFailure('cluster-down', at, { cause: error });
    case 'LOADING':
      return new RedisFailure('loading', at, { cause: error });
    case 'BUSY':
      return new RedisFailure('busy', at, { cause: error });
    default:
      break;
  }
  if (/^ERR (invalid password|Client sent AUTH, but no password is set|AUTH .* called without any password)/i.test(text)) {
    return new RedisFailure('auth', `authentication failed at ${at}`, { cause: error });
  }
  if (/LFU maxmemory policy is not selected/i.test(text)) {
    return new RedisFailure('lfu-not-selected', at, { cause: error });
  }
  if (/^ERR unknown (sub)?command/i.test(text)) {
    return new RedisFailure('unknown-command', at, { cause: error });
  }
  return new RedisFailure('other', at, { cause: error });
}

/** Parses the target of a MOVED or ASK reply: `MOVED 3999 127.0.0.1:6381`. */
export function redirectTarget(failure: RedisFailure): { slot: number; address: string } | null {
  if (failure.kind !== 'moved' && failure.kind !== 'ask') return null;
  const match = /(?:MOVED|ASK) (\d+) (\S+)/.exec(failure.message);
  if (match === null) return null;
  return { slot: Number(match[1]), address: match[2] as string };
}
