/**
 * The expired key scan on the scan machine (engine/scan-node.ts): PTTL for every key SCAN
 * returns, pipelined with the next SCAN (one round per page), into the TTL report
 * (analysis/ttl-report.ts). Visiting the keys is the point: on a primary, SCAN deletes the keys
 * whose TTL has passed as it meets them (Redis's lazy expiry), and PTTL those that lapsed since.
 * Replicas never delete expired keys themselves (they wait for their primary's DEL), so only
 * primaries are scanned: a replica is refused.
 *
 * What a node reclaimed is read from its own counter, INFO stats expired_keys, before its first
 * page and after its last. The difference includes what the server's active expiry cycle
 * deleted meanwhile; the two cannot be told apart, and both are keys that were reclaimed while
 * the scan ran, which is what DCS's `num` reports.
 *
 * A primary that fails during a cluster scan takes its counter with it: what it reclaimed before
 * failing is not in `num` (its DELs did reach its replicas); the node that takes over is scanned
 * from the start against its own counter, and the failed node's TTL counts are dropped.
 *
 * A PTTL of -2 (the key lapsed or was deleted between SCAN and PTTL) counts as vanished, not in
 * the histograms. A key answering MOVED/ASK (its slot is migrating) has its PTTL read where it
 * went. Names are never kept past their page: only their namespace (at most 256 bytes) is.
 *
 * Commands run on production nodes: INFO, INFO stats, SELECT, SCAN, PTTL; on a cluster also
 * CLUSTER NODES, and CLUSTER COUNTKEYSINSLOT / GETKEYSINSLOT, ASKING for slots that moved.
 */
import { RedisFailure } from '../domain/redis-failure.js';
import { describeServer, versionAtLeast, type ServerFacts } from '../redis/server-info.js';
import type { ExpireNode } from '../domain/expire-report.js';
import type { NodeReport } from '../domain/hot-key.js';
import { PTTL_MISSING, type DatabaseTally, type TtlReportBuilder } from '../analysis/ttl-report.js';
import { readExpiredKeys } from '../redis/expire-stats.js';
import type { NodePool } from '../redis/node-pool.js';
import { scanDatabase, type ScanOptions, type ScanPage } from '../redis/node-scanner.js';
import { redirectedTarget, sendToOwners, type KeyTarget } from '../redis/redirects.js';
import type { RespConnection } from '../redis/resp-connection.js';
import { RedisReplyError, type Reply } from '../redis/resp-parser.js';
import type { KeyConsumer } from './scan-node.js';
import type { ScanCommands } from './traffic-monitor.js';

/** SCAN and PTTL exist with -2 for a missing key since Redis 2.8.0. */
export const MIN_EXPIRE_SCAN_VERSION = '2.8.0';

const PTTL: readonly string[] = Object.freeze(['PTTL']);
/** One PTTL per key read: keyheat's own, not traffic; others' PTTLs beyond keyheat's are. */
export const PTTL_COMMANDS: ScanCommands = Object.freeze({ sizePerKey: 0, keyCommand: 'pttl' });

interface NodeExpiry {
  /** expired_keys when the node's scan started; null for a node only reached by redirects. */
  before: number | null;
  after: number | null;
  reclaimed: number;
  scanned: number;
  vanished: number;
}

export class ExpireConsumer implements KeyConsumer<ScanPage> {
  readonly commands = PTTL_COMMANDS;
  private readonly nodes = new Map<string, NodeExpiry>();

  constructor(
    readonly report: TtlReportBuilder,
    private readonly pool: NodePool,
    private readonly cluster: boolean,
  ) {}

  check(facts: ServerFacts, node: string): void {
    if (facts.role !== 'master') {
      throw new RedisFailure('unsupported', node, `${node} is a replica: replicas do not delete expired keys themselves (they wait for their primary's DEL), so scanning one reclaims nothing; register its primary`);
    }
    if (facts.redisVersion === '' || !versionAtLeast(facts.redisVersion, MIN_EXPIRE_SCAN_VERSION)) {
      throw new RedisFailure('unsupported', node, `${node} runs ${describeServer(facts)}; the expired key scan needs Redis ${MIN_EXPIRE_SCAN_VERSION} or later (SCAN)`);
    }
  }

  async startNode(connection: RespConnection): Promise<void> {
    const before = await readExpiredKeys(connection);
    this.nodes.set(connection.address, { before, after: null, reclaimed: 0, scanned: 0, vanished: 0 });
  }

  async finishNode(connection: RespConnection): Promise<void> {
    const after = await readExpiredKeys(connection);
    const state = this.stateOf(connection.address);
    state.after = after;
    state.reclaimed += reclaimedBetween(state.before, after);
  }

  pages(connection: RespConnection, scan: ScanOptions): AsyncIterable<ScanPage> {
    return scanDatabase(connection, { ...scan, keyCommand: PTTL });
  }

