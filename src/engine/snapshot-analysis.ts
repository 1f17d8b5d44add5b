/**
 * The snapshot strategy (docs/snapshots.md): instead of a paced SCAN costing the main thread a
 * few microseconds per key, each node read forks once and sends its RDB, which keyheat parses as
 * it arrives (redis/rdb-transfer.ts, redis/rdb/rdb-parser.ts) and never stores. One pass gives
 * both results: hot keys from each key's LFU counter (the FREQ opcode, written under an LFU
 * maxmemory-policy) with type and size from the encodings, the big key result, and DCS's offline
 * key analysis report (each type's largest keys and namespaces by bytes in the RDB, per type
 * totals; analysis/offline-report.ts).
 *
 * Where: every shard's primary (a standalone server, or every cluster primary that owns slots),
 * or, with snapshotReplicas, one of its usable replicas (shard-plans.ts). A replica's counters
 * count the reads the replica served, not the primary's: the advice says so. One node of an
 * analysis at a time, and one fork per host at a time across every keyheat process sharing the
 * store (options.forkSlots, held until the child exited; the wait bounded by
 * snapshotMaxSlotWaitMs), so two snapshots on one machine never copy-on-write at once.
 *
 * Commands on each node read: CLIENT NO-TOUCH ON (and on replicas INFO replication, READONLY on
 * a cluster: the node choice), INFO, CONFIG GET lfu-* (hot keys), COMMAND INFO, ACL WHOAMI, ACL
 * DRYRUN, CONFIG GET repl-diskless-sync, INFO memory, INFO replication (the preflight), INFO
 * stats and TIME; then on a connection of its own REPLCONF rdb-only 1, REPLCONF capa eof, SYNC;
 * then, on a fresh connection, INFO persistence until the child exited, INFO stats and INFO
 * replication (what the fork cost). Nothing per key.
 *
 * Also `keyheat scan --rdb FILE`: the same pass over a saved RDB file (analyzeRdbFile).
 *
 * Memory: the top-K, the big key summary, the offline report's bounds, and the parser's caps (a
 * key name, one compact blob); the RDB streams through.
 */
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { BigKeySummary } from '../analysis/bigkey-summary.js';
import type { Candidate, KeyDetail } from '../analysis/candidate.js';
import { HeatSummary } from '../analysis/heat-summary.js';
import { OfflineReportBuilder } from '../analysis/offline-report.js';
import { ratesEstimable } from '../analysis/lfu-estimate.js';
import type { BigKeyResult, BigKeyThresholds } from '../domain/big-key.js';
import type { HotKey } from '../domain/hot-key.js';
import type { Advice, Insights } from '../domain/insights.js';
import type { InstanceMode, RedisEndpoint } from '../domain/instance.js';
import type { OfflineReport, OfflineSettings } from '../domain/offline-report.js';
import { LFU_DEFAULTS, type LfuSettings } from '../domain/lfu.js';
import { RedisFailure } from '../domain/redis-failure.js';
import type { SnapshotNode, SnapshotReport } from '../domain/snapshot.js';
import { readLfuSettings } from '../redis/lfu-config.js';
import { LFU_POLICIES, refuseUnsupported } from '../redis/preflight.js';
import { RdbParseError } from '../redis/rdb/rdb-parser.js';
import { rdbFailure, transferRdb } from '../redis/rdb-transfer.js';
import type { RespConnection } from '../redis/resp-connection.js';
import { describeServer, parseInfo, serverFacts, type InfoFields, type ServerFacts } from '../redis/server-info.js';
import { rdbVersionWritten } from '../redis/rdb-versions.js';
import { checkSnapshotAllowed } from '../redis/snapshot-preflight.js';
import type { Sampling } from '../domain/sampling.js';
import type { AnalysisOptions } from './analysis-options.js';
import { withAnalysisScope, type AnalysisScope } from './analysis-scope.js';
import { assemble, bigKeyOf } from './bigkey-result.js';
import type { ScannedNode } from './bigkey-node-scan.js';
import { HotKeyCollector } from './hot-key-collector.js';
import { hotKeyOf, insightsOf } from './insights.js';
import { ProgressBoard } from './progress-board.js';
import { snapshotAdvice } from '../analysis/snapshot-advice.js';
import { RdbKeyFeed, type FeedSource } from './rdb-key-feed.js';
import { ForkSlotTimeout } from '../domain/fork-slots.js';
import { feedPaced } from '../redis/paced-feed.js';
import { hostOf } from './snapshot-fork.js';
import { forkCost, nodeState, type NodeState } from '../redis/fork-cost.js';
import { openShardNode, type OpenedNode } from '../redis/shard-node.js';
import { openDeployment, type Deployment, type Shard } from '../redis/topology.js';
import type { NodePool } from '../redis/node-pool.js';

