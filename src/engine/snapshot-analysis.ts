/**
 * The snapshot strategy (docs/snapshots.md): instead of a paced SCAN costing the main thread a
 * few microseconds per key, each node read forks once and sends its RDB, which keyheat parses as
 * it arrives (redis/rdb-transfer.ts, redis/rdb/rdb-parser.ts) and never stores. One pass gives
 * both results: hot keys from each key's LFU counter (the FREQ opcode, written under an LFU
 * maxmemory-policy) with type and size from the encodings, and the big key result.
 *
 * Where: every shard's primary (a standalone server, or every cluster primary that owns slots),
 * or, with snapshotReplicas, one of its usable replicas (shard-plans.ts). A replica's counters
 * count the reads the replica served, not the primary's: the advice says so. One node of an
 * analysis at a time, and one fork per host at a time in this process (withForkSlot, held until
 * the child exited), so two snapshots on one machine never copy-on-write at once.
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
 * Memory: the top-K, the big key summary, and the parser's caps (a key name, one compact blob);
 * the RDB streams through.
 */
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { BigKeySummary } from '../analysis/bigkey-summary.js';
import type { Candidate, KeyDetail } from '../analysis/candidate.js';
import { HeatSummary } from '../analysis/heat-summary.js';
import { ratesEstimable } from '../analysis/lfu-estimate.js';
import type { BigKeyResult, BigKeyThresholds } from '../domain/big-key.js';
import type { HotKey } from '../domain/hot-key.js';
import type { Advice, Insights } from '../domain/insights.js';
import type { InstanceMode, RedisEndpoint } from '../domain/instance.js';
import { LFU_DEFAULTS, type LfuSettings } from '../domain/lfu.js';
import { RedisFailure } from '../domain/redis-failure.js';
import type { SnapshotNode, SnapshotReport } from '../domain/snapshot.js';
import { readLfuSettings } from '../redis/lfu-config.js';
import { LFU_POLICIES, readServerFacts, refuseUnsupported } from '../redis/preflight.js';
import { RdbParseError, RdbParser, type RdbKey } from '../redis/rdb/rdb-parser.js';
import { rdbFailure, transferRdb } from '../redis/rdb-transfer.js';
import type { RespConnection } from '../redis/resp-connection.js';
import { parseInfo, versionAtLeast, type ServerFacts } from '../redis/server-info.js';
import { checkSnapshotAllowed } from '../redis/snapshot-preflight.js';
import type { Sampling } from '../domain/sampling.js';
import type { AnalysisOptions } from './analysis-options.js';
import { withAnalysisScope, type AnalysisScope } from './analysis-scope.js';
import { assemble, bigKeyOf } from './bigkey-result.js';
import type { ScannedNode } from './bigkey-node-scan.js';
import { HotKeyCollector } from './hot-key-collector.js';
import { hotKeyOf, insightsOf } from './insights.js';
import { ProgressBoard } from './progress-board.js';
import { clusterPlans, pickNode, standalonePlans, type Picked, type ShardPlan } from './shard-plans.js';
import type { NodePool } from '../redis/node-pool.js';

/** What one pass is asked for: hot keys, big keys (with their thresholds), or both. */
export interface SnapshotWants {
  /** true: every node read must have an LFU policy; 'optional': hot keys where the RDB has counters (keyheat scan --big --snapshot). */
  readonly hot: boolean | 'optional';
  readonly big: BigKeyThresholds | null;
}

export interface HotOutcome {
  readonly keys: HotKey[];
  /** The candidate each key came from, in the same order. */
  readonly candidates: Candidate[];
  readonly insights: Insights;
  readonly scannedKeys: number;
  readonly vanishedKeys: number;
}

export interface SnapshotOutcome {
  readonly mode: InstanceMode;
  readonly hot: HotOutcome | null;
  readonly big: BigKeyResult | null;
  readonly snapshot: SnapshotReport;
  readonly nodes: ProgressBoard;
}

/** The RDB carries LFU counters (the FREQ opcode, RDB 9) since this version. */
const FREQ_IN_RDB_SINCE = '5.0.0';

/** Keys between two progress reports. */
const PROGRESS_KEYS = 10_000;

/**
 * The pass over every shard, in an analysis scope (the caller's: a sampling phase may have run
 * in it). `seed` is the registered node, `facts` its INFO.
 */