  takePage(page: ScanPage, db: number, connection: RespConnection): KeyTarget<Buffer>[] {
    const node = connection.address;
    const state = this.stateOf(node);
    const tally = this.report.database(node, db);
    let redirects: KeyTarget<Buffer>[] | null = null;
    for (let i = 0; i < page.keys.length; i++) {
      const reply = page.replies[i] ?? null;
      const key = page.keys[i] as Buffer;
      if (typeof reply === 'number') {
        this.count(tally, state, key, reply, node);
        continue;
      }
      if (!(reply instanceof RedisReplyError)) throw connection.unexpected(reply, 'PTTL');
      const copy = Buffer.from(key);
      const redirect = redirectedTarget(reply, { item: copy, key: copy, db }, node);
      if (redirect === null) throw connection.failureOf(reply);
      (redirects ??= []).push(redirect);
    }
    state.scanned += page.keys.length;
    return redirects ?? [];
  }

  /** The PTTL of keys whose slot moved, read where they went, and counted there. */
  async readRedirected(targets: readonly KeyTarget<Buffer>[]): Promise<void> {
    const dbOf = new Map(targets.map((t) => [t.item, t.db]));
    for (const { item, node, reply, failure } of await sendToOwners(this.pool, targets, (t) => ['PTTL', t.key])) {
      if (failure !== null) throw failure;
      this.count(this.report.database(node, dbOf.get(item) ?? 0), this.stateOf(node), item, pttlOf(reply, node), node);
    }
  }

  /**
   * Keys of a slot that moved during a cluster scan: PTTL where they live now reclaims those
   * that lapsed, but they are not counted again in the TTL report (most were counted during the
   * scan; a key that moved behind both nodes' cursors is reclaimed and not counted). What the
   * asked node reclaimed meanwhile is added to its count.
   */
  async recheck(targets: readonly KeyTarget<Buffer>[]): Promise<void> {
    const node = targets[0]?.node;
    if (node === undefined) return;
    const before = await this.pool.withShared(node, (connection) => readExpiredKeys(connection));
    for (const { node: answered, reply, failure } of await sendToOwners(this.pool, targets, (t) => ['PTTL', t.key])) {
      if (failure !== null) throw failure;
      pttlOf(reply, answered);
    }
    const after = await this.pool.withShared(node, (connection) => readExpiredKeys(connection));
    this.stateOf(node).reclaimed += reclaimedBetween(before, after);
  }

  expectNodes(count: number): void {
    this.report.expectNodes(count);
  }

  forgetNode(node: string): void {
    this.nodes.delete(node);
    this.report.forgetNode(node);
  }

  get scannedKeys(): number {
    let sum = 0;
    for (const state of this.nodes.values()) sum += state.scanned;
    return sum;
  }

  get vanishedKeys(): number {
    let sum = 0;
    for (const state of this.nodes.values()) sum += state.vanished;
    return sum;
  }

  /** Every node scanned to its end, with what its scan cost it (the progress board's reports). */
  nodeReports(pacing: readonly NodeReport[]): ExpireNode[] {
    const costs = new Map(pacing.map((report) => [report.node, report]));
    const reports: ExpireNode[] = [];
    for (const [node, state] of this.nodes) {
      if (state.before === null || state.after === null) continue;
      const cost = costs.get(node);
      reports.push({
        node,
        ...(this.cluster ? { shard: node } : {}),
        scannedKeys: state.scanned,
        expiredBefore: state.before,
        expiredAfter: state.after,
        reclaimed: state.reclaimed,
        longestBlockUs: cost?.longestBlockUs ?? null,
        cpuShare: cost?.cpuShare ?? null,
        trafficSeen: cost?.trafficSeen ?? false,
      });
    }
    return reports.sort((a, b) => (a.node < b.node ? -1 : a.node > b.node ? 1 : 0));
  }

  private count(tally: DatabaseTally, state: NodeExpiry, key: Buffer, pttl: number, node: string): void {
    if (pttl === PTTL_MISSING) state.vanished += 1;
    else if (pttl >= -1 && Number.isSafeInteger(pttl)) tally.add(key, pttl);
    else throw new RedisFailure('protocol', node, `${node} answered PTTL with ${pttl}, which is not a time to live`);
  }

  private stateOf(node: string): NodeExpiry {
    let state = this.nodes.get(node);
    if (state === undefined) {
      state = { before: null, after: null, reclaimed: 0, scanned: 0, vanished: 0 };
      this.nodes.set(node, state);
    }
    return state;
  }
}

/** A PTTL reply that is not an error: its integer; anything else fails the node. */
function pttlOf(reply: Reply, node: string): number {
  if (typeof reply !== 'number') throw new RedisFailure('protocol', node, `${node} answered PTTL with something that is not an integer`);
  return reply;
}

/** What a node reclaimed between two readings of its counter; 0 when the counters were reset meanwhile (CONFIG RESETSTAT). */
function reclaimedBetween(before: number | null, after: number): number {
  return before === null ? 0 : Math.max(0, after - before);
}