/** What one pass is asked for: hot keys, big keys (with their thresholds), an offline report, or several. */
export interface SnapshotWants {
  /** true: every node read must have an LFU policy; 'optional': hot keys where the RDB has counters (keyheat scan --big --snapshot). */
  readonly hot: boolean | 'optional';
  readonly big: BigKeyThresholds | null;
  /** DCS's offline key analysis report, with how many keys and prefixes per type (domain/offline-report.ts); absent or null: none. */
  readonly offline?: OfflineSettings | null | undefined;
}

export interface HotOutcome {
  readonly keys: HotKey[];
  /** The candidate each key came from, in the same order. */
  readonly candidates: Candidate[];
  readonly insights: Insights;
  readonly scannedKeys: number;
  readonly vanishedKeys: number;
  /** Keys whose RDB entry carried an LFU counter (FREQ): 0 with keys read means the RDB has none. */
  readonly withFreq: number;
}

export interface SnapshotOutcome {
  readonly mode: InstanceMode;
  readonly hot: HotOutcome | null;
  readonly big: BigKeyResult | null;
  /** Over every RDB read; null unless wants.offline. */
  readonly offline: OfflineReport | null;
  readonly snapshot: SnapshotReport;
  readonly nodes: ProgressBoard;
}

/** The RDB carries LFU counters (the FREQ opcode) since RDB 9 (Redis 5.0). */
const FREQ_IN_RDB = 9;


/**
 * The pass over every shard, in an analysis scope (the caller's: a sampling phase may have run
 * in it), of the deployment opened in it.
 */
export async function snapshotDeployment(scope: AnalysisScope, deployment: Deployment, options: AnalysisOptions, wants: SnapshotWants, sampling?: Sampling): Promise<SnapshotOutcome> {
  const { seed, mode } = deployment;
  if (options.pattern !== undefined) throw new RedisFailure('unsupported', seed.address, 'a pattern (SCAN MATCH) works with the scan strategy only');
  const plans = deployment.shards;
  // The registered node's LFU settings choose the heat unit, as in a scan.
  const unit = wants.hot && ratesEstimable(await readLfuSettings(seed)) ? 'qps' : 'accesses';
  seed.close();
  const pass = new SnapshotPass(mode, options, wants, unit);
  pass.expectNodes(plans.length);
  // One node at a time; the fork slots also keep other analyses (of any process) off a host while its child runs.
  for (const plan of plans) {
    scope.signal.throwIfAborted();
    await pass.readShard(plan, scope);
  }
  return pass.outcome(sampling);
}

/**
 * A snapshot analysis on its own (`keyheat scan --snapshot --big`: both results from one pass),
 * in its own scope: deadline, abort, every connection closed at the end.
 */
export async function analyzeSnapshot(target: { readonly endpoint: RedisEndpoint }, options: AnalysisOptions, wants: SnapshotWants): Promise<SnapshotOutcome> {
  return withAnalysisScope(target.endpoint, options, async (scope) => {
    const deployment = await openDeployment(scope.pool, target.endpoint, options.redis, scope.signal);
    refuseUnsupported(deployment.facts, deployment.seed.address, wants.hot === true ? false : 'big');
    return snapshotDeployment(scope, deployment, options, wants);
  });
}

/** `keyheat scan --rdb FILE`: the same pass over a saved RDB file, read as a stream. */
export async function analyzeRdbFile(path: string, options: AnalysisOptions, wants: SnapshotWants): Promise<SnapshotOutcome> {
  const pass = new SnapshotPass('single', options, wants, ratesEstimable(LFU_DEFAULTS) ? 'qps' : 'accesses');
  pass.expectNodes(1);
  await pass.readFile(path);
  return pass.outcome();
}

