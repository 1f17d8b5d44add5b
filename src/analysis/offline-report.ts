/**
 * What an offline key analysis keeps of the keys of an RDB (domain/offline-report.ts), bounded
 * whatever the RDB holds. Pure; the snapshot pass feeds it one key at a time (engine/rdb-key-feed.ts).
 * - per type, exact totals: keys and bytes in the RDB;
 * - per type, a top-`topKeys` of the keys by bytes (TopK): names copied only when kept, at most
 *   NAME_KEEP_BYTES of each and the SHA-1 of a longer one (domain/kept-name.ts);
 * - per type, namespaces by bytes in one Space-Saving summary (space-saving.ts) of
 *   prefixCounters(topPrefixes) counters: a namespace heavier than W / k (W the type's bytes, k
 *   its counters) is always kept, and a kept one is overestimated by at most its `errorBytes`
 *   (reported), itself at most W / k. While a type has no more namespaces than counters, its
 *   namespaces are exact.
 *
 * Memory: the parser's types are a fixed set (7) and module types beyond MAX_MODULE_TYPES are
 * folded into 'module', so at most 16 types, each with `topKeys` (<= 500) names of at most
 * 1 KiB and prefixCounters (<= 4096) namespaces of at most 256 bytes: about 25 MiB in the
 * worst case (every type present, every name and namespace at its longest), a few hundred KiB
 * for an ordinary RDB.
 */
import { compareKept, keepView, keptView, type KeptName } from '../domain/kept-name.js';
import { OFFLINE_LIMITS, type Limit } from '../domain/limits.js';
import type { OfflineLargestKey, OfflinePrefix, OfflineReport, OfflineSettings } from '../domain/offline-report.js';
import { compareTypes } from './bigkey-summary.js';
import { prefixOf, type PrefixSettings } from './heat-summary.js';
import { displayKeyName, reportedName } from './key-name.js';
import { SpaceSaving } from './space-saving.js';
import { TopK } from './top-k.js';

/** Module types tracked by name; the keys of any further module type count under 'module'. */
export const MAX_MODULE_TYPES = 8;

/** Namespace counters per type: ten per namespace reported, at least 1000 (as a node's heat summary), at most 4096. */
export function prefixCounters(topPrefixes: number): number {
  return Math.min(4096, Math.max(1000, 10 * topPrefixes));
}

/** One key of the RDB, as the feed hands it over. */
export interface OfflineKey {
  /** The name (a view of the parser's buffer, copied only if kept), or its beginning when `nameSha1` is set. */
  readonly name: Buffer;
  /** SHA-1 of the whole name, when `name` is only its beginning. */
  readonly nameSha1?: string | undefined;
  readonly db: number;
  /** The node (or file) the RDB came from. */
  readonly node: string;
  /** Cluster: the primary of the key's shard. */
  readonly shard?: string | undefined;
  /** string, list, set, zset, hash, stream, pathhash, or a module type's name. */
  readonly type: string;
  /** A module type: beyond MAX_MODULE_TYPES of them, counted under 'module'. */
  readonly module: boolean;
  /** Bytes of the key in the RDB (RdbKey.rdbBytes). */
  readonly bytes: number;
  readonly numOfElem: number;
}

interface KeptKey extends KeptName {
  readonly db: number;
  readonly node: string;
  readonly shard: string | undefined;
  readonly type: string;
  readonly bytes: number;
  readonly numOfElem: number;
}

interface TypeState {
  /** The type the keys count under (a module type past MAX_MODULE_TYPES: 'module'). */
  readonly type: string;
  num: number;
  bytes: number;
  readonly top: TopK<KeptKey>;
  readonly prefixes: SpaceSaving<string>;
}

/** What the builder holds now, to check its bounds. */
export interface OfflineRetained {
  readonly types: number;
  readonly keys: number;
  readonly prefixCounters: number;
}

/** Largest first; ties by db, node and name (bytes, then hash): the same report whatever the order of the keys. */
function larger(a: { bytes: number; db: number; node: string }, name: KeptName, b: KeptKey): boolean {
  if (a.bytes !== b.bytes) return a.bytes > b.bytes;
  if (a.db !== b.db) return a.db < b.db;
  if (a.node !== b.node) return a.node < b.node;
  return compareKept(name, b) < 0;
}

function checked(value: number, limit: Limit, what: string): number {
  if (!Number.isInteger(value) || value < limit.min || value > limit.max) throw new RangeError(`${what} must be a whole number from ${limit.min} to ${limit.max}, got ${value}`);
  return value;
}

