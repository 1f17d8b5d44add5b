/**
 * What an expired key scan tells of the keys it visits, bounded whatever the keyspace. Pure;
 * the engine feeds it one PTTL reply at a time and never hands it a key name to keep.
 * - per node and database, exact counts: keys with and without an expiry, and a histogram of
 *   the remaining TTL (under a minute, an hour, a day, seven days, longer, none);
 * - per namespace (analysis/heat-summary.ts prefixOf: at most 256 bytes of a name, whatever its
 *   length), the same counts for the namespaces with the most keys: one Space-Saving summary per
 *   node (space-saving.ts) of PREFIX_COUNTERS / nodes counters, merged at the end, as
 *   bigkey-summary.ts does. A namespace's counts are those seen since it last entered its
 *   node's summary; `error` bounds what it may have had before (0: exact).
 * A node read again after a failover has what it contributed dropped first.
 *
 * Memory: per node, one set of counts per database (at most `maxGroups` databases in all: a
 * server claiming more fails the analysis) and PREFIX_COUNTERS / nodes namespaces of at most
 * 256 bytes, each with its counts.
 */
import { TTL_BUCKETS, NAMESPACES_REPORTED, type TtlCounts, type TtlHistogram, type TtlNamespace, type TtlReport } from '../domain/expire-report.js';
import { RedisFailure } from '../domain/redis-failure.js';
import { PREFIX_COUNTERS, prefixOf, type PrefixSettings } from './heat-summary.js';
import { displayKeyName } from './key-name.js';
import { SpaceSaving } from './space-saving.js';

/** PTTL's answer for a key without an expiry. */
export const PTTL_NO_EXPIRY = -1;
/** PTTL's answer for a key that does not exist (Redis 2.8+). */
export const PTTL_MISSING = -2;

/** Histogram slots: the TTL_BUCKETS in order, then `longer`, then `none`. */
const LONGER = TTL_BUCKETS.length;
const NONE = LONGER + 1;
const SLOTS = NONE + 1;

/** Counts being summed: `slots` per histogram bucket (see LONGER, NONE). */
class Tally {
  keys = 0;
  readonly slots = new Array<number>(SLOTS).fill(0);

  add(slot: number): void {
    this.keys += 1;
    this.slots[slot] = (this.slots[slot] as number) + 1;
  }

  addAll(other: Tally): void {
    this.keys += other.keys;
    for (let i = 0; i < SLOTS; i++) this.slots[i] = (this.slots[i] as number) + (other.slots[i] as number);
  }

  counts(): TtlCounts {
    const at = (i: number): number => this.slots[i] as number;
    const histogram: TtlHistogram = { under1m: at(0), under1h: at(1), under1d: at(2), under7d: at(3), longer: at(LONGER), none: at(NONE) };
    return { keys: this.keys, withExpiry: this.keys - at(NONE), withoutExpiry: at(NONE), histogram };
  }
}

/** The histogram slot of a PTTL of a key that exists: milliseconds left, or -1 for none. Other values are not TTLs. */
export function ttlSlot(pttlMs: number): number {
  if (pttlMs === PTTL_NO_EXPIRY) return NONE;
  if (!Number.isInteger(pttlMs) || pttlMs < 0) throw new RangeError(`not a remaining TTL: ${pttlMs}`);
  for (let i = 0; i < TTL_BUCKETS.length; i++) if (pttlMs < (TTL_BUCKETS[i] as { belowMs: number }).belowMs) return i;
  return LONGER;
}

interface NodeTally {
  readonly databases: Map<number, Tally>;
  readonly namespaces: SpaceSaving<string>;
  /** Counts of every namespace the summary keeps, since it entered. */
  readonly namespaceTallies: Map<string, Tally>;
}

/** One node's database: where a page's keys are counted (looked up once per page). */
export interface DatabaseTally {
  /** A key PTTL found: its name (a view, not kept; only its namespace is) and milliseconds left, or -1. */
  add(name: Buffer, pttlMs: number): void;
}

export class TtlReportBuilder {
  private readonly nodes = new Map<string, NodeTally>();
  private readonly delimiterBytes: Set<number>;
  private capacity = 1000;

  constructor(
    private readonly prefix: PrefixSettings,
    /** Databases the report holds at most (analysis.max_groups). */
    private readonly maxGroups: number = Number.POSITIVE_INFINITY,
  ) {
    this.delimiterBytes = new Set([...prefix.delimiters].map((c) => c.charCodeAt(0)));
  }

  /** How many nodes will be scanned: they share PREFIX_COUNTERS. Before any key. */
  expectNodes(count: number): void {
    this.capacity = Math.max(64, Math.min(1000, Math.floor(PREFIX_COUNTERS / Math.max(1, count))));
  }