class SnapshotPass {
  private readonly collector: HotKeyCollector | null;
  private readonly summary: BigKeySummary | null;
  private readonly offline: OfflineReportBuilder | null;
  readonly progress: ProgressBoard;
  private readonly reports: SnapshotNode[] = [];
  private readonly scanned: ScannedNode[] = [];
  private readonly counts = { scanned: 0, vanished: 0, changed: 0, withFreq: 0 };
  private source: 'live' | 'file' = 'live';

  constructor(
    private readonly mode: InstanceMode,
    private readonly options: AnalysisOptions,
    private readonly wants: SnapshotWants,
    unit: 'qps' | 'accesses',
  ) {
    this.progress = new ProgressBoard(options.onProgress);
    const prefixes = { delimiters: options.prefixDelimiters, depth: options.prefixDepth };
    this.collector = wants.hot ? new HotKeyCollector(options.topK, new HeatSummary(prefixes, unit), mode === 'cluster' ? 'shard' : 'db', options.maxGroups) : null;
    this.summary = wants.big === null ? null : new BigKeySummary(wants.big, prefixes, 'size');
    this.offline = wants.offline === undefined || wants.offline === null ? null : new OfflineReportBuilder(wants.offline, prefixes);
  }

  /** The nodes that will be read: they share the namespace counters. */
  expectNodes(count: number): void {
    this.summary?.expectNodes(count);
  }

  async readShard(plan: Shard, scope: AnalysisScope): Promise<void> {
    const { pool, signal } = scope;
    const { picked, info, facts } = await this.pickFor(plan, pool, signal);
    const node = picked.connection.address;
    const label = plan.shard ?? node;
    let lfu: LfuSettings;
    let before: NodeState;
    // Idle through the transfer, a control connection could meet the node's `timeout`: it is closed first.
    const control = picked.connection;
    try {
      // First whether the node may fork at all (its RDB format, SYNC allowed, memory), then what its RDB holds.
      await checkSnapshotAllowed(control, this.options.snapshotMaxMemoryShare, info);
      lfu = this.wants.hot === true ? await this.lfuOf(control, facts) : this.wants.hot === 'optional' ? await readLfuSettings(control) : LFU_DEFAULTS;
      before = await nodeState(control, info);
    } finally {
      control.close();
    }
    this.collector?.setLfu(label, lfu);
    this.progress.start(node, facts.keyspace.reduce((sum, db) => sum + db.keys, 0));
    const reader = this.feed({ node, label, shard: plan.shard, clockOffsetMs: before.clockOffsetMs });
    const { transfer, cost } = await this.inForkSlot(node, signal, async () => {
      const transfer = await transferRdb(await pool.open(node), reader.parser, { stallMs: this.options.snapshotStallMs, maxWaitMs: this.options.snapshotMaxWaitMs, signal });
      // Still in the slot: the next fork on this host waits for this child to exit.
      return { transfer, cost: await forkCost(pool, node, before, this.options.snapshotStallMs, signal) };
    });
    reader.flush();
    const role = picked.role;
    const replicaSkipped = this.options.snapshotReplicas ? picked.replicaSkipped : null;
    this.progress.paced(node, { cpuShare: null, longestBlockUs: cost.forkUsec, trafficSeen: false });
    this.scanned.push({ node, role, shard: plan.shard, noTouch: true, replicaSkipped });
    this.reports.push({
      node,
      role,
      ...(plan.shard === undefined ? {} : { shard: plan.shard }),
      rdbBytes: transfer.rdbBytes,
      rdbVersion: reader.parser.rdbVersion,
      keys: reader.keys,
      expiredKeys: reader.expired,
      moduleKeys: reader.modules,
      forkUsec: cost.forkUsec,
      cowBytes: cost.cowBytes,
      backlogBytes: cost.backlogBytes,
      protocol: transfer.protocol,
      waitMs: transfer.waitMs,
      transferMs: transfer.transferMs,
      replicaSkipped,
    });
  }

