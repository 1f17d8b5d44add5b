/**
 * The big key scan on the scan machine (engine/scan-node.ts, engine/cluster-scan.ts): TYPE and
 * the size command of every key SCAN returns (redis/bigkey-scanner.ts), into per-type totals,
 * namespaces and the biggest keys of each type.
 *
 * The node read of each shard is the consumer's (openNode): a usable replica where one exists
 * and prefer_replicas is on (READONLY on a cluster), else the primary, CLIENT NO-TOUCH ON first
 * (engine/bigkey-node-scan.ts). The machine gives the rest, as to the hot key scan: the pacing
 * budgets, a key answering MOVED/ASK read where it went (TYPE and size there), the slots that
 * moved read again at the end, and a node lost mid-scan (its primary failing over, or the
 * replica read going away) waited for, its shard read again from the start on the node picked
 * then, what the failed node contributed forgotten. Keys read where a redirect pointed, or again
 * at the end, are read on the primary that owns them (CLIENT NO-TOUCH ON first). A cluster
 * replica knows nothing of a migration: a key it no longer has (TYPE none, MEMORY USAGE nil) is
 * looked for on its primary, which redirects if the key moved, before it counts as vanished.
 * A key whose type changed between TYPE and its size command (WRONGTYPE) counts as changed; a
 * string deleted between TYPE and STRLEN reads as an empty string (STRLEN answers 0).
 *
 * What is kept (BigKeyTally):
 * - per shard (a cluster primary's address; the node of a standalone server) an
 *   analysis/bigkey-summary.ts summary of the keys read there: exact per-type totals, the largest
 *   key of each type, namespaces (its counters sharing PREFIX_COUNTERS with the other shards',
 *   as one summary's per-node counters do), and the shard's scanned, vanished and changed keys;
 *   a failed shard's is dropped whole;
 * - one top-`perType` per type over the deployment, keyed by (db, name): a key read on two nodes
 *   (its slot migrated between their SCANs, or read again at the end) is reported once, from
 *   its latest reading (where it lives now). A shard read again drops its readings first.
 * Totals count what the SCANs returned: a key that moved from behind one node's cursor to ahead
 * of another's during a migration is in both nodes' totals (and one that moved the other way,
 * in neither: the re-read at the end reports it among the biggest, not in the totals).
 *
 * Memory: perType keys per type; per shard one summary (two kept names per type, its share of
 * the namespace counters); a few pages of key names per node in flight.
 */
import { BigKeySummary, compareTypes, isBigger, MAX_TYPES, unitOf, type SizedKey } from '../analysis/bigkey-summary.js';
import type { PrefixSettings } from '../analysis/heat-summary.js';
import { TopK } from '../analysis/top-k.js';
import type { BigKeyThresholds, PrefixSize } from '../domain/big-key.js';
import { compareKept, keepView, keptIdentity, keptView, type KeptName } from '../domain/kept-name.js';
import { RedisFailure } from '../domain/redis-failure.js';
import { scanSizes, type SizedPage } from '../redis/bigkey-scanner.js';
import type { NodePool } from '../redis/node-pool.js';
import type { ScanOptions } from '../redis/node-scanner.js';
import { redirectedTarget, type KeyTarget } from '../redis/redirects.js';
import type { RespConnection } from '../redis/resp-connection.js';
import { RedisReplyError } from '../redis/resp-parser.js';
import { isWrongType, unexpectedReply } from '../redis/classify-redis-error.js';
import { TYPE_NAME } from '../redis/key-probes.js';
import type { Shard } from '../redis/topology.js';
import type { BigKeyAnalysisOptions } from './analysis-options.js';
import { CHANGED, isRedirect, openBigKeyNode, readAtOwners, SIZED, VANISHED, type OwnerReading, type ScannedNode } from './bigkey-node-scan.js';
import type { KeyConsumer } from './scan-node.js';
import type { ScanCommands } from './traffic-monitor.js';

/** A key among the biggest of its type: its name kept, which shard's reading it is, and when it was read. */
export interface BigKeyReading extends SizedKey {
  readonly nameSha1?: string | undefined;
  /** keptIdentity: the key it is, whichever node it was read on. */
  readonly id: string;
  /** The shard whose tally it belongs to (dropped with it). */
  readonly tally: string;
  /** Readings in order: of two readings of one key, the later is kept. */
  readonly seq: number;
}

interface ShardTally {
  readonly summary: BigKeySummary;
  scanned: number;
  vanished: number;
  changed: number;
}

