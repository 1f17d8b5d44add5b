/**
 * DCS wire -> domain: the inverse of wire-mappers.ts and insight-mappers.ts, for a client that
 * reads tasks over HTTP (the CLI's `tasks create --wait`, `tasks show`) and shows them with the
 * same formatter as `keyheat scan`. A round trip through both directions is tested to be exact.
 */
import type { Static } from '@sinclair/typebox';
import type { AnalysisStats as StatsDomain, HotKey } from '../domain/hot-key.js';
import type { GroupHeat, Insights, LfuReport, PrefixHeat } from '../domain/insights.js';
import type { NodeProgress } from '../domain/task.js';
import type { Sampling } from '../domain/sampling.js';
import type { SnapshotReport } from '../domain/snapshot.js';
import type { BigKeyResult } from '../domain/big-key.js';
import type { BigTaskBody } from './bigkey-schemas.js';
import type { AnalysisStats, HotkeysBody, NodeProgressBody, SnapshotBody, TaskBody } from './task-schemas.js';
import { nameFromWire } from './wire-names.js';

type TaskWire = Static<typeof TaskBody>;
type StatsWire = Static<typeof AnalysisStats>;
type HeatWire = { est_qps: number | null; est_accesses?: number; share: number };

export function hotKeyFromWire(key: Static<typeof HotkeysBody>): HotKey {
  return {
    ...nameFromWire(key),
    type: key.type,
    ...(key.shard === undefined ? {} : { shard: key.shard }),
    db: key.db,
    size: key.size,
    unit: key.unit === 'byte' ? 'byte' : 'count',
    freq: key.freq,
    ...(key.est_qps === undefined ? {} : { estQps: key.est_qps }),
    ...(key.est_accesses === undefined ? {} : { estAccesses: key.est_accesses }),
    ...(key.saturated === undefined ? {} : { saturated: key.saturated }),
    ...(key.previous_freq === undefined ? {} : { previousFreq: key.previous_freq }),
    ...(key.sampled_qps === undefined ? {} : { sampledQps: key.sampled_qps }),
    ...(key.sampled_share === undefined ? {} : { sampledShare: key.sampled_share }),
    ...(key.also_big === undefined ? {} : { alsoBig: key.also_big }),
  };
}

export function statsFromWire(stats: StatsWire): StatsDomain {
  return {
    scannedKeys: stats.scanned_keys,
    vanishedKeys: stats.vanished_keys,
    changedKeys: stats.changed_keys,
    durationMs: stats.duration_ms,
    ...(stats.nodes === undefined
      ? {}
      : {
          nodes: stats.nodes.map((n) => ({
            node: n.node,
            scannedKeys: n.scanned_keys,
            expectedKeys: n.expected_keys,
            cpuShare: n.cpu_share,
            longestBlockUs: n.longest_block_us,
            trafficSeen: n.traffic_seen,
          })),
        }),
  };
}

export function nodeProgressFromWire(node: Static<typeof NodeProgressBody>): NodeProgress {
  return { node: node.node, scannedKeys: node.scanned_keys, expectedKeys: node.expected_keys };
}

/** A task's reading of its result; null for a task without one (not finished, or finished before keyheat read results). */
export function insightsFromWire(task: TaskWire): Insights | null {
  if (task.prefixes === undefined || task.advice === undefined) return null;
  return {
    lfu: lfuFromWire(task.analysis?.lfu),
    prefixes: task.prefixes.map(prefixFromWire),
    ...(task.shards === undefined ? {} : { shards: task.shards.map(groupFromWire) }),
    ...(task.databases === undefined ? {} : { databases: task.databases.map(groupFromWire) }),
    trend:
      task.trend === undefined || task.trend === null
        ? null
        : {
            comparedWith: task.trend.compared_with,
            new: [...task.trend.new],
            gone: task.trend.gone.map((k) => ({ ...nameFromWire(k), db: k.db, freq: k.freq })),
          },
    advice: task.advice.map((a) => ({ code: a.code, message: a.message })),
    ...(task.sampled === undefined || task.sample === undefined ? {} : { sampling: samplingFromWire(task.sampled, task.sample) }),
    ...(task.snapshot === undefined ? {} : { snapshot: snapshotFromWire(task.snapshot) }),
  };
}

function samplingFromWire(sampled: NonNullable<TaskWire['sampled']>, sample: NonNullable<TaskWire['sample']>): Sampling {
  return {
    sampled: sampled.map((k) => ({
      ...nameFromWire(k),
      db: k.db,
      ...(k.shard === undefined ? {} : { shard: k.shard }),
      qps: k.qps,
      share: k.share,
      error: k.error,
    })),
    sample: {
      requestedSeconds: sample.requested_seconds,
      seconds: sample.seconds,
      commandsSeen: sample.commands_seen,
      commandsPerS: sample.commands_per_s,
      nodes: sample.nodes,
      bound: sample.bound,
      counters: sample.counters,
      stoppedEarly: sample.stopped_early,
      perNode: sample.per_node.map((n) => ({ node: n.node, role: n.role, commandsSeen: n.commands_seen, seconds: n.seconds, stoppedEarly: n.stopped_early })),
    },
  };
}