  /** Runs `work` in the fork slot of the node's host, waiting for it at most snapshot.max_slot_wait_ms. */
  private async inForkSlot<T>(node: string, signal: AbortSignal, work: () => Promise<T>): Promise<T> {
    try {
      return await this.options.forkSlots.hold(hostOf(node), this.options.snapshotMaxSlotWaitMs, signal, work);
    } catch (error) {
      if (error instanceof ForkSlotTimeout) throw new RedisFailure('timeout', node, `${node} was not forked: keyheat ${error.message}`);
      throw error;
    }
  }

  /**
   * The shard's node to fork, with its INFO. A replica without an LFU policy has no counters to
   * give a hot key analysis: its primary is read instead, saying why.
   */
  private async pickFor(plan: Shard, pool: NodePool, signal: AbortSignal): Promise<{ picked: OpenedNode; info: InfoFields; facts: ServerFacts }> {
    const picked = await openShardNode(plan, pool, signal, this.options.snapshotReplicas);
    const info = await infoOf(picked.connection);
    const facts = serverFacts(info);
    if (this.wants.hot !== true || picked.role !== 'replica' || LFU_POLICIES.includes(facts.maxmemoryPolicy)) return { picked, info, facts };
    const why = `the replica ${picked.connection.address} has maxmemory-policy ${facts.maxmemoryPolicy || '(unknown)'}, so its RDB has no LFU counters: the primary was read`;
    picked.connection.close();
    const primary = await openShardNode({ ...plan, replicas: [] }, pool, signal, false);
    const primaryInfo = await infoOf(primary.connection);
    return { picked: { ...primary, replicaSkipped: why }, info: primaryInfo, facts: serverFacts(primaryInfo) };
  }

  async readFile(path: string): Promise<void> {
    this.source = 'file';
    await checkFile(path);
    this.progress.start(path, 0);
    const reader = this.feed({ node: path, label: path, shard: undefined, clockOffsetMs: 0 });
    const started = performance.now();
    const stream = createReadStream(path, { highWaterMark: 256 * 1024 });
    const signal = this.options.signal;
    const onAbort = (): void => {
      stream.destroy(signal?.reason as Error);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      // In slices, yielding the event loop: bytes after the RDB (an AOF tail) are not ours.
      await feedPaced(stream as AsyncIterable<Buffer>, (slice) => reader.parser.push(slice) === slice.length && !reader.parser.done);
      reader.parser.end();
    } catch (error) {
      if (error instanceof RdbParseError) throw rdbFailure(error, path);
      // What the keys themselves broke (analysis.max_groups): as it was said.
      if (error instanceof RedisFailure) throw error;
      if (signal?.aborted === true) throw signal.reason;
      throw new RedisFailure('unreachable', path, `${path} could not be read: ${(error as Error).message}`);
    } finally {
      signal?.removeEventListener('abort', onAbort);
      stream.destroy();
    }
    reader.flush();
    this.scanned.push({ node: path, role: 'primary', noTouch: true, replicaSkipped: null });
    this.reports.push({
      node: path,
      role: 'file',
      rdbBytes: reader.parser.bytes,
      rdbVersion: reader.parser.rdbVersion,
      keys: reader.keys,
      expiredKeys: reader.expired,
      moduleKeys: reader.modules,
      forkUsec: null,
      cowBytes: null,
      backlogBytes: null,
      protocol: 'file',
      waitMs: 0,
      transferMs: Math.round(performance.now() - started),
      replicaSkipped: null,
    });
  }

  /** The node's LFU settings; its RDB has counters only under an LFU policy (a replica's own policy counts). */
  private async lfuOf(connection: RespConnection, facts: ServerFacts): Promise<LfuSettings> {
    // The FREQ opcode is in RDB 9, Redis 5.0: an older node's RDB has no counters to read.
    if ((rdbVersionWritten(facts) ?? 0) < FREQ_IN_RDB) {
      const node = connection.address;
      throw new RedisFailure('unsupported', node, `${node} runs ${describeServer(facts)}: its RDB has no LFU counters before Redis 5.0; use the scan strategy`);
    }
    if (!LFU_POLICIES.includes(facts.maxmemoryPolicy)) {
      const node = connection.address;
      throw new RedisFailure(
        'unsupported',
        node,
        `${node} has maxmemory-policy ${facts.maxmemoryPolicy || '(unknown)'}: its snapshot carries no LFU counters; hot key analysis needs allkeys-lfu or volatile-lfu on the node read`,
      );
    }
    return readLfuSettings(connection);
  }

