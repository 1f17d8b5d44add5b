/**
 * Big key analysis (DCS's big key task family): one pass over every key of a deployment, on a
 * replica of each shard where one can be read (engine/bigkey-node-scan.ts), keeping per type
 * the `perType` biggest keys above the thresholds, exact per-type totals and namespaces by
 * size (analysis/bigkey-summary.ts). Used by the task runner and by `keyheat scan --big`.
 *
 * Memory: perType keys per type and the namespace counters, plus a few pages of key names per
 * node in flight, whatever the keyspace size.
 *
 * Commands run on the nodes read: INFO, CLIENT NO-TOUCH ON, SELECT, SCAN, and for every key
 * TYPE and its size command (STRLEN, LLEN, SCARD, ZCARD, HLEN, XLEN; MEMORY USAGE for module
 * types), MEMORY USAGE of every key with memoryUsage; for the reported keys only PTTL and
 * MEMORY USAGE, in one pipelined round per node. On replicas also INFO replication and, in a
 * cluster, READONLY; on a cluster CLUSTER NODES on the registered node.
 * Any Redis version and maxmemory-policy will do; a Sentinel is refused.
 * Unlike the hot key scan, a cluster node failing during the scan fails the analysis (no
 * failover wait), and keys of slots migrating meanwhile may be missed (counted as vanished).
 */
import { setMaxListeners } from 'node:events';
import { BigKeySummary, compareTypes, unitOf, type SizedKey } from '../analysis/bigkey-summary.js';
import { displayKeyName } from '../analysis/key-name.js';
import type { BigKey, BigKeyNode, BigKeyResult, BigKeyThresholds, TypeTotal } from '../domain/big-key.js';
import { forEachLimit } from '../domain/for-each-limit.js';
import type { Advice } from '../domain/insights.js';
import type { InstanceMode } from '../domain/instance.js';
import { RedisFailure } from '../domain/redis-failure.js';
import { readClusterTopology, scannablePrimaries } from '../redis/cluster-topology.js';
import { readServerFacts } from '../redis/preflight.js';
import { sendToOwners, type KeyTarget } from '../redis/redirects.js';
import type { NodePool } from '../redis/node-pool.js';
import type { RespConnection } from '../redis/resp-connection.js';
import type { ServerFacts } from '../redis/server-info.js';
import { BIG_KEY_ANALYSIS_DEFAULTS, type BigKeyAnalysisOptions } from './analysis-options.js';
import { withAnalysisScope } from './analysis-scope.js';
import type { AnalysisTarget } from './analyze-deployment.js';
import { scanShard, type BigKeyContext, type ShardPlan } from './bigkey-node-scan.js';
import { parallelPrimaries } from './cluster-scan.js';
import { TOP_PREFIXES } from './insights.js';
import { ProgressBoard } from './progress-board.js';

export type BigKeyAnalysis = BigKeyResult & { readonly mode: InstanceMode };

/**
 * Runs one big key analysis. Throws RedisFailure (of kind 'deadline' after
 * options.maxDurationMs), or the caller's abort reason once its signal aborts: every
 * connection is closed at once, so the analysis stops whatever the nodes do.
 */
export async function analyzeBigKeys(target: AnalysisTarget, partial: Partial<BigKeyAnalysisOptions> = {}): Promise<BigKeyAnalysis> {
  const options: BigKeyAnalysisOptions = { ...BIG_KEY_ANALYSIS_DEFAULTS, ...partial };
  const started = performance.now();
  return withAnalysisScope(target.endpoint, options, async ({ pool, signal, address }) => {
    const seed = await pool.open(address);
    const facts = await readServerFacts(seed);
    if (facts.mode === 'sentinel') throw new RedisFailure('unsupported', seed.address, `${seed.address} is a Redis Sentinel; register the primary it monitors instead`);
    const mode: InstanceMode = facts.mode === 'cluster' ? 'cluster' : 'single';
    const plans = mode === 'cluster' ? await clusterPlans(seed, target.endpoint.host, options) : standalonePlans(seed.address, facts);
    seed.close(); // its slot in the pool goes to a node's scan
    const summary = new BigKeySummary(options.thresholds, { delimiters: options.prefixDelimiters, depth: options.prefixDepth }, options.memoryUsage ? 'memory' : 'size');
    summary.expectNodes(plans.length);
    const context: BigKeyContext = {
      options,
      summary,
      progress: new ProgressBoard(options.onProgress),
      pool,
      signal,
      counts: { scanned: 0, vanished: 0, changed: 0 },
      nodes: [],
    };
    await scanAll(plans, context);
    signal.throwIfAborted();
    const keys = await finalReadings(pool, summary.bigKeys(), mode, context);
    return { mode, ...assemble(keys, mode, context, Math.round(performance.now() - started)) };
  });
}

/** A standalone server: itself, or one of the online replicas its INFO replication lists. */
function standalonePlans(address: string, facts: ServerFacts): ShardPlan[] {
  if (facts.role === 'slave') return [{ fallback: address, fallbackRole: 'replica', replicas: [], cluster: false }];
  return [{ fallback: address, fallbackRole: 'primary', replicas: facts.replicas, cluster: false }];
}