/** `analysis.lfu` holds the first node's settings, and every node's only when they differ. */
function lfuFromWire(lfu: StatsWire['lfu']): LfuReport[] {
  if (lfu === undefined) return [];
  const fields = (r: Omit<NonNullable<StatsWire['lfu']>, 'nodes'>): LfuReport => ({
    logFactor: r.log_factor,
    decayTime: r.decay_time,
    source: r.source,
    ceilingQps: r.ceiling_qps,
  });
  return lfu.nodes === undefined ? [fields(lfu)] : lfu.nodes.map((n) => ({ node: n.node, ...fields(n) }));
}

function heatFromWire(heat: HeatWire): { estQps: number | null; estAccesses: number | null; share: number } {
  return { estQps: heat.est_qps, estAccesses: heat.est_accesses ?? null, share: heat.share };
}

function prefixFromWire(p: NonNullable<TaskWire['prefixes']>[number]): PrefixHeat {
  return { prefix: p.prefix, ...(p.prefix_base64 === undefined ? {} : { prefixBase64: p.prefix_base64 }), keys: p.keys, ...heatFromWire(p) };
}

function groupFromWire(g: HeatWire & { shard?: string; db?: number; scanned_keys: number; warm_keys: number }): GroupHeat {
  return {
    ...(g.shard === undefined ? {} : { shard: g.shard }),
    ...(g.db === undefined ? {} : { db: g.db }),
    scannedKeys: g.scanned_keys,
    warmKeys: g.warm_keys,
    ...heatFromWire(g),
  };
}

/** A finished big key task's result, back in domain values (the inverse of bigkey-mappers.ts); null before it succeeded. */
export function bigResultFromWire(task: Static<typeof BigTaskBody>): BigKeyResult | null {
  if (task.analysis === undefined || task.thresholds === undefined) return null;
  const named = <T extends Parameters<typeof nameFromWire>[0] & { db: number; shard?: string | undefined }>(k: T) => ({
    ...nameFromWire(k),
    db: k.db,
    ...(k.shard === undefined ? {} : { shard: k.shard }),
  });
  const unit = (u: string): 'byte' | 'count' => (u === 'byte' ? 'byte' : 'count');
  return {
    keys: (task.keys ?? []).map((k) => ({
      ...named(k),
      type: k.type,
      size: k.size,
      unit: unit(k.unit),
      ...(k.memory_bytes === undefined ? {} : { memoryBytes: k.memory_bytes }),
      ...(k.ttl === undefined ? {} : { ttl: k.ttl }),
      ...(k.idle_seconds === undefined ? {} : { idleSeconds: k.idle_seconds }),
      ...(k.volatile_fields === undefined ? {} : { volatileFields: k.volatile_fields }),
      ...(k.also_hot === undefined ? {} : { alsoHot: k.also_hot }),
    })),
    stats: {
      scannedKeys: task.analysis.scanned_keys,
      vanishedKeys: task.analysis.vanished_keys,
      changedKeys: task.analysis.changed_keys,
      durationMs: task.analysis.duration_ms,
      nodes: task.analysis.nodes.map((n) => ({
        node: n.node,
        role: n.role,
        ...(n.shard === undefined ? {} : { shard: n.shard }),
        scannedKeys: n.scanned_keys,
        expectedKeys: n.expected_keys,
        noTouch: n.no_touch,
        ...(n.no_touch_denied === true ? { noTouchDenied: true } : {}),
        cpuShare: n.cpu_share,
        longestBlockUs: n.longest_block_us,
        trafficSeen: n.traffic_seen,
        replicaSkipped: n.replica_skipped,
      })),
    },
    thresholds: { stringBytes: task.thresholds.string_bytes, collectionCount: task.thresholds.collection_count, perType: task.thresholds.per_type },
    types: (task.types ?? []).map((t) => ({
      type: t.type,
      keys: t.keys,
      totalSize: t.total_size,
      unit: unit(t.unit),
      bigKeys: t.big_keys,
      ...(t.memory_bytes === undefined ? {} : { memoryBytes: t.memory_bytes }),
      largest: t.largest === null ? null : { ...named(t.largest), size: t.largest.size },
    })),
    prefixes: (task.prefixes ?? []).map((p) => ({ prefix: p.prefix, ...(p.prefix_base64 === undefined ? {} : { prefixBase64: p.prefix_base64 }), keys: p.keys, weight: p.weight, share: p.share })),
    prefixesBy: task.prefixes_by ?? 'size',
    advice: (task.advice ?? []).map((a) => ({ code: a.code, message: a.message })),
    ...(task.snapshot === undefined ? {} : { snapshot: snapshotFromWire(task.snapshot) }),
  };
}

/** `snapshot` (strategy snapshot) back into the domain's words. */
export function snapshotFromWire(wire: Static<typeof SnapshotBody>): SnapshotReport {
  return {
    source: wire.source,
    nodes: wire.nodes.map((n) => ({
      node: n.node,
      role: n.role,
      ...(n.shard === undefined ? {} : { shard: n.shard }),
      rdbBytes: n.rdb_bytes,
      rdbVersion: n.rdb_version,
      keys: n.keys,
      expiredKeys: n.expired_keys,
      moduleKeys: n.module_keys,
      forkUsec: n.fork_usec,
      cowBytes: n.cow_bytes,
      backlogBytes: n.backlog_bytes ?? null,
      protocol: n.protocol,
      waitMs: n.wait_ms,
      transferMs: n.transfer_ms,
      replicaSkipped: n.replica_skipped,
    })),
  };
}
