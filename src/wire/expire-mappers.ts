/** Expired key scan domain -> DCS wire (snake_case). */
import type { Static } from '@sinclair/typebox';
import type { IntervalSchedule } from '../domain/autoscan.js';
import type { ExpireScanResult, TtlCounts } from '../domain/expire-report.js';
import type { Task } from '../domain/task.js';
import type { ExpireAutoscanConfig, ExpireRecord, ExpireTaskBody, ScanTask } from './expire-schemas.js';
import { nodeProgressToWire, optionsToWire } from './wire-mappers.js';

export function scanTaskToWire(task: Task): Static<typeof ScanTask> {
  return { id: task.id, instance_id: task.instanceId, status: task.status, scan_type: task.scanType, created_at: task.createdAt };
}

export function expireRecordToWire(task: Task): Static<typeof ExpireRecord> {
  return {
    ...scanTaskToWire(task),
    num: task.num,
    ...(task.startedAt === null ? {} : { started_at: task.startedAt }),
    ...(task.finishedAt === null ? {} : { finished_at: task.finishedAt }),
    ...(task.errorMsg === null ? {} : { error_msg: task.errorMsg }),
  };
}

export function expireTaskToWire(task: Task): Static<typeof ExpireTaskBody> {
  const result = task.kind === 'expire' ? task.result : null;
  return {
    ...expireRecordToWire(task),
    ...(task.options === null ? {} : { options: optionsToWire(task.options) }),
    ...(task.progress === null ? {} : { progress: { nodes: task.progress.nodes.map(nodeProgressToWire) } }),
    ...(result === null ? {} : expireResultToWire(result)),
  };
}

/** The scan's report: the task's keyheat fields, and `keyheat scan --expired --json`. */
export function expireResultToWire(result: ExpireScanResult): Pick<Static<typeof ExpireTaskBody>, 'analysis' | 'ttl' | 'advice'> & { num: number; mode: string } {
  return {
    mode: result.mode,
    num: result.num,
    analysis: {
      scanned_keys: result.scannedKeys,
      vanished_keys: result.vanishedKeys,
      duration_ms: result.durationMs,
      scan_keys_count: result.scanKeysCount,
      nodes: result.nodes.map((n) => ({
        node: n.node,
        ...(n.shard === undefined ? {} : { shard: n.shard }),
        scanned_keys: n.scannedKeys,
        expired_before: n.expiredBefore,
        expired_after: n.expiredAfter,
        reclaimed: n.reclaimed,
        cpu_share: n.cpuShare,
        longest_block_us: n.longestBlockUs,
        traffic_seen: n.trafficSeen,
      })),
    },
    ttl: {
      totals: ttlCountsToWire(result.ttl.totals),
      databases: result.ttl.databases.map((d) => ({ db: d.db, ...ttlCountsToWire(d) })),
      namespaces: result.ttl.namespaces.map((n) => ({ prefix: n.prefix, ...(n.prefixBase64 === undefined ? {} : { prefix_base64: n.prefixBase64 }), ...ttlCountsToWire(n), error: n.error })),
    },
    ...(result.trimmed === undefined ? {} : { advice: [{ code: 'result-trimmed', message: result.trimmed }] }),
  };
}

function ttlCountsToWire(counts: TtlCounts) {
  const h = counts.histogram;
  return {
    keys: counts.keys,
    with_expiry: counts.withExpiry,
    without_expiry: counts.withoutExpiry,
    histogram: { under_1m: h.under1m, under_1h: h.under1h, under_1d: h.under1d, under_7d: h.under7d, longer: h.longer, none: h.none },
  };
}

export function expireAutoscanToWire(config: { instanceId: string; enableAutoScan: boolean; schedule: IntervalSchedule; updatedAt: string }): Static<typeof ExpireAutoscanConfig> {
  return {
    instance_id: config.instanceId,
    enable_auto_scan: config.enableAutoScan,
    first_scan_at: config.schedule.firstScanAt,
    interval: config.schedule.interval,
    timeout: config.schedule.timeout,
    scan_keys_count: config.schedule.scanKeysCount,
    updated_at: config.updatedAt,
  };
}