/** Every primary that owns slots, with its healthy replicas from CLUSTER NODES. */
async function clusterPlans(seed: RespConnection, seedHost: string, options: BigKeyAnalysisOptions): Promise<ShardPlan[]> {
  const topology = await readClusterTopology(seed, seedHost, options.redis.maxClusterPrimaries);
  const primaries = scannablePrimaries(topology);
  if (primaries.length === 0) throw new RedisFailure('cluster-down', seed.address, `${seed.address}: no primary of the cluster owns a slot`);
  return primaries.map((primary) => ({
    shard: primary.address,
    fallback: primary.address,
    fallbackRole: 'primary',
    replicas: topology.replicas.filter((r) => r.primaryId === primary.id).map((r) => r.address),
    cluster: true,
  }));
}

/** Every shard, several at once (two connections each); one failing stops the others at once. */
async function scanAll(plans: readonly ShardPlan[], context: BigKeyContext): Promise<void> {
  const local = new AbortController();
  setMaxListeners(0, local.signal);
  const stop = (): void => local.abort(context.signal.reason);
  context.signal.addEventListener('abort', stop, { once: true });
  const scoped: BigKeyContext = { ...context, signal: local.signal };
  try {
    await forEachLimit(plans, parallelPrimaries(context.options.redis.maxConnections), (plan) =>
      scanShard(plan, scoped).catch((error: unknown) => {
        local.abort(error);
        throw error;
      }),
    );
  } finally {
    context.signal.removeEventListener('abort', stop);
  }
}

interface Reading {
  readonly key: SizedKey;
  readonly what: 'ttl' | 'memory';
}

/**
 * PTTL and MEMORY USAGE of the reported keys, on the node each was read on, one pipeline per
 * node and database (CLIENT NO-TOUCH ON first; READONLY too on a cluster, for its replicas).
 * A key gone by now is dropped and counted as vanished. Neither command touches a key's LRU/LFU data.
 */
async function finalReadings(pool: NodePool, keys: readonly SizedKey[], mode: InstanceMode, context: BigKeyContext): Promise<BigKey[]> {
  const targets: KeyTarget<Reading>[] = keys.flatMap((key) =>
    (['ttl', 'memory'] as const).map((what) => ({ item: { key, what }, key: key.name, db: key.db, node: key.node, ask: false })),
  );
  const prelude = mode === 'cluster' ? [['CLIENT', 'NO-TOUCH', 'ON'], ['READONLY']] : [['CLIENT', 'NO-TOUCH', 'ON']];
  const replies = await sendToOwners(pool, targets, (t) => (t.item.what === 'ttl' ? ['PTTL', t.key] : ['MEMORY', 'USAGE', t.key]), { prelude });
  const ttl = new Map<SizedKey, number>();
  const memory = new Map<SizedKey, number>();
  const gone = new Set<SizedKey>();
  for (const { item, node, reply, failure } of replies) {
    if (failure !== null) throw failure;
    if (item.what === 'ttl') {
      if (typeof reply !== 'number') throw new RedisFailure('protocol', node, `${node} answered PTTL with something other than an integer`);
      if (reply === -2) gone.add(item.key);
      else ttl.set(item.key, reply < 0 ? -1 : Math.ceil(reply / 1000));
    } else if (reply === null) {
      gone.add(item.key);
    } else if (typeof reply !== 'number') {
      throw new RedisFailure('protocol', node, `${node} answered MEMORY USAGE with something other than an integer`);
    } else {
      memory.set(item.key, reply);
    }
  }
  context.counts.vanished += gone.size;
  return keys.filter((key) => !gone.has(key)).map((key) => bigKeyOf(key, mode, memory.get(key), ttl.get(key)));
}

function bigKeyOf(key: SizedKey, mode: InstanceMode, memoryBytes: number | undefined, ttl: number | undefined): BigKey {
  const display = displayKeyName(key.name);
  return {
    name: display.name,
    ...(display.base64 === undefined ? {} : { nameBase64: display.base64 }),
    type: key.type,
    db: key.db,
    ...(mode === 'cluster' && key.shard !== undefined ? { shard: key.shard } : {}),
    size: key.size,
    unit: unitOf(key.type),
    ...(memoryBytes === undefined ? {} : { memoryBytes }),
    ...(ttl === undefined ? {} : { ttl }),
  };
}

function assemble(keys: BigKey[], mode: InstanceMode, context: BigKeyContext, durationMs: number): BigKeyResult {
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
  const display = displayKeyName(key.name);
  return {
    name: display.name,
    ...(display.base64 === undefined ? {} : { nameBase64: display.base64 }),
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
    const effect = node.noTouch
      ? "CLIENT NO-TOUCH kept its keys' LRU/LFU data unchanged"
      : "it has no CLIENT NO-TOUCH (Redis 7.2+), so the size command read every key once: each key's LRU idle time was reset and its LFU counter may have risen one step";
    advice.push({ code: 'scanned-primary', message: `The primary ${node.node} was read (${why}); ${effect}.` });
  }
  return advice;
}
