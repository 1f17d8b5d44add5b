/** A result's reading (domain/insights.ts) on the wire: snake_case, DCS's field style. */
import type { Static } from '@sinclair/typebox';
import type { GroupHeat, Heat, Insights, LfuReport, PrefixHeat } from '../domain/insights.js';
import type { Sampling } from '../domain/sampling.js';
import type { SnapshotReport } from '../domain/snapshot.js';
import type { InsightFields } from './task-schemas.js';
import { nameToWire } from './wire-names.js';

type InsightWire = { [K in keyof typeof InsightFields]?: Static<(typeof InsightFields)[K]> };

/** The top-level task fields: prefixes, shards or databases, trend, advice. */
export function insightsToWire(insights: Insights): InsightWire {
  return {
    prefixes: insights.prefixes.map(prefixToWire),
    ...(insights.shards === undefined ? {} : { shards: insights.shards.map(groupToWire) as InsightWire['shards'] }),
    ...(insights.databases === undefined ? {} : { databases: insights.databases.map(groupToWire) as InsightWire['databases'] }),
    trend:
      insights.trend === null
        ? null
        : {
            compared_with: insights.trend.comparedWith,
            new: [...insights.trend.new],
            gone: insights.trend.gone.map((k) => ({ ...nameToWire(k), db: k.db, freq: k.freq })),
          },
    advice: insights.advice.map((a) => ({ code: a.code, message: a.message })),
    ...(insights.sampling === undefined ? {} : samplingToWire(insights.sampling)),
    ...(insights.snapshot === undefined ? {} : { snapshot: snapshotToWire(insights.snapshot) }),
  };
}

/** `snapshot`: each RDB read (strategy snapshot), for hot and big key tasks alike. */
export function snapshotToWire(report: SnapshotReport): NonNullable<InsightWire['snapshot']> {
  return {
    source: report.source,
    nodes: report.nodes.map((n) => ({
      node: n.node,
      role: n.role,
      ...(n.shard === undefined ? {} : { shard: n.shard }),
      rdb_bytes: n.rdbBytes,
      rdb_version: n.rdbVersion,
      keys: n.keys,
      expired_keys: n.expiredKeys,
      module_keys: n.moduleKeys,
      fork_usec: n.forkUsec,
      cow_bytes: n.cowBytes,
      backlog_bytes: n.backlogBytes,
      protocol: n.protocol,
      wait_ms: n.waitMs,
      transfer_ms: n.transferMs,
      replica_skipped: n.replicaSkipped,
    })),
  };
}

/** `sampled` and `sample`: the sampling phase's ranking and what it watched. */
function samplingToWire({ sampled, sample }: Sampling): Pick<InsightWire, 'sampled' | 'sample'> {
  return {
    sampled: sampled.map((k) => ({
      ...nameToWire(k),
      db: k.db,
      ...(k.shard === undefined ? {} : { shard: k.shard }),
      qps: k.qps,
      share: k.share,
      error: k.error,
    })),
    sample: {
      requested_seconds: sample.requestedSeconds,
      seconds: sample.seconds,
      commands_seen: sample.commandsSeen,
      commands_per_s: sample.commandsPerS,
      nodes: sample.nodes,
      bound: sample.bound,
      counters: sample.counters,
      stopped_early: sample.stoppedEarly,
      per_node: sample.perNode.map((n) => ({ node: n.node, role: n.role, commands_seen: n.commandsSeen, seconds: n.seconds, stopped_early: n.stoppedEarly })),
    },
  };
}

/** `analysis.lfu`: the first node's settings, with every node's when they differ. */
export function lfuToWire(reports: readonly LfuReport[]): Record<string, unknown> | undefined {
  const first = reports[0];
  if (first === undefined) return undefined;
  const fields = (r: LfuReport) => ({ log_factor: r.logFactor, decay_time: r.decayTime, source: r.source, ceiling_qps: r.ceilingQps });
  return { ...fields(first), ...(reports.length > 1 ? { nodes: reports.map((r) => ({ node: r.node ?? '', ...fields(r) })) } : {}) };
}

function heatToWire(heat: Heat): { est_qps: number | null; est_accesses?: number; share: number } {
  return { est_qps: heat.estQps, ...(heat.estAccesses === null ? {} : { est_accesses: heat.estAccesses }), share: heat.share };
}

function prefixToWire(p: PrefixHeat) {
  return { prefix: p.prefix, ...(p.prefixBase64 === undefined ? {} : { prefix_base64: p.prefixBase64 }), keys: p.keys, ...heatToWire(p) };
}

function groupToWire(g: GroupHeat) {
  return { ...(g.shard === undefined ? {} : { shard: g.shard }), ...(g.db === undefined ? {} : { db: g.db }), scanned_keys: g.scannedKeys, warm_keys: g.warmKeys, ...heatToWire(g) };
}
