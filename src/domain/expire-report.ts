/**
 * What an expired key scan reports (DCS's scan-expire-keys task): how many expired keys the scan
 * made the primaries reclaim (`num`), per node, and what the TTLs of the keys it visited look
 * like. Plain data, JSON-serialisable; the wire mapper turns it into DCS's snake_case.
 */
import type { InstanceMode } from './instance.js';

/** Keys by remaining time to live, as PTTL answered while the key was visited. */
export interface TtlHistogram {
  /** Under a minute (0 to 59 999 ms). */
  readonly under1m: number;
  /** A minute or more, under an hour. */
  readonly under1h: number;
  /** An hour or more, under a day. */
  readonly under1d: number;
  /** A day or more, under seven days. */
  readonly under7d: number;
  /** Seven days or more. */
  readonly longer: number;
  /** No expiry (PTTL -1). */
  readonly none: number;
}

/** The histogram's buckets in order, with their upper bound in milliseconds (exclusive); `longer` and `none` have none. */
export const TTL_BUCKETS: readonly { readonly bucket: keyof TtlHistogram; readonly belowMs: number }[] = Object.freeze([
  { bucket: 'under1m', belowMs: 60_000 },
  { bucket: 'under1h', belowMs: 3_600_000 },
  { bucket: 'under1d', belowMs: 86_400_000 },
  { bucket: 'under7d', belowMs: 7 * 86_400_000 },
]);

export interface TtlCounts {
  /** Keys visited that still existed when PTTL read them: withExpiry + withoutExpiry. */
  readonly keys: number;
  readonly withExpiry: number;
  readonly withoutExpiry: number;
  readonly histogram: TtlHistogram;
}

export interface ExpireNode {
  /** `ip:port` of the primary scanned. */
  readonly node: string;
  /** Cluster: the primary's address, which names its shard. */
  readonly shard?: string;
  /** Keys SCAN returned on this node (the expired ones it reclaimed are not returned). */
  readonly scannedKeys: number;
  /** INFO stats expired_keys when the node's scan started, and when it ended. */
  readonly expiredBefore: number;
  readonly expiredAfter: number;
  /**
   * expiredAfter - expiredBefore (plus what the re-reading of moved slots reclaimed on a
   * resharding cluster): the keys the node reclaimed while it was scanned. This includes the
   * server's own active expiry during the scan, which cannot be told apart; 0 if the counters
   * were reset (CONFIG RESETSTAT) meanwhile.
   */
  readonly reclaimed: number;
  /** What the scan cost the node (engine/traffic-monitor.ts); null where INFO commandstats is refused. */
  readonly longestBlockUs: number | null;
  readonly cpuShare: number | null;
  /** Whether the node served other clients during its scan (the busy budgets applied then). */
  readonly trafficSeen: boolean;
}

export interface TtlNamespace extends TtlCounts {
  /** The namespace, escaped as redis-cli shows names (analysis/key-name.ts). */
  readonly prefix: string;
  /** The namespace's bytes in base64 when they are not printable text. */
  readonly prefixBase64?: string;
  /**
   * Keys of the namespace possibly not counted (Space-Saving: it entered the summary after
   * others were dropped): the true count is between `keys` and `keys + error`; 0 is exact.
   */
  readonly error: number;
}

export interface TtlReport {
  readonly totals: TtlCounts;
  /** Every database with keys visited, by number (a cluster has only db 0). */
  readonly databases: readonly ({ readonly db: number } & TtlCounts)[];
  /** The namespaces with the most keys, most first (at most NAMESPACES_REPORTED). */
  readonly namespaces: readonly TtlNamespace[];
}

export interface ExpireScanResult {
  readonly mode: InstanceMode;
  /** Expired keys reclaimed, summed over the primaries: DCS's `num`. */
  readonly num: number;
  /** Keys SCAN returned, over every primary. */
  readonly scannedKeys: number;
  /** Keys SCAN returned that were gone when PTTL read them (expired or deleted meanwhile): not in the histograms. */
  readonly vanishedKeys: number;
  readonly durationMs: number;
  /** The SCAN COUNT used (DCS's scan_keys_count): no page was larger. */
  readonly scanKeysCount: number;
  /** Every primary scanned (a failed-over primary is replaced by the node that took over). */
  readonly nodes: readonly ExpireNode[];
  readonly ttl: TtlReport;
  /** Set when the stored result was over retention.max_result_bytes: what was left out. */
  readonly trimmed?: string;
}

/** Namespaces reported, by key count. */
export const NAMESPACES_REPORTED = 20;