export interface BigKeyCounts {
  readonly scanned: number;
  readonly vanished: number;
  readonly changed: number;
}

/** Biggest first; ties by db and name; two readings of one key, the later first. */
function outranks(size: number, db: number, name: KeptName, seq: number, than: BigKeyReading): boolean {
  if (size !== than.size) return size > than.size;
  if (db !== than.db) return db < than.db;
  const names = compareKept(name, than);
  return names !== 0 ? names < 0 : seq > than.seq;
}

function isBiggerReading(a: BigKeyReading, b: BigKeyReading): boolean {
  return outranks(a.size, a.db, a, a.seq, b);
}

/** What a big key scan keeps, per shard and over the deployment (see the header). */
export class BigKeyTally {
  private readonly shards = new Map<string, ShardTally>();
  private readonly tops = new Map<string, TopK<BigKeyReading>>();
  private expected = 1;
  private seq = 0;
  private readonly shardThresholds: BigKeyThresholds;
  /** The lower threshold: a key at most this big is big in no type. */
  readonly smallest: number;

  constructor(
    readonly thresholds: BigKeyThresholds,
    private readonly prefix: PrefixSettings,
    readonly weighBy: 'memory' | 'size',
  ) {
    // The shards' summaries keep the largest key of each type, not a list: the list is the deployment's.
    this.shardThresholds = { ...thresholds, perType: 1 };
    this.smallest = Math.min(thresholds.stringBytes, thresholds.collectionCount);
  }

  /** How many shards will be read: their namespace counters share the room. Before any key. */
  expectNodes(count: number): void {
    this.expected = Math.max(1, count);
  }

  /** The tally of a shard, made on its first key. */
  shard(name: string): ShardTally {
    let tally = this.shards.get(name);
    if (tally === undefined) {
      const summary = new BigKeySummary(this.shardThresholds, this.prefix, this.weighBy);
      summary.expectNodes(this.expected);
      tally = { summary, scanned: 0, vanished: 0, changed: 0 };
      this.shards.set(name, tally);
    }
    return tally;
  }

  /** One key read and counted in `tally` (the shard `name`'s). */
  add(tally: ShardTally, name: string, key: SizedKey): void {
    tally.summary.add(key);
    this.offer(key, name);
  }

  /** A key read again (a moved slot at the end of a cluster scan): among the biggest, not counted again. */
  offer(key: SizedKey, tally: string): void {
    // Most keys are below both thresholds: no type lookup for them.
    if (key.size <= this.smallest) return;
    const limit = unitOf(key.type) === 'count' ? this.thresholds.collectionCount : this.thresholds.stringBytes;
    if (key.size <= limit) return;
    let top = this.tops.get(key.type);
    if (top === undefined) {
      if (this.tops.size >= MAX_TYPES) return;
      top = new TopK<BigKeyReading>(this.thresholds.perType, isBiggerReading, (reading) => reading.id);
      this.tops.set(key.type, top);
    }
    const seq = ++this.seq;
    // Names are views of socket buffers until kept; a long one is hashed only if a tie needs it.
    const view = keptView(key.name);
    const worst = top.worstKept();
    if (worst !== undefined && !outranks(key.size, key.db, view, seq, worst)) return;
    const kept = keepView(view);
    top.offer({ ...key, name: kept.name, nameSha1: kept.nameSha1, id: keptIdentity(key.db, kept), tally, seq });
  }

  /** A shard read again from the start: what it gave so far goes. */
  forget(tally: string): void {
    this.shards.delete(tally);
    for (const top of this.tops.values()) top.removeWhere((reading) => reading.tally === tally);
  }

  counts(): BigKeyCounts {
    let scanned = 0;
    let vanished = 0;
    let changed = 0;
    for (const tally of this.shards.values()) {
      scanned += tally.scanned;
      vanished += tally.vanished;
      changed += tally.changed;
    }
    return { scanned, vanished, changed };
  }

  /** The reported keys: per type in canonical order, biggest first within a type. */
  bigKeys(): BigKeyReading[] {
    return [...this.tops.keys()].sort(compareTypes).flatMap((type) => (this.tops.get(type) as TopK<BigKeyReading>).sorted());
  }

