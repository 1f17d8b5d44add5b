/**
 * DCS's offline key analysis of one node's RDB (a fresh snapshot of that node, or a saved file):
 * per type the keys and the namespaces taking the most bytes of the RDB, and per type totals.
 * Built by analysis/offline-report.ts, run by engine/offline-analysis.ts. JSON-serialisable:
 * names are reported as every result reports them (reported-name.ts).
 *
 * `bytes` is everywhere what a key takes in the RDB (RdbKey.rdbBytes: its type byte, its name
 * and its serialized value; not the expiry, FREQ or IDLE opcodes before it): compact encodings
 * and LZF compression stay as the server wrote them, so it is a lower bound of the key's memory,
 * not MEMORY USAGE.
 *
 * Keys already expired when the RDB is read (on the node's clock for a live snapshot; for a
 * file, at the time of the analysis) are left out, as SCAN leaves them out; SnapshotNode
 * counts them (expiredKeys).
 */
import type { HotKey } from './hot-key.js';
import type { Insights } from './insights.js';
import type { InstanceMode } from './instance.js';
import { OFFLINE_LIMITS } from './limits.js';
import type { ReportedName } from './reported-name.js';
import type { SnapshotReport } from './snapshot.js';

/** How much of an offline report is kept and reported (ranges and defaults: OFFLINE_LIMITS in limits.ts). */
export interface OfflineSettings {
  /** Largest keys per type (OFFLINE_LIMITS.topKeys). */
  readonly topKeys: number;
  /** Largest prefixes per type (OFFLINE_LIMITS.topPrefixes). */
  readonly topPrefixes: number;
}

export const OFFLINE_DEFAULTS: OfflineSettings = Object.freeze({ topKeys: OFFLINE_LIMITS.topKeys.default, topPrefixes: OFFLINE_LIMITS.topPrefixes.default });

/** One of the largest keys of its type (DCS `largest_keys`). */
export interface OfflineLargestKey extends ReportedName {
  /** string, list, set, zset, hash, stream, or a module type's name. */
  readonly type: string;
  /** Bytes of the key in the RDB. */
  readonly bytes: number;
  /**
   * Elements of a collection (LLEN, SCARD, ZCARD, HLEN; entries for a stream). A string counts
   * 1, as one value (its length is not an element count), and so does a module value, whose
   * elements the RDB does not say.
   */
  readonly numOfElem: number;
  readonly db: number;
  /** Cluster: the primary of the key's shard. */
  readonly shard?: string;
}

/** One of the largest namespaces of a type (DCS `largest_key_prefixes`). */
export interface OfflinePrefix {
  /**
   * The key names up to the configured delimiter and depth (analysis/heat-summary.ts prefixOf),
   * '' for names without a delimiter; escaped like key names when not UTF-8.
   */
  readonly keyPrefix: string;
  readonly keyPrefixBase64?: string;
  readonly type: string;
  /** Bytes in the RDB of its keys of this type. */
  readonly bytes: number;
  /** Its keys of this type. */
  readonly num: number;
  /**
   * Present when the namespace's counter was taken over from another (more namespaces than
   * counters, Space-Saving): `bytes` and `num` may then be overestimated, by at most this many
   * bytes; `bytes - errorBytes` is a lower bound. Absent: both are exact.
   */
  readonly errorBytes?: number;
}

export interface OfflineTypeBytes {
  readonly type: string;
  readonly bytes: number;
}

export interface OfflineTypeNum {
  readonly type: string;
  readonly num: number;
}

/** DCS's offline key analysis report, in keyheat's words (camelCase). */
export interface OfflineReport {
  /** Per type in canonical order (string, list, set, zset, hash, stream, then others by name), the largest first. */
  readonly largestKeyPrefixes: readonly OfflinePrefix[];
  /** Per type in canonical order, the largest first. */
  readonly largestKeys: readonly OfflineLargestKey[];
  /** Bytes in the RDB of every key counted. */
  readonly totalBytes: number;
  /** Keys counted (not expired). */
  readonly totalNum: number;
  readonly typeBytes: readonly OfflineTypeBytes[];
  readonly typeNum: readonly OfflineTypeNum[];
}

/** The hot keys of the same pass, where the RDB carries LFU counters (FREQ). */
export interface OfflineHot {
  readonly keys: readonly HotKey[];
  readonly insights: Insights;
}

/** One node of a deployment, as an offline analysis names it (the API's `.../nodes`). */
export interface DeploymentNode {
  /** `ip:port`, as the deployment announces it: what analyzeOfflineNode is given. */
  readonly id: string;
  readonly name: string;
  /** The shard: a cluster's primary address, else 'single'. */
  readonly groupName: string;
  readonly role: 'master' | 'slave';
}

/** An offline key analysis: the report, the hot keys of the same pass, and what the RDB cost. */
export interface OfflineAnalysis {
  readonly report: OfflineReport;
  /** null where the RDB had no LFU counters: `hotSkipped` says why. */
  readonly hot: OfflineHot | null;
  readonly hotSkipped: string | null;
  /** The RDB read: bytes, version, expired keys, and for a live snapshot what the fork cost. */
  readonly snapshot: SnapshotReport;
  /** `ip:port` of the node read, or the file's path. */
  readonly node: string;
  /** The node's role in its deployment; null for a file. */
  readonly nodeType: 'master' | 'slave' | null;
  /** The node's shard (DeploymentNode.groupName); null for a file. */
  readonly groupName: string | null;
  readonly mode: InstanceMode;
  readonly durationMs: number;
  /** Set when the stored result was over retention.max_result_bytes: what was left out. */
  readonly trimmed?: string;
}
