/**
 * Big key analysis (DCS's big key task family): one pass over every key of a deployment, on a
 * replica of each shard where one can be read, keeping per type the `perType` biggest keys above
 * the thresholds, exact per-type totals and namespaces by size (engine/bigkey-consumer.ts over
 * analysis/bigkey-summary.ts). Used by the task runner and by `keyheat scan --big`.
 *
 * It runs on the scan machine the hot key scan uses (engine/scan-node.ts, engine/cluster-scan.ts)
 * with engine/bigkey-consumer.ts as its consumer: the same pacing (max_cpu_share, max_block_us,
 * rate_limit); on a cluster the same handling of topology changes: a key answering MOVED/ASK is
 * read where it went, the slots that moved are read again at the end, a node lost mid-scan (a
 * primary failing over, or the replica read) is waited for up to failover_wait_ms and its shard
 * read again from the start, what it gave forgotten. A result never silently lacks a shard.
 *
 * Memory: perType keys per type, per shard its totals and share of the namespace counters, plus
 * a few pages of key names per node in flight, whatever the keyspace size.
 *
 * Commands run on the nodes read: INFO, INFO commandstats (pacing), CLIENT NO-TOUCH ON, SELECT,
 * SCAN, and for every key TYPE and its size command (STRLEN, LLEN, SCARD, ZCARD, HLEN, XLEN;
 * MEMORY USAGE for module types), MEMORY USAGE of every key with memoryUsage; for the reported
 * keys only PTTL and MEMORY USAGE, in one pipelined round per node. On replicas also INFO
 * replication and, in a cluster, READONLY. On a cluster CLUSTER NODES (at the start and the end;
 * every 250 ms during a failover wait, with PING), and for keys whose slot moved CLUSTER
 * COUNTKEYSINSLOT / GETKEYSINSLOT, ASKING, TYPE and the size command on their primary.
 * Any Redis version and maxmemory-policy will do; a Sentinel is refused.
 */
import { BigKeyTally, BigKeyConsumer, type BigKeyReading } from './bigkey-consumer.js';
import type { BigKey, BigKeyResult } from '../domain/big-key.js';
import type { InstanceMode } from '../domain/instance.js';
import { RedisFailure } from '../domain/redis-failure.js';
import { sendToOwners, type KeyTarget } from '../redis/redirects.js';
import type { NodePool } from '../redis/node-pool.js';
import type { SizedPage } from '../redis/bigkey-scanner.js';
import { openDeployment } from '../redis/topology.js';
import type { RespConnection } from '../redis/resp-connection.js';
import { RedisReplyError } from '../redis/resp-parser.js';
import type { Advice } from '../domain/insights.js';
import { BIG_KEY_ANALYSIS_DEFAULTS, type BigKeyAnalysisOptions } from './analysis-options.js';
import { withAnalysisScope } from './analysis-scope.js';
import { assemble, bigKeyOf } from './bigkey-result.js';
import type { AnalysisTarget } from './analyze-deployment.js';
import { scanCluster } from './cluster-scan.js';
import { ProgressBoard } from './progress-board.js';
import { scanNode, type ScanContext } from './scan-node.js';
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
    // --memory where the ACL denies MEMORY USAGE: the analysis runs without it, saying why.
    const memoryDenied = options.memoryUsage && !(await memoryUsageAllowed(seed)) ? seed.address : null;
    const scanOptions = memoryDenied === null ? options : { ...options, memoryUsage: false };
    const tally = new BigKeyTally(options.thresholds, { delimiters: options.prefixDelimiters, depth: options.prefixDepth }, scanOptions.memoryUsage ? 'memory' : 'size');
    const consumer = new BigKeyConsumer(tally, scanOptions, pool);
    const progress = new ProgressBoard(options.onProgress);
    const context: ScanContext<SizedPage> = { options: scanOptions, consumer, progress, pool, signal };
    if (deployment.cluster !== null) {
      await scanCluster(deployment, deployment.cluster, context);
    } else {
      seed.close(); // its slot in the pool goes to the node's scan
      consumer.expectNodes(deployment.shards.length);
      for (const shard of deployment.shards) {
        const connection = await consumer.openNode(shard, signal);
        try {
          await scanNode(connection, context);
        } finally {
          connection.close();
        }
      }
    }
    signal.throwIfAborted();
    const final = { memoryDenied, vanished: 0 };
    const keys = await finalReadings(pool, tally.bigKeys(), mode, final);
    const counts = tally.counts();
    const result = assemble(keys, mode, { summary: tally, counts: { ...counts, vanished: counts.vanished + final.vanished }, progress, nodes: consumer.nodes, options: scanOptions }, Math.round(performance.now() - started));
    return { mode, ...result, advice: [...result.advice, ...memoryDeniedAdvice(final.memoryDenied, options.memoryUsage)] };
  });
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
  readonly key: BigKeyReading;
  readonly what: 'ttl' | 'memory';
}