  /** Per type over every shard: its totals, in canonical order. */
  totals(): ReturnType<BigKeySummary['totals']> {
    const merged = new Map<string, ReturnType<BigKeySummary['totals']>[number]>();
    for (const { summary } of this.shards.values()) {
      for (const total of summary.totals()) {
        const into = merged.get(total.type);
        if (into === undefined) {
          merged.set(total.type, { ...total });
          continue;
        }
        into.keys += total.keys;
        into.totalSize += total.totalSize;
        into.bigKeys += total.bigKeys;
        into.memoryBytes += total.memoryBytes;
        if (total.largest !== null && (into.largest === null || isBigger(total.largest, into.largest))) into.largest = total.largest;
      }
    }
    return [...merged.values()].sort((a, b) => compareTypes(a.type, b.type));
  }

  /** The `n` heaviest namespaces over every shard, as one summary's per-node counters merge (analysis/bigkey-summary.ts). */
  namespaces(n: number): PrefixSize[] {
    const merged = new Map<string, { prefix: PrefixSize; weight: number; keys: number }>();
    for (const { summary } of this.shards.values()) {
      for (const prefix of summary.namespaces(Number.MAX_SAFE_INTEGER)) {
        const raw = prefix.prefixBase64 === undefined ? Buffer.from(prefix.prefix, 'utf8').toString('latin1') : Buffer.from(prefix.prefixBase64, 'base64').toString('latin1');
        const into = merged.get(raw);
        if (into === undefined) merged.set(raw, { prefix, weight: prefix.weight, keys: prefix.keys });
        else {
          into.weight += prefix.weight;
          into.keys += prefix.keys;
        }
      }
    }
    const total = this.totals().reduce((sum, t) => sum + (this.weighBy === 'memory' ? t.memoryBytes : t.totalSize), 0);
    return [...merged]
      .sort((a, b) => b[1].weight - a[1].weight || (a[0] < b[0] ? -1 : 1))
      .slice(0, n)
      .map(([, { prefix, weight, keys }]) => ({
        prefix: prefix.prefix,
        ...(prefix.prefixBase64 === undefined ? {} : { prefixBase64: prefix.prefixBase64 }),
        keys,
        weight,
        share: total > 0 ? Math.round((weight / total) * 1000) / 1000 : 0,
      }));
  }
}

/** Where a scanned node's keys go: the shard it was read for. */
interface NodeRead {
  readonly shard: string | undefined;
  readonly tally: string;
  /** A cluster replica's primary, where a key the replica no longer has is looked for (its slot may be migrating). */
  readonly primary: string | null;
}

export class BigKeyConsumer implements KeyConsumer<SizedPage> {
  /** Every key costs one size command (and MEMORY USAGE with memoryUsage): keyheat's own, not traffic. */
  readonly commands: ScanCommands;
  /** The nodes read, for the report (a node whose read failed and was read again appears once). */
  readonly nodes: ScannedNode[] = [];
  private readonly read = new Map<string, NodeRead>();

  constructor(
    readonly tally: BigKeyTally,
    private readonly options: Pick<BigKeyAnalysisOptions, 'memoryUsage' | 'preferReplicas'>,
    private readonly pool: NodePool,
  ) {
    this.commands = Object.freeze({ sizePerKey: options.memoryUsage ? 2 : 1 });
  }

  /** A usable replica of the shard, else its primary (engine/bigkey-node-scan.ts). */
  async openNode(shard: Shard, signal: AbortSignal): Promise<RespConnection> {
    const { picked, scanned } = await openBigKeyNode(shard, this.pool, signal, this.options.preferReplicas);
    this.nodes.push(scanned);
    const primary = shard.cluster && scanned.role === 'replica' && scanned.node !== shard.primary ? shard.primary : null;
    this.read.set(scanned.node, { shard: shard.shard, tally: shard.shard ?? scanned.node, primary });
    return picked.connection;
  }

  /** Any Redis will do: every version, role and policy. */
  check(): void {}

  pages(connection: RespConnection, scan: ScanOptions): AsyncIterable<SizedPage> {
    return scanSizes(connection, { ...scan, memory: this.options.memoryUsage });
  }

