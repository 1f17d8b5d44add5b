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
import { BigKeySummary, type SizedKey } from '../analysis/bigkey-summary.js';
import type { BigKey, BigKeyResult } from '../domain/big-key.js';
import { forEachLimit } from '../domain/for-each-limit.js';
import type { InstanceMode } from '../domain/instance.js';
import { RedisFailure } from '../domain/redis-failure.js';
import { sendToOwners, type KeyTarget } from '../redis/redirects.js';
import type { NodePool } from '../redis/node-pool.js';
import { openDeployment, type Shard } from '../redis/topology.js';
import type { RespConnection } from '../redis/resp-connection.js';
import { RedisReplyError } from '../redis/resp-parser.js';
import type { Advice } from '../domain/insights.js';
import { BIG_KEY_ANALYSIS_DEFAULTS, type BigKeyAnalysisOptions } from './analysis-options.js';
import { withAnalysisScope } from './analysis-scope.js';
import { assemble, bigKeyOf } from './bigkey-result.js';
import type { AnalysisTarget } from './analyze-deployment.js';
import { scanShard, type BigKeyContext } from './bigkey-node-scan.js';
import { parallelPrimaries } from './cluster-scan.js';
import { ProgressBoard } from './progress-board.js';
import { snapshotDeployment } from './snapshot-analysis.js';

export type BigKeyAnalysis = BigKeyResult & { readonly mode: InstanceMode };

/**
 * Runs one big key analysis. Throws RedisFailure (of kind 'deadline' after
 * options.maxDurationMs), or the caller's abort reason once its signal aborts: every
 * connection is closed at once, so the analysis stops whatever the nodes do.
 */
export async function analyzeBigKeys(target: AnalysisTarget, partial: Partial<BigKeyAnalysisOptions> = {}): Promise<BigKeyAnalysis> {
  const options: BigKeyAnalysisOptions = { ...BIG_KEY_ANALYSIS_DEFAULTS, ...partial };
  const started = performance.now();
  return withAnalysisScope(target.endpoint, options, async (scope) => {
    const { pool, signal } = scope;
    const deployment = await openDeployment(pool, target.endpoint, options.redis, signal);
    const { seed, mode } = deployment;
    if (options.strategy === 'snapshot') {
      if (options.memoryUsage) throw new RedisFailure('unsupported', seed.address, 'memory_usage works with the scan strategy only: a snapshot has no MEMORY USAGE');
      // The fork happens where the RDB is read: a replica spares the primary, as a big key scan does.
      const snapshotOptions = { ...options, snapshotReplicas: options.snapshotReplicas || options.preferReplicas };
      const outcome = await snapshotDeployment(scope, deployment, snapshotOptions, { hot: false, big: options.thresholds });
      const big = outcome.big as BigKeyResult;
      return { mode, ...big, stats: { ...big.stats, durationMs: Math.round(performance.now() - started) } };
    }
    const plans = deployment.shards;
    // --memory where the ACL denies MEMORY USAGE: the analysis runs without it, saying why.
    const memoryDenied = options.memoryUsage && !(await memoryUsageAllowed(seed)) ? seed.address : null;
    const scanOptions = memoryDenied === null ? options : { ...options, memoryUsage: false };
    seed.close(); // its slot in the pool goes to a node's scan
    const summary = new BigKeySummary(options.thresholds, { delimiters: options.prefixDelimiters, depth: options.prefixDepth }, scanOptions.memoryUsage ? 'memory' : 'size');
    summary.expectNodes(plans.length);
    const context: BigKeyContext = {
      options: scanOptions,
      summary,
      progress: new ProgressBoard(options.onProgress),
      pool,
      signal,
      counts: { scanned: 0, vanished: 0, changed: 0 },
      nodes: [],
      memoryDenied,
    };
    await scanAll(plans, context);
    signal.throwIfAborted();
    const keys = await finalReadings(pool, summary.bigKeys(), mode, context);
    const result = assemble(keys, mode, context, Math.round(performance.now() - started));
    return { mode, ...result, advice: [...result.advice, ...memoryDeniedAdvice(context.memoryDenied, options.memoryUsage)] };
  });
}

/** Every shard, several at once (two connections each); one failing stops the others at once. */
async function scanAll(plans: readonly Shard[], context: BigKeyContext): Promise<void> {
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

/**
 * Whether the ACL user may run MEMORY USAGE: asked of a key name no one uses (nil when allowed,
 * NOPERM when not; the analysis reads every key anyway, so key permissions are not what decides).
 * On a cluster the name may belong to another node: a redirect means the ACL let it through.
 */
async function memoryUsageAllowed(connection: RespConnection): Promise<boolean> {
  const [reply] = await connection.pipeline([['MEMORY', 'USAGE', 'keyheat:acl-check']]);
  if (!(reply instanceof RedisReplyError) || reply.prefix === 'MOVED' || reply.prefix === 'ASK') return true;
  const failure = connection.failureOf(reply);
  if (failure.kind === 'no-permission') return false;
  throw failure;
}

/** Said when MEMORY USAGE was denied: to a --memory analysis, or for the reported keys' memory. */
function memoryDeniedAdvice(node: string | null, asked: boolean): Advice[] {
  if (node === null) return [];
  const what = asked ? '--memory (memory_usage) was asked for, but' : 'the reported keys carry no memory_bytes:';
  return [{ code: 'memory-usage-denied', message: `${what} the ACL user may not run MEMORY USAGE on ${node} (add +memory|usage): sizes are element counts and bytes, namespaces weighed by them.` }];
}

interface Reading {
  readonly key: SizedKey;
  readonly what: 'ttl' | 'memory';
}

/**
 * PTTL and MEMORY USAGE of the reported keys, on the node each was read on, one pipeline per
 * node and database (CLIENT NO-TOUCH ON first; READONLY too on a cluster, for its replicas).
 * A key gone by now is dropped and counted as vanished. Neither command touches a key's LRU/LFU data.
 * Keys kept under a name too long to keep whole are reported without them.
 */
async function finalReadings(pool: NodePool, keys: readonly SizedKey[], mode: InstanceMode, context: BigKeyContext): Promise<BigKey[]> {
  // A key kept under a long name (its beginning and hash) cannot be named to the server again: no TTL or memory for it.
  const targets: KeyTarget<Reading>[] = keys
    .filter((key) => key.nameSha1 === undefined)
    .flatMap((key) => (['ttl', 'memory'] as const).map((what) => ({ item: { key, what }, key: key.name, db: key.db, node: key.node, ask: false })));
  const prelude = mode === 'cluster' ? [['CLIENT', 'NO-TOUCH', 'ON'], ['READONLY']] : [['CLIENT', 'NO-TOUCH', 'ON']];
  const replies = await sendToOwners(pool, targets, (t) => (t.item.what === 'ttl' ? ['PTTL', t.key] : ['MEMORY', 'USAGE', t.key]), { prelude });
  const ttl = new Map<SizedKey, number>();
  const memory = new Map<SizedKey, number>();
  const gone = new Set<SizedKey>();
  for (const { item, node, reply, failure } of replies) {
    if (failure?.kind === 'no-permission' && item.what === 'memory') {
      context.memoryDenied ??= node;
      continue;
    }
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