/** What the final readings found besides the keys: gone keys, and the first node whose ACL denied MEMORY USAGE. */
interface FinalState {
  memoryDenied: string | null;
  vanished: number;
}

/**
 * PTTL and MEMORY USAGE of the reported keys, on the node each was read on, one pipeline per
 * node and database (CLIENT NO-TOUCH ON first; READONLY too on a cluster, for its replicas),
 * following MOVED/ASK: a key whose slot moved since it was read is reported with the primary
 * that holds it now as its shard. A key a cluster replica no longer has is looked for on its
 * primary (a replica knows nothing of a slot being migrated away). A key gone by now is dropped
 * and counted as vanished. Neither command touches a key's LRU/LFU data. Keys kept under a name
 * too long to keep whole are reported without them.
 */
async function finalReadings(pool: NodePool, keys: readonly BigKeyReading[], mode: InstanceMode, state: FinalState): Promise<BigKey[]> {
  // A key kept under a long name (its beginning and hash) cannot be named to the server again: no TTL or memory for it.
  const named = keys.filter((key) => key.nameSha1 === undefined);
  const read = await readTtlAndMemory(pool, named, (key) => key.node, mode, state);
  const elsewhere = named.filter((key) => read.gone.has(key) && mode === 'cluster' && key.shard !== undefined && key.shard !== key.node);
  if (elsewhere.length > 0) {
    const again = await readTtlAndMemory(pool, elsewhere, (key) => key.shard as string, mode, state);
    for (const key of elsewhere) {
      if (again.gone.has(key)) continue;
      read.gone.delete(key);
      read.ttl.set(key, again.ttl.get(key) as number);
      const bytes = again.memory.get(key);
      if (bytes !== undefined) read.memory.set(key, bytes);
      read.holder.set(key, again.holder.get(key) ?? (key.shard as string));
    }
  }
  state.vanished += read.gone.size;
  return keys.filter((key) => !read.gone.has(key)).map((key) => {
    // Answered by another node than the one the key was read on: the key's slot moved to that primary since.
    const moved = mode === 'cluster' ? read.holder.get(key) : undefined;
    return bigKeyOf(moved === undefined ? key : { ...key, shard: moved }, mode, read.memory.get(key), read.ttl.get(key));
  });
}

interface TtlAndMemory {
  readonly ttl: Map<BigKeyReading, number>;
  readonly memory: Map<BigKeyReading, number>;
  /** The node that answered, where it is not the node the key was read on. */
  readonly holder: Map<BigKeyReading, string>;
  readonly gone: Set<BigKeyReading>;
}

/** PTTL and MEMORY USAGE of `keys` asked of `nodeOf` each, following redirects. */
async function readTtlAndMemory(pool: NodePool, keys: readonly BigKeyReading[], nodeOf: (key: BigKeyReading) => string, mode: InstanceMode, state: FinalState): Promise<TtlAndMemory> {
  const targets: KeyTarget<Reading>[] = keys.flatMap((key) => (['ttl', 'memory'] as const).map((what) => ({ item: { key, what }, key: key.name, db: key.db, node: nodeOf(key), ask: false })));
  const prelude = mode === 'cluster' ? [['CLIENT', 'NO-TOUCH', 'ON'], ['READONLY']] : [['CLIENT', 'NO-TOUCH', 'ON']];
  const replies = await sendToOwners(pool, targets, (t) => (t.item.what === 'ttl' ? ['PTTL', t.key] : ['MEMORY', 'USAGE', t.key]), { prelude });
  const read: TtlAndMemory = { ttl: new Map(), memory: new Map(), holder: new Map(), gone: new Set() };
  for (const { item, node, reply, failure } of replies) {
    if (failure?.kind === 'no-permission' && item.what === 'memory') {
      state.memoryDenied ??= node;
      continue;
    }
    if (failure !== null) throw failure;
    if (item.what === 'ttl') {
      if (typeof reply !== 'number') throw new RedisFailure('protocol', node, `${node} answered PTTL with something other than an integer`);
      if (reply === -2) read.gone.add(item.key);
      else read.ttl.set(item.key, reply < 0 ? -1 : Math.ceil(reply / 1000));
      if (node !== item.key.node) read.holder.set(item.key, node);
    } else if (reply === null) {
      read.gone.add(item.key);
    } else if (typeof reply !== 'number') {
      throw new RedisFailure('protocol', node, `${node} answered MEMORY USAGE with something other than an integer`);
    } else {
      read.memory.set(item.key, reply);
    }
  }
  return read;
}
