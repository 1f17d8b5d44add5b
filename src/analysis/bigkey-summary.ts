/**
 * What a big key analysis keeps of the keys it scans, bounded whatever the keyspace. Pure; the
 * engine feeds it one sized key at a time.
 * - per type, a top-`perType` of the keys above the threshold, biggest first (TopK): at most
 *   perType names per type, however many keys are big;
 * - per type, exact totals: keys, summed size, big keys, MEMORY USAGE sum, the largest key;
 * - namespaces by size (or by memory bytes when every key's MEMORY USAGE is read): one
 *   Space-Saving summary per node, merged at the end, as heat-summary.ts does for heat, with the
 *   same accuracy (a namespace's weight is within W / k of the truth, W the total weight, k the
 *   counters per node).
 *
 * Memory: perType entries per type seen (types are few: TYPE answers at most 32 characters and
 * a deployment has a handful), one largest key per type, and PREFIX_COUNTERS namespace counters.
 */
import type { BigKeyThresholds, PrefixSize } from '../domain/big-key.js';
import { compareKept, keepView, keptIdentity, keptView, type KeptName } from '../domain/kept-name.js';
import { displayKeyName } from './key-name.js';
import { PREFIX_COUNTERS, prefixOf, type PrefixSettings } from './heat-summary.js';
import { SpaceSaving } from './space-saving.js';
import { TopK } from './top-k.js';

/** The types reported first, in this order; others (module types) after them, by name. */
export const TYPE_ORDER: readonly string[] = ['string', 'list', 'set', 'zset', 'hash', 'stream'];
const COLLECTIONS: ReadonlySet<string> = new Set(['list', 'set', 'zset', 'hash', 'stream']);

/** Types tracked at most: a server answering a new type name per key cannot grow the summary. */
export const MAX_TYPES = 64;

export interface SizedKey {
  /**
   * The name: whole (a view of a socket buffer, copied by the summary when kept, at most
   * NAME_KEEP_BYTES of it), or its beginning when `nameSha1` is set (a snapshot's long names).
   */
  readonly name: Buffer;
  /** SHA-1 of the whole name, when `name` is only its beginning. */
  readonly nameSha1?: string | undefined;
  readonly db: number;
  /** The node the key was read on. */
  readonly node: string;
  /** Cluster: the address of the primary of the key's shard. */
  readonly shard?: string | undefined;
  readonly type: string;
  readonly size: number;
  readonly memoryBytes?: number | undefined;
  /** A snapshot's keys: when the key expires (ms since the epoch), null for none; undefined: read its TTL live. */
  readonly expiresAtMs?: number | null | undefined;
  /** Seconds since the last access, where an RDB carries it (the IDLE opcode, LRU policies); absent otherwise. */
  readonly idleSeconds?: number | undefined;
  /** Hashes with field expiration, from an RDB: how many fields have a TTL of their own. */
  readonly volatileFields?: number | undefined;
}

/** A key the summary keeps: its name an own copy of at most NAME_KEEP_BYTES, its identity computed once. */
export interface KeptSizedKey extends SizedKey {
  readonly id: string;
}

interface TypeSums {
  keys: number;
  totalSize: number;
  bigKeys: number;
  memoryBytes: number;
  largest: KeptSizedKey | null;
  readonly top: TopK<KeptSizedKey>;
}

/** Biggest first; ties by db, node and name (bytes, then hash), so the result does not depend on scan order. */
export function isBigger(a: SizedKey, b: SizedKey): boolean {
  return outsizes(a, nameOf(a), b);
}

/** isBigger for a key not kept yet, its name a view whose hash is computed only if a tie needs it. */
function outsizes(a: SizedKey, name: KeptName, b: SizedKey): boolean {
  if (a.size !== b.size) return a.size > b.size;
  if (a.db !== b.db) return a.db < b.db;
  if (a.node !== b.node) return a.node < b.node;
  return compareKept(name, nameOf(b)) < 0;
}

function nameOf(key: SizedKey): KeptName {
  return key.nameSha1 === undefined ? { name: key.name } : { name: key.name, nameSha1: key.nameSha1 };
}

export function typeRank(type: string): number {
  const at = TYPE_ORDER.indexOf(type);
  return at < 0 ? TYPE_ORDER.length : at;
}

/** Canonical order: strings, list, set, zset, hash, stream, then other types by name. */
export function compareTypes(a: string, b: string): number {
  return typeRank(a) - typeRank(b) || (a < b ? -1 : a > b ? 1 : 0);
}

export function unitOf(type: string): 'byte' | 'count' {
  return COLLECTIONS.has(type) ? 'count' : 'byte';
}

export class BigKeySummary {
  private readonly types = new Map<string, TypeSums>();
  private readonly prefixes = new Map<string, SpaceSaving<string>>();
  private readonly delimiterBytes: Set<number>;
  private capacity = 1000;
  /** Keys of types beyond MAX_TYPES: counted, not summed. */
  untypedKeys = 0;