  /**
   * A page's keys into the shard's tally; gives back the keys to read elsewhere: those answering
   * MOVED/ASK, and on a cluster replica those it no longer has (their primary may have moved them).
   */
  takePage(page: SizedPage, db: number, connection: RespConnection): KeyTarget<Buffer>[] {
    const node = connection.address;
    const { shard, tally: name, primary } = this.read.get(node) ?? { shard: undefined, tally: node, primary: null };
    const tally = this.tally.shard(name);
    const { summary } = tally;
    const smallest = this.tally.smallest;
    const asked = this.options.memoryUsage;
    const redirects: KeyTarget<Buffer>[] = [];
    /** A key read elsewhere: where `reply` redirects, or on the replica's primary. */
    const elsewhere = (i: number, reply: RedisReplyError | null): void => {
      const copy = Buffer.from(page.keys[i] as Buffer);
      const target = reply === null ? { item: copy, key: copy, db, node: primary as string, ask: false } : redirectedTarget(reply, { item: copy, key: copy, db }, node);
      if (target === null) throw connection.failureOf(reply as RedisReplyError);
      redirects.push(target);
    };
    for (let i = 0; i < page.keys.length; i++) {
      const type = page.types[i] ?? null;
      if (type instanceof RedisReplyError) {
        if (!isRedirect(type)) throw connection.failureOf(type);
        elsewhere(i, type);
        continue;
      }
      if (!Buffer.isBuffer(type)) throw unexpectedReply(node, type, 'TYPE');
      const typeName = type.toString('latin1');
      if (typeName === 'none') {
        // A cluster replica knows nothing of a migration: a key its primary just moved away reads as gone here.
        if (primary === null) tally.vanished += 1;
        else elsewhere(i, null);
        continue;
      }
      if (!TYPE_NAME.test(typeName)) throw new RedisFailure('protocol', node, `${node} answered TYPE with something that is not a type name`);
      const size = page.sizes[i] ?? null;
      if (typeof size !== 'number') {
        if (size instanceof RedisReplyError) {
          if (isWrongType(size)) tally.changed += 1;
          else if (isRedirect(size)) elsewhere(i, size);
          else throw connection.failureOf(size);
        } else if (size !== null) {
          throw unexpectedReply(node, size, 'the size command');
        } else if (primary === null) {
          tally.vanished += 1; // MEMORY USAGE (a module type's size) of a key deleted after TYPE
        } else {
          elsewhere(i, null);
        }
        continue;
      }
      let memory: number | undefined;
      if (asked) {
        const reply = page.memory[i] ?? null;
        if (typeof reply !== 'number') {
          if (reply instanceof RedisReplyError) {
            if (!isRedirect(reply)) throw connection.failureOf(reply);
            elsewhere(i, reply);
          } else if (reply !== null) {
            throw connection.unexpected(reply, 'MEMORY USAGE');
          } else if (primary === null) {
            tally.vanished += 1; // deleted after TYPE
          } else {
            elsewhere(i, null);
          }
          continue;
        }
        memory = reply;
      }
      const key: SizedKey = { name: page.keys[i] as Buffer, db, node, shard, type: typeName, size, memoryBytes: memory };
      summary.add(key);
      if (size > smallest) this.tally.offer(key, name);
    }
    // A key read elsewhere is counted where it is read.
    tally.scanned += page.keys.length - redirects.length;
    return redirects;
  }

  /** Keys whose slot moved during the scan: read where they went, and counted there (on that shard's primary). */
  async readRedirected(targets: readonly KeyTarget<Buffer>[]): Promise<void> {
    for (const reading of await readAtOwners(this.pool, targets, this.options.memoryUsage)) {
      const tally = this.tally.shard(reading.node);
      tally.scanned += 1;
      if (reading.outcome === VANISHED) tally.vanished += 1;
      else if (reading.outcome === CHANGED) tally.changed += 1;
      else this.tally.add(tally, reading.node, sizedKeyOf(reading));
    }
  }

  /** Keys of a slot that moved, read again at the end of a cluster scan: among the biggest (where they live now), not counted again. */
  async recheck(targets: readonly KeyTarget<Buffer>[]): Promise<void> {
    for (const reading of await readAtOwners(this.pool, targets, this.options.memoryUsage)) {
      if (reading.outcome === SIZED) this.tally.offer(sizedKeyOf(reading), reading.node);
    }
  }

  expectNodes(count: number): void {
    this.tally.expectNodes(count);
  }

  /** The node read for a shard failed: the shard is read again from the start, so what it gave goes, and the node leaves the report. */
  forgetNode(node: string): void {
    this.tally.forget(this.read.get(node)?.tally ?? node);
    this.read.delete(node);
    for (let i = this.nodes.length - 1; i >= 0; i--) if (this.nodes[i]?.node === node) this.nodes.splice(i, 1);
  }
}

/** A key read on a primary where a redirect pointed: its shard is that primary. */
function sizedKeyOf(reading: OwnerReading): SizedKey {
  return { name: reading.name, db: reading.db, node: reading.node, shard: reading.node, type: reading.type, size: reading.size, memoryBytes: reading.memory };
}
