/**
 * What each part of keyheat takes of the configuration: the analysis and big key options, the
 * Redis access bounds, the webhook settings, whether /metrics serves findings and how it says so,
 * the PostgreSQL pool. Used by the composition root (app.ts).
 */
import type { Logger } from 'pino';
import type { KeyheatConfig } from './config/config-schema.js';
import type { ForkSlots } from './domain/fork-slots.js';
import type { AnalysisOptions, BigKeyAnalysisOptions } from './engine/analysis-options.js';
import { PROCESS_FORK_SLOTS } from './engine/snapshot-fork.js';
import type { WebhookSettings } from './notify/webhook-sender.js';
import { redisAccess, type RedisAccess } from './redis/redis-access.js';
import type { PoolSettings } from './storage/pg-pool.js';

export function analysisOptions(config: KeyheatConfig, forkSlots: ForkSlots | null = null): Omit<AnalysisOptions, 'signal' | 'onProgress'> {
  return {
    topK: config.analysis.top_k,
    maxCpuShare: config.analysis.max_cpu_share,
    idleCpuShare: config.analysis.idle_cpu_share,
    maxBlockUs: config.analysis.max_block_us,
    batchSize: config.analysis.batch_size,
    busyBatchSize: config.analysis.busy_batch_size,
    rateLimit: config.analysis.rate_limit,
    failoverWaitMs: config.analysis.failover_wait_ms,
    maxDurationMs: config.analysis.max_duration_ms,
    maxGroups: config.analysis.max_groups,
    prefixDelimiters: config.analysis.prefix_delimiters,
    prefixDepth: config.analysis.prefix_depth,
    // Sampling is asked per task (sample_seconds); the summary's size is the service's.
    sampleSeconds: 0,
    sampleReplicas: false,
    sampleCounters: config.analysis.sample_counters,
    // The strategy is asked per task; what a snapshot may cost a node is the service's.
    strategy: 'scan',
    snapshotReplicas: false,
    snapshotMaxMemoryShare: config.snapshot.max_memory_share,
    snapshotStallMs: config.snapshot.stall_timeout_ms,
    snapshotMaxWaitMs: config.snapshot.max_wait_ms,
    snapshotMaxSlotWaitMs: config.snapshot.max_slot_wait_ms,
    // Shared by the store's processes where it has several (PostgreSQL), else this process's own.
    forkSlots: forkSlots ?? PROCESS_FORK_SLOTS,
    redis: redisAccessOf(config),
  };
}

/** Big key tasks' thresholds and where they scan, from config bigkeys.* (a task may set its own thresholds). */
export function bigKeyOptions(config: KeyheatConfig): Pick<BigKeyAnalysisOptions, 'thresholds' | 'memoryUsage' | 'preferReplicas'> {
  return {
    thresholds: { stringBytes: config.bigkeys.string_bytes, collectionCount: config.bigkeys.collection_count, perType: config.bigkeys.per_type },
    memoryUsage: config.bigkeys.memory_usage,
    preferReplicas: config.bigkeys.prefer_replicas,
  };
}

/** Deadlines, reply limits, allowed networks and connection bounds for every Redis keyheat talks to. */
export function redisAccessOf(config: KeyheatConfig): RedisAccess {
  return redisAccess({
    connectTimeoutMs: config.analysis.connect_timeout_ms,
    commandTimeoutMs: config.analysis.command_timeout_ms,
    maxReplyBytes: config.redis.max_reply_bytes,
    maxBulkBytes: config.redis.max_bulk_bytes,
    maxLineBytes: config.redis.max_line_bytes,
    maxArrayLength: config.redis.max_array_length,
    maxDepth: config.redis.max_depth,
    maxConnections: config.redis.max_connections,
    maxClusterPrimaries: config.redis.max_cluster_primaries,
    allow: config.network.allow,
  });
}

/** Where finished tasks and findings are posted (notifications.*). */
export function webhookSettings(config: KeyheatConfig): WebhookSettings {
  const n = config.notifications;
  return { webhooks: n.webhooks, hotKeyQps: n.hot_key_qps, timeoutMs: n.timeout_ms, retryForMs: n.retry_for_ms, queueMax: n.queue_max };
}

/** How long a scrape waits for the store's findings (1,000 instances read in tens of milliseconds: bench/findings-scrape.ts). */
export const FINDINGS_DEADLINE_MS = 2000;

/** Whether /metrics serves what analyses found (key names among it): with a token, or where the operator said always. */
export function findingsServed(config: KeyheatConfig): boolean {
  return config.metrics.findings === 'always' || (config.metrics.findings === 'with_token' && config.metrics.token !== undefined);
}

/**
 * /metrics is open unless metrics.token is set; open, it carries counts only, unless
 * metrics.findings is "always". Say which at every start, so an operator who meant to protect
 * it, or expected the findings, sees what is so.
 */
export function logMetricsProtection(config: KeyheatConfig, logger: Logger): void {
  const findings = findingsServed(config);
  if (config.metrics.token === undefined) {
    logger.info(
      { metrics_protected: false, metrics_findings: findings },
      findings
        ? '/metrics is open without authentication and serves findings (key names) because metrics.findings is "always"'
        : '/metrics is open without authentication, with counts only (set metrics.token to require a bearer token and serve the findings)',
    );
  } else {
    logger.info({ metrics_protected: true, metrics_findings: findings }, '/metrics requires Authorization: Bearer <metrics.token>');
  }
}

/** The PostgreSQL pool from the `database:` section (SQLite ignores it). */
export function poolSettings(config: KeyheatConfig): PoolSettings {
  const { pool_size, statement_timeout_ms, connect_timeout_ms, keepalive, keepalive_delay_ms } = config.database;
  return { poolSize: pool_size, statementTimeoutMs: statement_timeout_ms, connectTimeoutMs: connect_timeout_ms, keepaliveMs: keepalive ? keepalive_delay_ms : 0 };
}
