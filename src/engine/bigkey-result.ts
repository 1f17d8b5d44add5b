/**
 * A big key analysis's result from what it kept (analysis/bigkey-summary.ts): the reported keys,
 * per-type totals, namespaces, the nodes read, and advice. Shared by the scan
 * (analyze-bigkeys.ts) and the snapshot strategy (snapshot-analysis.ts).
 */
import { compareTypes, unitOf, type BigKeySummary, type SizedKey } from '../analysis/bigkey-summary.js';
import { reportedName } from '../analysis/key-name.js';
import type { KeptName } from '../domain/kept-name.js';
import type { BigKey, BigKeyNode, BigKeyResult, BigKeyThresholds, TypeTotal } from '../domain/big-key.js';
import type { Advice } from '../domain/insights.js';
import type { InstanceMode } from '../domain/instance.js';
import type { BigKeyAnalysisOptions } from './analysis-options.js';
import type { ScannedNode } from './bigkey-node-scan.js';
import type { ProgressBoard } from './progress-board.js';
import { TOP_PREFIXES } from './insights.js';

export function bigKeyOf(key: SizedKey, mode: InstanceMode, memoryBytes: number | undefined, ttl: number | undefined): BigKey {
  return {
    ...reportedName(keptNameOf(key)),
    type: key.type,
    db: key.db,
    ...(mode === 'cluster' && key.shard !== undefined ? { shard: key.shard } : {}),
    size: key.size,
    unit: unitOf(key.type),
    ...(memoryBytes === undefined ? {} : { memoryBytes }),
    ...(ttl === undefined ? {} : { ttl }),
    ...(key.idleSeconds === undefined ? {} : { idleSeconds: key.idleSeconds }),
    ...(key.volatileFields === undefined ? {} : { volatileFields: key.volatileFields }),
  };
}

/** What assembling a result needs of an analysis (a scan's consumer, or a snapshot's summary). */
export interface AssemblyInput {
  /** Per-type totals and namespaces: analysis/bigkey-summary.ts, or a scan's merge of them per shard (engine/bigkey-consumer.ts). */
  readonly summary: Pick<BigKeySummary, 'thresholds' | 'weighBy' | 'totals' | 'namespaces'>;
  readonly counts: { readonly scanned: number; readonly vanished: number; readonly changed: number };
  readonly progress: Pick<ProgressBoard, 'reports'>;
  readonly nodes: readonly ScannedNode[];
  readonly options: Pick<BigKeyAnalysisOptions, 'memoryUsage'>;
}

export function assemble(keys: BigKey[], mode: InstanceMode, context: AssemblyInput, durationMs: number): BigKeyResult {
  const { summary, counts, options } = context;
  const reports = new Map(context.progress.reports().map((r) => [r.node, r]));
  const nodes: BigKeyNode[] = context.nodes.map((n) => {
    const report = reports.get(n.node);
    return {
      node: n.node,
      role: n.role,
      ...(n.shard === undefined ? {} : { shard: n.shard }),
      scannedKeys: report?.scannedKeys ?? 0,
      expectedKeys: report?.expectedKeys ?? 0,
      noTouch: n.noTouch,
      ...(n.noTouchDenied === true ? { noTouchDenied: true } : {}),
      cpuShare: report?.cpuShare ?? null,
      longestBlockUs: report?.longestBlockUs ?? null,
      trafficSeen: report?.trafficSeen ?? false,
      replicaSkipped: n.replicaSkipped,
    };
  });
  const types: TypeTotal[] = summary.totals().map((t) => ({
    type: t.type,
    keys: t.keys,
    totalSize: t.totalSize,
    unit: unitOf(t.type),
    bigKeys: t.bigKeys,
    ...(options.memoryUsage ? { memoryBytes: t.memoryBytes } : {}),
    largest: t.largest === null ? null : largestOf(t.largest, mode),
  }));
  keys.sort((a, b) => compareTypes(a.type, b.type) || b.size - a.size);
  return {
    keys,
    stats: { scannedKeys: counts.scanned, vanishedKeys: counts.vanished, changedKeys: counts.changed, durationMs, nodes },
    thresholds: summary.thresholds,
    types,
    prefixes: summary.namespaces(TOP_PREFIXES),
    prefixesBy: summary.weighBy,
    advice: bigKeyAdvice(types, nodes, summary.thresholds, counts.scanned),
  };
}

function largestOf(key: SizedKey, mode: InstanceMode): NonNullable<TypeTotal['largest']> {
  return {
    ...reportedName(keptNameOf(key)),
    db: key.db,
    ...(mode === 'cluster' && key.shard !== undefined ? { shard: key.shard } : {}),
    size: key.size,
  };
}

/** 10240 -> "10 KB"; other byte counts as they are. */
function bytesText(bytes: number): string {
  if (bytes % (1024 * 1024) === 0) return `${bytes / (1024 * 1024)} MB`;
  if (bytes % 1024 === 0) return `${bytes / 1024} KB`;
  return `${bytes} bytes`;
}

/** big-keys-found / no-big-keys, and scanned-primary where a primary's keys were read (and why it matters). */
export function bigKeyAdvice(types: readonly TypeTotal[], nodes: readonly BigKeyNode[], thresholds: BigKeyThresholds, scannedKeys: number): Advice[] {
  const advice: Advice[] = [];
  const limits = `strings over ${bytesText(thresholds.stringBytes)}, collections over ${thresholds.collectionCount.toLocaleString('en-US')} elements`;
  const big = types.filter((t) => t.bigKeys > 0);
  if (big.length === 0) {
    advice.push({ code: 'no-big-keys', message: `No key is over the thresholds (${limits}) among ${scannedKeys.toLocaleString('en-US')} keys scanned.` });
  } else {
    const total = big.reduce((sum, t) => sum + t.bigKeys, 0);
    const parts = big.map((t) => `${t.type} ${t.bigKeys.toLocaleString('en-US')}${t.bigKeys > thresholds.perType ? ` (the ${thresholds.perType} biggest reported)` : ''}`);
    advice.push({
      code: 'big-keys-found',
      message:
        `${total.toLocaleString('en-US')} key${total === 1 ? ' is' : 's are'} over the thresholds (${limits}): ${parts.join(', ')}. ` +
        'Big keys make single commands slow, replication and migration heavy, and memory uneven across shards: split them, or trim collections.',
    });
  }
  for (const node of nodes) {
    if (node.role !== 'primary' || (node.replicaSkipped === null && node.noTouch)) continue;
    const why = node.replicaSkipped === null ? 'it has no replica' : node.replicaSkipped;
    const touched = "so the size command read every key once: each key's LRU idle time was reset and its LFU counter may have risen one step";
    const effect = node.noTouch
      ? "CLIENT NO-TOUCH kept its keys' LRU/LFU data unchanged"
      : node.noTouchDenied === true
        ? `the ACL user may not run CLIENT NO-TOUCH there (add +client|no-touch), ${touched}`
        : `it has no CLIENT NO-TOUCH (Redis 7.2+), ${touched}`;
    advice.push({ code: 'scanned-primary', message: `The primary ${node.node} was read (${why}); ${effect}.` });
  }
  return advice;
}

/** A summary key's name as kept: its bytes, and the hash of the whole when they are its beginning. */
function keptNameOf(key: SizedKey): KeptName {
  return key.nameSha1 === undefined ? { name: key.name } : { name: key.name, nameSha1: key.nameSha1 };
}