export async function snapshotDeployment(
  scope: AnalysisScope,
  seed: RespConnection,
  facts: ServerFacts,
  seedHost: string,
  options: AnalysisOptions,
  wants: SnapshotWants,
  sampling?: Sampling,
): Promise<SnapshotOutcome> {
  if (options.pattern !== undefined) throw new RedisFailure('unsupported', seed.address, 'a pattern (SCAN MATCH) works with the scan strategy only');
  const mode: InstanceMode = facts.mode === 'cluster' ? 'cluster' : 'single';
  const plans = mode === 'cluster' ? await clusterPlans(seed, seedHost, options.redis.maxClusterPrimaries) : standalonePlans(seed.address, facts);
  // The registered node's LFU settings choose the heat unit, as in a scan.
  const unit = wants.hot && ratesEstimable(await readLfuSettings(seed)) ? 'qps' : 'accesses';
  seed.close();
  const pass = new SnapshotPass(mode, options, wants, unit);
  pass.expectNodes(plans.length);
  // One node at a time; withForkSlot also keeps other analyses of this process off a host while its child runs.
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
    const seed = await scope.pool.open(scope.address);
    const facts = await readServerFacts(seed);
    refuseUnsupported(facts, seed.address, wants.hot === true ? false : 'big');
    return snapshotDeployment(scope, seed, facts, target.endpoint.host, options, wants);
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
  readonly progress: ProgressBoard;
  private readonly reports: SnapshotNode[] = [];
  private readonly scanned: ScannedNode[] = [];
  private readonly counts = { scanned: 0, vanished: 0, changed: 0 };
  private source: 'live' | 'file' = 'live';
  /** Keys that had an LFU counter (FREQ). */
  private readonly freqs = { count: 0 };
  private replicaRead = false;

  constructor(
    private readonly mode: InstanceMode,
    private readonly options: AnalysisOptions,
    private readonly wants: SnapshotWants,
    unit: 'qps' | 'accesses',
  ) {
    this.progress = new ProgressBoard(options.onProgress);
    const prefixes = { delimiters: options.prefixDelimiters, depth: options.prefixDepth };
    this.collector = wants.hot ? new HotKeyCollector(options.topK, new HeatSummary(prefixes, unit), mode === 'cluster' ? 'shard' : 'db') : null;
    this.summary = wants.big === null ? null : new BigKeySummary(wants.big, prefixes, 'size');
  }

  /** The nodes that will be read: they share the namespace counters. */
  expectNodes(count: number): void {
    this.summary?.expectNodes(count);
  }

  async readShard(plan: ShardPlan, scope: AnalysisScope): Promise<void> {
    const { pool, signal } = scope;
    const { picked, facts } = await this.pickFor(plan, pool, signal);
    const node = picked.connection.address;
    const label = plan.shard ?? node;
    let lfu: LfuSettings;
    let before: NodeState;
    // Idle through the transfer, a control connection could meet the node's `timeout`: it is closed first.
    const control = picked.connection;
    try {
      lfu = this.wants.hot === true ? await this.lfuOf(control, facts) : this.wants.hot === 'optional' ? await readLfuSettings(control) : LFU_DEFAULTS;
      await checkSnapshotAllowed(control, this.options.snapshotMaxMemoryShare);
      before = await nodeState(control);
    } finally {
      control.close();
    }
    this.collector?.setLfu(label, lfu);
    this.progress.start(node, facts.keyspace.reduce((sum, db) => sum + db.keys, 0));
    const reader = this.reader(node, label, plan.shard, before.clockOffsetMs);
    const { transfer, cost } = await withForkSlot(hostOf(node), signal, async () => {
      const transfer = await transferRdb(await pool.open(node), reader.parser, { stallMs: this.options.snapshotStallMs, signal });
      // Still in the slot: the next fork on this host waits for this child to exit.
      return { transfer, cost: await forkCost(pool, node, before, this.options.snapshotStallMs, signal) };
    });
    reader.flush();
    const role = picked.role;
    if (role === 'replica') this.replicaRead = true;
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

  /**
   * The shard's node to fork, with its INFO. A replica without an LFU policy has no counters to
   * give a hot key analysis: its primary is read instead, saying why.
   */
  private async pickFor(plan: ShardPlan, pool: NodePool, signal: AbortSignal): Promise<{ picked: Picked; facts: ServerFacts }> {
    const picked = await pickNode(plan, pool, signal, this.options.snapshotReplicas);
    const facts = await factsOf(picked.connection);
    if (this.wants.hot !== true || picked.role !== 'replica' || LFU_POLICIES.includes(facts.maxmemoryPolicy)) return { picked, facts };
    const why = `the replica ${picked.connection.address} has maxmemory-policy ${facts.maxmemoryPolicy || '(unknown)'}, so its RDB has no LFU counters: the primary was read`;
    picked.connection.close();
    const primary = await pickNode({ ...plan, replicas: [] }, pool, signal, false);
    return { picked: { ...primary, replicaSkipped: why }, facts: await factsOf(primary.connection) };
  }

  async readFile(path: string): Promise<void> {
    this.source = 'file';
    await checkFile(path);
    this.progress.start(path, 0);
    const reader = this.reader(path, path, undefined);
    const started = performance.now();
    const stream = createReadStream(path, { highWaterMark: 1024 * 1024 });
    const signal = this.options.signal;
    const onAbort = (): void => {
      stream.destroy(signal?.reason as Error);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      for await (const chunk of stream) {
        const used = reader.parser.push(chunk as Buffer);
        if (reader.parser.done && used < (chunk as Buffer).length) break; // bytes after the RDB (an AOF tail): not ours
      }
      reader.parser.end();
    } catch (error) {
      if (error instanceof RdbParseError) throw rdbFailure(error, path);
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
    if (facts.version === '' || !versionAtLeast(facts.version, FREQ_IN_RDB_SINCE)) {
      const node = connection.address;
      throw new RedisFailure('unsupported', node, `${node} runs Redis ${facts.version || '(unknown version)'}: its RDB has no LFU counters before Redis ${FREQ_IN_RDB_SINCE}; use the scan strategy`);
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

  /** A parser whose keys feed this pass, for the node (or file) `node`, grouped under `label`. */
  private reader(node: string, label: string, shard: string | undefined, clockOffsetMs = 0): RdbReader {
    return new RdbReader(node, label, shard, clockOffsetMs, this.collector, this.summary, this.progress, this.counts, this.freqs, this.options.redis.limits.maxBulkBytes);
  }

  outcome(sampling?: Sampling): SnapshotOutcome {
    const snapshot: SnapshotReport = { source: this.source, nodes: this.reports };
    return { mode: this.mode, hot: this.hotOutcome(sampling), big: this.bigOutcome(), snapshot, nodes: this.progress };
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
        advice: [...insights.advice.filter((a) => this.source === 'live' || a.code !== 'lfu-assumed'), ...this.snapshotAdvice()],
        snapshot: { source: this.source, nodes: this.reports },
      },
      scannedKeys: collector.scannedKeys,
      vanishedKeys: this.counts.vanished,
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

  private snapshotAdvice(): Advice[] {
    const advice: Advice[] = [];
    if (this.source === 'file') {
      const rates = this.collector === null ? '' : " Rates assume Redis's default LFU settings (lfu-log-factor 10, lfu-decay-time 1): the file does not say which its server had.";
      advice.push({ code: 'snapshot-file', message: `Read from a saved RDB file: the counters and sizes are those of when the file was written.${rates}` });
      return advice;
    }
    const forks = this.reports.filter((r) => r.forkUsec !== null);
    if (forks.length > 0) {
      const longest = forks.reduce((a, b) => ((a.forkUsec ?? 0) >= (b.forkUsec ?? 0) ? a : b));
      const bytes = this.reports.reduce((sum, r) => sum + r.rdbBytes, 0);
      advice.push({
        code: 'snapshot-cost',
        message:
          `Each node read forked once: the longest fork blocked ${longest.node} for ${((longest.forkUsec ?? 0) / 1000).toFixed(1)} ms; ` +
          `${(bytes / 1048576).toFixed(1)} MiB of RDB were read. Copy-on-write memory grows with the writes made while the child runs (docs/snapshots.md).`,
      });
    }
    for (const r of this.reports) {
      if (r.backlogBytes === null) continue;
      advice.push({
        code: 'snapshot-backlog',
        message:
          `${r.node} had no replication backlog: the SYNC made it create one of ${(r.backlogBytes / 1048576).toFixed(1)} MiB (repl-backlog-size), ` +
          'which it keeps for repl-backlog-ttl (3600 s by default) unless a replica connects.',
      });
    }
    if (this.collector !== null && this.counts.scanned > 0 && this.freqs.count === 0) {
      advice.push({
        code: 'snapshot-no-counters',
        message: 'The RDB carries no LFU counters (it was written under a maxmemory-policy without LFU): hot keys cannot be told from it.',
      });
    }
    if (this.replicaRead && this.collector !== null) {
      advice.push({
        code: 'snapshot-replica-counters',
        message: "Counters were read from replicas: a replica's LFU counters count the reads it served itself, not the primary's traffic. Keys read only on primaries look cold there.",
      });
    }
    return advice;
  }
}

/** A snapshot key's TTL in whole seconds, -1 for none (as the scan reports PTTL). */
function ttlOf(expiresAtMs: number | null | undefined, now: number): number | undefined {
  if (expiresAtMs === undefined) return undefined;
  if (expiresAtMs === null) return -1;
  return Math.max(0, Math.ceil((expiresAtMs - now) / 1000));
}

/** Feeds one RDB's keys to the pass. */
class RdbReader {
  readonly parser: RdbParser;
  keys = 0;
  expired = 0;
  modules = 0;
  private db = -1;
  private inDb = 0;
  private sinceProgress = 0;
  /** Now on the node's clock: expiry is the node's to judge. */
  private readonly now: number;

  constructor(
    private readonly node: string,
    private readonly label: string,
    private readonly shard: string | undefined,
    /** The node's clock minus keyheat's. */
    private readonly clockOffsetMs: number,
    private readonly collector: HotKeyCollector | null,
    private readonly summary: BigKeySummary | null,
    private readonly progress: ProgressBoard,
    private readonly counts: { scanned: number },
    private readonly freqs: { count: number },
    maxKeyBytes: number,
  ) {
    this.parser = new RdbParser({ onKey: (key) => this.onKey(key) }, { maxKeyBytes });
    this.now = Date.now() + clockOffsetMs;
  }

  private onKey(key: RdbKey): void {
    this.keys += 1;
    if (key.db !== this.db) this.flushDb(key.db);
    // SCAN does not return keys past their expiry: neither does a snapshot.
    if (key.expiresAtMs !== null && key.expiresAtMs <= this.now) {
      this.expired += 1;
      return;
    }
    this.inDb += 1;
    this.counts.scanned += 1;
    if (key.type === 'module') this.modules += 1;
    const type = key.type === 'module' ? (key.moduleName ?? 'module') : key.type;
    // Module values: their bytes in the RDB stand for their size, as MEMORY USAGE does in a scan.
    const size = key.size ?? key.rdbBytes;
    const unit = key.unit === 'bytes' || key.unit === null ? 'byte' : 'count';
    if (key.freq !== null) this.freqs.count += 1;
    if (this.collector !== null && key.freq !== null) this.collector.offer(key.freq, key.db, this.label, key.key, true, () => ({ type, size, unit }));
    // The expiry on keyheat's clock, for the TTL reported when the result is assembled.
    const expiresAtMs = key.expiresAtMs === null ? null : key.expiresAtMs - this.clockOffsetMs;
    this.summary?.add({ name: key.key, db: key.db, node: this.node, shard: this.shard, type, size, expiresAtMs });
    if (++this.sinceProgress >= PROGRESS_KEYS) {
      this.progress.add(this.node, this.sinceProgress);
      this.sinceProgress = 0;
    }
  }

  private flushDb(next: number): void {
    if (this.db >= 0 && this.inDb > 0) this.collector?.counted(this.label, this.db, this.inDb);
    this.db = next;
    this.inDb = 0;
  }

  /** Counts the last database's keys and the last progress. */
  flush(): void {
    this.flushDb(-1);
    this.progress.add(this.node, this.sinceProgress);
    this.sinceProgress = 0;
  }
}

/** What the node was before its snapshot: forks so far, whether it had a replication backlog, its clock. */
interface NodeState {
  readonly forks: number;
  readonly backlogActive: boolean;
  /** The node's clock minus keyheat's, ms: expiries are judged by the node's clock, as a scan's PTTL is. */
  readonly clockOffsetMs: number;
}

async function nodeState(connection: RespConnection): Promise<NodeState> {
  const stats = parseInfo(await connection.text(['INFO', 'stats']));
  const replication = parseInfo(await connection.text(['INFO', 'replication']));
  const [time] = await connection.pipeline([['TIME']]);
  const local = Date.now();
  const seconds = Array.isArray(time) && Buffer.isBuffer(time[0]) ? Number(time[0].toString('latin1')) : NaN;
  const micros = Array.isArray(time) && Buffer.isBuffer(time[1]) ? Number(time[1].toString('latin1')) : NaN;
  const serverMs = seconds * 1000 + micros / 1000;
  return {
    forks: Number(stats.get('total_forks')),
    backlogActive: replication.get('repl_backlog_active') !== '0',
    // A node that refuses TIME (or answers nonsense) is taken to share keyheat's clock.
    clockOffsetMs: Number.isFinite(serverMs) && serverMs > 0 ? Math.round(serverMs - local) : 0,
  };
}

interface ForkCost {
  readonly forkUsec: number | null;
  readonly cowBytes: number | null;
  readonly backlogBytes: number | null;
}

/**
 * The fork's cost, on a fresh connection once the node's child exited (waiting up to `waitMs`):
 * latest_fork_usec when total_forks moved (no new fork: the node sent a save already under way),
 * rdb_last_cow_size, and the replication backlog the SYNC made a node without one create. Best
 * effort: the RDB is read, so a node that cannot say any more leaves these unknown.
 */
async function forkCost(pool: NodePool, node: string, before: NodeState, waitMs: number, signal: AbortSignal): Promise<ForkCost> {
  const unknown: ForkCost = { forkUsec: null, cowBytes: null, backlogBytes: null };
  let connection: RespConnection | null = null;
  try {
    connection = await pool.open(node);
    const deadline = performance.now() + waitMs;
    let persistence = parseInfo(await connection.text(['INFO', 'persistence']));
    while (persistence.get('rdb_bgsave_in_progress') === '1' && performance.now() < deadline) {
      signal.throwIfAborted();
      await new Promise((resolve) => setTimeout(resolve, 50));
      persistence = parseInfo(await connection.text(['INFO', 'persistence']));
    }
    const stats = parseInfo(await connection.text(['INFO', 'stats']));
    const replication = parseInfo(await connection.text(['INFO', 'replication']));
    const usec = Number(stats.get('latest_fork_usec'));
    const cow = Number(persistence.get('rdb_last_cow_size'));
    const forked = Number(stats.get('total_forks')) > before.forks;
    const backlog = Number(replication.get('repl_backlog_size'));
    return {
      forkUsec: forked && Number.isFinite(usec) ? usec : null,
      cowBytes: forked && persistence.get('rdb_bgsave_in_progress') === '0' && Number.isFinite(cow) ? cow : null,
      backlogBytes: !before.backlogActive && replication.get('repl_backlog_active') === '1' && Number.isFinite(backlog) ? backlog : null,
    };
  } catch (error) {
    if (signal.aborted) throw signal.reason;
    if (!(error instanceof RedisFailure)) throw error;
    return unknown;
  } finally {
    connection?.close();
  }
}

/** INFO of a picked node; the connection is closed if that fails. */
async function factsOf(connection: RespConnection): Promise<ServerFacts> {
  try {
    return await readServerFacts(connection);
  } catch (error) {
    connection.close();
    throw error;
  }
}

/** `host` of `host:port` (`[v6]:port` too). */
function hostOf(address: string): string {
  return address.slice(0, address.lastIndexOf(':'));
}

/**
 * One fork at a time per host in this process: two snapshots (a hot and a big key task, two
 * instances, a primary and a replica) on one machine would copy-on-write at once. A snapshot
 * waiting for its turn still listens to its abort.
 */
const forkSlots = new Map<string, Promise<void>>();

async function withForkSlot<T>(host: string, signal: AbortSignal, work: () => Promise<T>): Promise<T> {
  const previous = forkSlots.get(host) ?? Promise.resolve();
  let release: () => void = () => undefined;
  const mine = new Promise<void>((resolve) => (release = resolve));
  const chained = previous.then(() => mine);
  forkSlots.set(host, chained);
  try {
    await new Promise<void>((resolve, reject) => {
      const onAbort = (): void => reject(signal.reason as Error);
      if (signal.aborted) onAbort();
      signal.addEventListener('abort', onAbort, { once: true });
      void previous.then(() => {
        signal.removeEventListener('abort', onAbort);
        resolve();
      });
    });
    return await work();
  } finally {
    release();
    if (forkSlots.get(host) === chained) forkSlots.delete(host);
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