  constructor(
    readonly thresholds: BigKeyThresholds,
    private readonly prefix: PrefixSettings,
    /** 'memory': namespaces weigh keys by their MEMORY USAGE, else by their size. */
    readonly weighBy: 'memory' | 'size',
  ) {
    this.delimiterBytes = new Set([...prefix.delimiters].map((c) => c.charCodeAt(0)));
  }

  /** How many nodes will be scanned: they share PREFIX_COUNTERS. Before any key. */
  expectNodes(count: number): void {
    this.capacity = Math.max(64, Math.min(1000, Math.floor(PREFIX_COUNTERS / Math.max(1, count))));
  }

  isBig(type: string, size: number): boolean {
    return size > (unitOf(type) === 'count' ? this.thresholds.collectionCount : this.thresholds.stringBytes);
  }

  /** One key read; `key.name` may be a view of a socket buffer (copied only if kept). */
  add(key: SizedKey): void {
    const sums = this.sumsOf(key.type);
    if (sums === null) {
      this.untypedKeys += 1;
      return;
    }
    sums.keys += 1;
    sums.totalSize += key.size;
    sums.memoryBytes += key.memoryBytes ?? 0;
    // Names are views of socket buffers until kept; a long one is hashed only if needed.
    const view = key.nameSha1 === undefined ? keptView(key.name) : nameOf(key);
    const largest = sums.largest === null || outsizes(key, view, sums.largest);
    const big = this.isBig(key.type, key.size);
    if (big) sums.bigKeys += 1;
    const worst = big ? sums.top.worstKept() : undefined;
    const topped = big && (worst === undefined || outsizes(key, view, worst));
    if (largest || topped) {
      const name = keepView(view);
      const kept: KeptSizedKey = { ...key, name: name.name, nameSha1: name.nameSha1, id: `${key.db}\u0000${key.node}\u0000${keptIdentity(key.db, name)}` };
      if (largest) sums.largest = kept;
      if (topped) sums.top.offer(kept);
    }
    const weight = this.weighBy === 'memory' ? (key.memoryBytes ?? 0) : key.size;
    this.prefixesOf(key.node).offer(prefixOf(key.name, this.delimiterBytes, this.prefix.depth).toString('latin1'), weight);
  }

  /** Every type seen, in canonical order. */
  typeNames(): string[] {
    return [...this.types.keys()].sort(compareTypes);
  }

  /** The reported keys: per type in canonical order, biggest first within a type. */
  bigKeys(): KeptSizedKey[] {
    return this.typeNames().flatMap((type) => (this.types.get(type) as TypeSums).top.sorted());
  }

  /** Per type: its totals, in canonical order. */
  totals(): { type: string; keys: number; totalSize: number; bigKeys: number; memoryBytes: number; largest: KeptSizedKey | null }[] {
    return this.typeNames().map((type) => {
      const { keys, totalSize, bigKeys, memoryBytes, largest } = this.types.get(type) as TypeSums;
      return { type, keys, totalSize, bigKeys, memoryBytes, largest };
    });
  }

  /** The `n` heaviest namespaces, merged over the nodes, with their share of the whole weight. */
  namespaces(n: number): PrefixSize[] {
    const summaries = [...this.prefixes.values()];
    const merged = new Map<string, { weight: number; keys: number }>();
    for (const summary of summaries) {
      for (const { key, weight, count } of summary.top(this.capacity)) {
        const into = merged.get(key) ?? { weight: 0, keys: 0 };
        into.weight += weight;
        into.keys += count;
        merged.set(key, into);
      }
    }
    const total = summaries.reduce((sum, s) => sum + s.totalWeight, 0);
    return [...merged]
      .sort((a, b) => b[1].weight - a[1].weight || (a[0] < b[0] ? -1 : 1))
      .slice(0, n)
      .map(([key, sums]) => {
        const display = displayKeyName(Buffer.from(key, 'latin1'));
        return {
          prefix: display.name,
          ...(display.base64 === undefined ? {} : { prefixBase64: display.base64 }),
          keys: sums.keys,
          weight: sums.weight,
          share: total > 0 ? Math.round((sums.weight / total) * 1000) / 1000 : 0,
        };
      });
  }

  private sumsOf(type: string): TypeSums | null {
    let sums = this.types.get(type);
    if (sums === undefined) {
      if (this.types.size >= MAX_TYPES) return null;
      sums = { keys: 0, totalSize: 0, bigKeys: 0, memoryBytes: 0, largest: null, top: new TopK<KeptSizedKey>(this.thresholds.perType, isBigger, (key) => key.id) };
      this.types.set(type, sums);
    }
    return sums;
  }

  private prefixesOf(node: string): SpaceSaving<string> {
    let summary = this.prefixes.get(node);
    if (summary === undefined) {
      summary = new SpaceSaving<string>(this.capacity);
      this.prefixes.set(node, summary);
    }
    return summary;
  }
}