  /** Where the keys of `db` read on `node` are counted; a database past maxGroups fails the analysis ('limit'). */
  database(node: string, db: number): DatabaseTally {
    const tally = this.nodeTally(node);
    let counts = tally.databases.get(db);
    if (counts === undefined) {
      if (!this.knowsDatabase(db) && this.databaseNumbers().size >= this.maxGroups) {
        throw new RedisFailure('limit', node, `${node}: database ${db} would be database ${this.maxGroups + 1} of this analysis, past analysis.max_groups (${this.maxGroups})`);
      }
      counts = new Tally();
      tally.databases.set(db, counts);
    }
    const into = counts;
    return { add: (name, pttlMs) => this.count(tally, into, name, pttlMs) };
  }

  /** One key: `add` of database(node, db), for callers with a single key. */
  add(node: string, db: number, name: Buffer, pttlMs: number): void {
    this.database(node, db).add(name, pttlMs);
  }

  /** Drops what a node contributed (it failed and is read again from its replacement). */
  forgetNode(node: string): void {
    this.nodes.delete(node);
  }

  report(namespaces = NAMESPACES_REPORTED): TtlReport {
    const totals = new Tally();
    const databases = new Map<number, Tally>();
    for (const node of this.nodes.values()) {
      for (const [db, counts] of node.databases) {
        totals.addAll(counts);
        let into = databases.get(db);
        if (into === undefined) {
          into = new Tally();
          databases.set(db, into);
        }
        into.addAll(counts);
      }
    }
    return {
      totals: totals.counts(),
      databases: [...databases].sort((a, b) => a[0] - b[0]).map(([db, counts]) => ({ db, ...counts.counts() })),
      namespaces: this.topNamespaces(namespaces),
    };
  }

  private count(node: NodeTally, db: Tally, name: Buffer, pttlMs: number): void {
    const slot = ttlSlot(pttlMs);
    db.add(slot);
    const namespace = prefixOf(name, this.delimiterBytes, this.prefix.depth).toString('latin1');
    const dropped = node.namespaces.offer(namespace, 1);
    if (dropped !== undefined) node.namespaceTallies.delete(dropped);
    let tally = node.namespaceTallies.get(namespace);
    if (tally === undefined) {
      tally = new Tally();
      node.namespaceTallies.set(namespace, tally);
    }
    tally.add(slot);
  }

  /**
   * The namespaces with the most keys counted, merged over the nodes. On a node whose summary
   * dropped namespaces, one it does not hold now may have had up to its lightest counter's
   * keys there: that goes into `error` too.
   */
  private topNamespaces(n: number): TtlNamespace[] {
    const merged = new Map<string, { tally: Tally; error: number }>();
    const perNode = [...this.nodes.values()].map((node) => ({ node, kept: node.namespaces.top(this.capacity) }));
    for (const { node, kept } of perNode) {
      for (const { key, error } of kept) {
        const into = merged.get(key) ?? { tally: new Tally(), error: 0 };
        const tally = node.namespaceTallies.get(key);
        if (tally !== undefined) into.tally.addAll(tally);
        into.error += error;
        merged.set(key, into);
      }
    }
    for (const { node, kept } of perNode) {
      const lightest = kept.length >= this.capacity ? (kept[kept.length - 1]?.weight ?? 0) : 0;
      if (lightest === 0) continue;
      for (const [key, into] of merged) if (!node.namespaceTallies.has(key)) into.error += lightest;
    }
    return [...merged]
      .sort((a, b) => b[1].tally.keys - a[1].tally.keys || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
      .slice(0, n)
      .map(([key, { tally, error }]) => {
        const display = displayKeyName(Buffer.from(key, 'latin1'));
        return { prefix: display.name, ...(display.base64 === undefined ? {} : { prefixBase64: display.base64 }), ...tally.counts(), error };
      });
  }

  private knowsDatabase(db: number): boolean {
    for (const node of this.nodes.values()) if (node.databases.has(db)) return true;
    return false;
  }

  private databaseNumbers(): Set<number> {
    const numbers = new Set<number>();
    for (const node of this.nodes.values()) for (const db of node.databases.keys()) numbers.add(db);
    return numbers;
  }

  private nodeTally(node: string): NodeTally {
    let tally = this.nodes.get(node);
    if (tally === undefined) {
      tally = { databases: new Map(), namespaces: new SpaceSaving<string>(this.capacity), namespaceTallies: new Map() };
      this.nodes.set(node, tally);
    }
    return tally;
  }
}
