/**
 * Everything needed to talk to the nodes of a deployment safely: deadlines, reply limits,
 * where connections may go, how many may be open, how big a cluster may be.
 */
import { ANALYSIS_LIMITS, REDIS_LIMITS } from '../domain/limits.js';
import { NetworkPolicy } from './network-policy.js';
import type { PoolSettings } from './node-pool.js';

export interface RedisAccess extends PoolSettings {
  readonly maxClusterPrimaries: number;
}

export interface RedisAccessValues {
  readonly connectTimeoutMs?: number;
  readonly commandTimeoutMs?: number;
  readonly maxReplyBytes?: number;
  readonly maxBulkBytes?: number;
  readonly maxLineBytes?: number;
  readonly maxArrayLength?: number;
  readonly maxDepth?: number;
  readonly maxConnections?: number;
  readonly maxClusterPrimaries?: number;
  /** CIDRs keyheat may connect to; empty = anywhere. */
  readonly allow?: readonly string[];
}

/** Settings from the given values, the documented defaults for the rest. Throws TypeError on a bad CIDR. */
export function redisAccess(values: RedisAccessValues = {}): RedisAccess {
  return {
    connectTimeoutMs: values.connectTimeoutMs ?? ANALYSIS_LIMITS.connectTimeoutMs.default,
    commandTimeoutMs: values.commandTimeoutMs ?? ANALYSIS_LIMITS.commandTimeoutMs.default,
    limits: {
      maxReplyBytes: values.maxReplyBytes ?? REDIS_LIMITS.maxReplyBytes.default,
      maxBulkBytes: values.maxBulkBytes ?? REDIS_LIMITS.maxBulkBytes.default,
      maxLineBytes: values.maxLineBytes ?? REDIS_LIMITS.maxLineBytes.default,
      maxArrayLength: values.maxArrayLength ?? REDIS_LIMITS.maxArrayLength.default,
      maxDepth: values.maxDepth ?? REDIS_LIMITS.maxDepth.default,
    },
    network: values.allow === undefined || values.allow.length === 0 ? NetworkPolicy.OPEN : new NetworkPolicy(values.allow),
    maxConnections: values.maxConnections ?? REDIS_LIMITS.maxConnections.default,
    maxClusterPrimaries: values.maxClusterPrimaries ?? REDIS_LIMITS.maxClusterPrimaries.default,
  };
}