/** The settings with their defaults (OFFLINE_LIMITS); RangeError for a value outside its limits. */
export function offlineSettings(given: Partial<OfflineSettings> = {}): OfflineSettings {
  return {
    topKeys: checked(given.topKeys ?? OFFLINE_LIMITS.topKeys.default, OFFLINE_LIMITS.topKeys, 'topKeys'),
    topPrefixes: checked(given.topPrefixes ?? OFFLINE_LIMITS.topPrefixes.default, OFFLINE_LIMITS.topPrefixes, 'topPrefixes'),
  };
}

export class OfflineReportBuilder {
  private readonly types = new Map<string, TypeState>();
  private readonly delimiterBytes: Set<number>;
  private readonly topKeys: number;
  private readonly topPrefixes: number;
  private readonly counters: number;
  private moduleTypes = 0;
  private totalBytes = 0;
  private totalNum = 0;

  /** Throws RangeError for settings outside OFFLINE_LIMITS. */
  constructor(
    settings: OfflineSettings,
    private readonly prefix: PrefixSettings,
  ) {
    ({ topKeys: this.topKeys, topPrefixes: this.topPrefixes } = offlineSettings(settings));
    this.counters = prefixCounters(this.topPrefixes);
    this.delimiterBytes = new Set([...prefix.delimiters].map((c) => c.charCodeAt(0)));
  }

  /** One key; its name may be a view of the parser's buffer (copied only if kept). */
  add(key: OfflineKey): void {
    const state = this.stateOf(key);
    this.totalNum += 1;
    this.totalBytes += key.bytes;
    state.num += 1;
    state.bytes += key.bytes;
    // Most keys are smaller than the smallest kept: compared before anything is copied or hashed.
    const worst = state.top.worstKept();
    if (worst === undefined || key.bytes >= worst.bytes) {
      const view: KeptName = key.nameSha1 === undefined ? keptView(key.name) : { name: key.name, nameSha1: key.nameSha1 };
      if (worst === undefined || larger(key, view, worst)) {
        const name = keepView(view);
        state.top.offer({ ...name, db: key.db, node: key.node, shard: key.shard, type: state.type, bytes: key.bytes, numOfElem: key.numOfElem });
      }
    }
    state.prefixes.offer(prefixOf(key.name, this.delimiterBytes, this.prefix.depth).toString('latin1'), key.bytes);
  }

  result(): OfflineReport {
    const types = [...this.types.keys()].sort(compareTypes);
    const states = types.map((type) => [type, this.types.get(type) as TypeState] as const);
    return {
      largestKeyPrefixes: states.flatMap(([type, state]) => this.prefixesOf(type, state)),
      largestKeys: states.flatMap(([, state]) => state.top.sorted().map(reportedKey)),
      totalBytes: this.totalBytes,
      totalNum: this.totalNum,
      typeBytes: states.map(([type, state]) => ({ type, bytes: state.bytes })),
      typeNum: states.map(([type, state]) => ({ type, num: state.num })),
    };
  }

  /** How much is held: types, kept keys, namespace counters. */
  retained(): OfflineRetained {
    let keys = 0;
    let prefixes = 0;
    for (const state of this.types.values()) {
      keys += state.top.size;
      prefixes += state.prefixes.top(this.counters).length;
    }
    return { types: this.types.size, keys, prefixCounters: prefixes };
  }

  private prefixesOf(type: string, state: TypeState): OfflinePrefix[] {
    return state.prefixes
      .top(this.counters)
      .sort((a, b) => b.weight - a.weight || b.count - a.count || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))
      .slice(0, this.topPrefixes)
      .map(({ key, weight, count, error }) => {
        const display = displayKeyName(Buffer.from(key, 'latin1'));
        return {
          keyPrefix: display.name,
          ...(display.base64 === undefined ? {} : { keyPrefixBase64: display.base64 }),
          type,
          bytes: weight,
          num: count,
          ...(error > 0 ? { errorBytes: error } : {}),
        };
      });
  }

  private stateOf(key: OfflineKey): TypeState {
    let type = key.type;
    let state = this.types.get(type);
    if (state !== undefined) return state;
    if (key.module) {
      // A hostile RDB may name a new module type per key: past MAX_MODULE_TYPES they share one.
      if (this.moduleTypes >= MAX_MODULE_TYPES) {
        type = 'module';
        state = this.types.get(type);
        if (state !== undefined) return state;
      } else {
        this.moduleTypes += 1;
      }
    }
    state = { type, num: 0, bytes: 0, top: new TopK<KeptKey>(this.topKeys, (a, b) => larger(a, a, b)), prefixes: new SpaceSaving<string>(this.counters) };
    this.types.set(type, state);
    return state;
  }
}

function reportedKey(key: KeptKey): OfflineLargestKey {
  return {
    ...reportedName(key),
    type: key.type,
    bytes: key.bytes,
    numOfElem: key.numOfElem,
    db: key.db,
    ...(key.shard === undefined ? {} : { shard: key.shard }),
  };
}