  /** A parser whose keys feed this pass. */
  private feed(source: FeedSource): RdbKeyFeed {
    return new RdbKeyFeed(source, { collector: this.collector, summary: this.summary, offline: this.offline, progress: this.progress, counts: this.counts }, this.options.redis.limits.maxBulkBytes);
  }

  outcome(sampling?: Sampling): SnapshotOutcome {
    const snapshot: SnapshotReport = { source: this.source, nodes: this.reports };
    return { mode: this.mode, hot: this.hotOutcome(sampling), big: this.bigOutcome(), offline: this.offline?.result() ?? null, snapshot, nodes: this.progress };
  }

  /** The snapshot's advice, for both results: hot key counters are judged only when hot keys were asked for. */
  private snapshotAdvice(): Advice[] {
    const counters = this.collector === null ? null : { keys: this.counts.scanned, withFreq: this.counts.withFreq };
    return snapshotAdvice({ source: this.source, nodes: this.reports }, counters);
  }

  private hotOutcome(sampling: Sampling | undefined): HotOutcome | null {
    const collector = this.collector;
    if (collector === null) return null;
    const candidates = collector.candidates();
    const keys = candidates.map((candidate) => {
      const detail = candidate.detail as KeyDetail;
      return hotKeyOf({ candidate, node: candidate.node, ...detail }, this.mode, collector.lfuOf(candidate.node));
    });
    const nodes = [...new Set(this.reports.map((r) => r.shard ?? r.node))];
    const insights = insightsOf({ keys, mode: this.mode, collector, nodes, scannedKeys: collector.scannedKeys, sampling });
    return {
      keys,
      candidates,
      insights: {
        ...insights,
        // A file cannot say which LFU settings its server had; snapshot-file says what is assumed.
        // An RDB without counters says so (snapshot-no-counters), not that nothing was read lately.
        advice: [...insights.advice.filter((a) => (this.source === 'live' || a.code !== 'lfu-assumed') && (this.counts.withFreq > 0 || a.code !== 'no-warm-keys')), ...this.snapshotAdvice()],
        snapshot: { source: this.source, nodes: this.reports },
      },
      scannedKeys: collector.scannedKeys,
      vanishedKeys: this.counts.vanished,
      withFreq: this.counts.withFreq,
    };
  }

  private bigOutcome(): BigKeyResult | null {
    const summary = this.summary;
    if (summary === null) return null;
    const now = Date.now();
    const keys = summary.bigKeys().map((key) => bigKeyOf(key, this.mode, undefined, ttlOf(key.expiresAtMs, now)));
    const result = assemble(keys, this.mode, { summary, counts: this.counts, progress: this.progress, nodes: this.scanned, options: { memoryUsage: false } }, 0);
    return { ...result, advice: [...result.advice, ...this.snapshotAdvice()], snapshot: { source: this.source, nodes: this.reports } };
  }
}

/** A snapshot key's TTL in whole seconds, -1 for none (as the scan reports PTTL). */
function ttlOf(expiresAtMs: number | null | undefined, now: number): number | undefined {
  if (expiresAtMs === undefined) return undefined;
  if (expiresAtMs === null) return -1;
  return Math.max(0, Math.ceil((expiresAtMs - now) / 1000));
}

/** INFO (every section: the preflight and the fork's cost read it too) of a picked node; the connection is closed if that fails. */
async function infoOf(connection: RespConnection): Promise<InfoFields> {
  try {
    return parseInfo(await connection.text(['INFO']));
  } catch (error) {
    connection.close();
    throw error;
  }
}

async function checkFile(path: string): Promise<void> {
  try {
    const info = await stat(path);
    if (!info.isFile()) throw new RedisFailure('unsupported', path, `${path} is not a file`);
  } catch (error) {
    if (error instanceof RedisFailure) throw error;
    throw new RedisFailure('unreachable', path, `${path} could not be read: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
}

