/** Big key domain -> DCS wire (snake_case): the API's big key tasks and `keyheat scan --big --json`. */
import type { Static } from '@sinclair/typebox';
import type { BigKey, BigKeyResult, TypeTotal } from '../domain/big-key.js';
import type { Task } from '../domain/task.js';
import type { BigkeysBody, BigKeyAnalysis, BigKeyFields, BigTaskBody } from './bigkey-schemas.js';
import { snapshotToWire } from './insight-mappers.js';
import { taskEnvelopeToWire } from './wire-mappers.js';
import { nameToWire } from './wire-names.js';

type FieldsWire = { [K in keyof typeof BigKeyFields]?: Static<(typeof BigKeyFields)[K]> };

export function bigTaskToWire(task: Task, options: { withKeys: boolean }): Static<typeof BigTaskBody> {
  const result = task.kind === 'big' ? task.result : null;
  return {
    ...taskEnvelopeToWire(task),
    num: result?.keys.length ?? 0,
    ...(options.withKeys && result !== null ? { keys: result.keys.map(bigKeyToWire) } : {}),
    ...(result === null ? {} : { analysis: bigAnalysisToWire(result), ...bigFieldsToWire(result) }),
  };
}

/** `keyheat scan --big --json`: the task's result fields, in the same shapes. */
export function bigKeyResultToWire(result: BigKeyResult & { mode: string }): Record<string, unknown> {
  return { mode: result.mode, keys: result.keys.map(bigKeyToWire), analysis: bigAnalysisToWire(result), ...bigFieldsToWire(result) };
}

export function bigKeyToWire(key: BigKey): Static<typeof BigkeysBody> {
  return {
    ...nameToWire(key),
    type: key.type,
    ...(key.shard === undefined ? {} : { shard: key.shard }),
    db: key.db,
    size: key.size,
    unit: key.unit,
    ...(key.memoryBytes === undefined ? {} : { memory_bytes: key.memoryBytes }),
    ...(key.ttl === undefined ? {} : { ttl: key.ttl }),
    ...(key.idleSeconds === undefined ? {} : { idle_seconds: key.idleSeconds }),
    ...(key.volatileFields === undefined ? {} : { volatile_fields: key.volatileFields }),
    ...(key.alsoHot === undefined ? {} : { also_hot: key.alsoHot }),
  };
}

function bigAnalysisToWire(result: BigKeyResult): Static<typeof BigKeyAnalysis> {
  const { stats } = result;
  return {
    scanned_keys: stats.scannedKeys,
    vanished_keys: stats.vanishedKeys,
    changed_keys: stats.changedKeys,
    duration_ms: stats.durationMs,
    nodes: stats.nodes.map((n) => ({
      node: n.node,
      role: n.role,
      ...(n.shard === undefined ? {} : { shard: n.shard }),
      scanned_keys: n.scannedKeys,
      expected_keys: n.expectedKeys,
      no_touch: n.noTouch,
      ...(n.noTouchDenied === true ? { no_touch_denied: true } : {}),
      cpu_share: n.cpuShare,
      longest_block_us: n.longestBlockUs,
      traffic_seen: n.trafficSeen,
      replica_skipped: n.replicaSkipped,
    })),
  };
}

function bigFieldsToWire(result: BigKeyResult): FieldsWire {
  return {
    thresholds: { string_bytes: result.thresholds.stringBytes, collection_count: result.thresholds.collectionCount, per_type: result.thresholds.perType },
    types: result.types.map(typeToWire),
    prefixes: result.prefixes.map((p) => ({ prefix: p.prefix, ...(p.prefixBase64 === undefined ? {} : { prefix_base64: p.prefixBase64 }), keys: p.keys, weight: p.weight, share: p.share })),
    prefixes_by: result.prefixesBy,
    advice: result.advice.map((a) => ({ code: a.code, message: a.message })),
    ...(result.snapshot === undefined ? {} : { snapshot: snapshotToWire(result.snapshot) }),
  };
}

function typeToWire(t: TypeTotal): NonNullable<FieldsWire['types']>[number] {
  const largest = t.largest;
  return {
    type: t.type,
    keys: t.keys,
    total_size: t.totalSize,
    unit: t.unit,
    big_keys: t.bigKeys,
    ...(t.memoryBytes === undefined ? {} : { memory_bytes: t.memoryBytes }),
    largest:
      largest === null
        ? null
        : { ...nameToWire(largest), db: largest.db, ...(largest.shard === undefined ? {} : { shard: largest.shard }), size: largest.size },
  };
}
