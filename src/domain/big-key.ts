/**
 * Big key analysis, in keyheat's words (the wire mapper turns it into DCS's BigkeysBody and
 * keyheat's additions). Like DCS, a key is big when a string is over `stringBytes` or a
 * collection holds over `collectionCount` elements; at most `perType` keys of each type are
 * reported, the biggest first.
 */
import type { SnapshotReport } from './snapshot.js';
import type { Advice } from './insights.js';
import { BIGKEY_LIMITS } from './limits.js';
import type { ReportedName } from './reported-name.js';

export interface BigKey extends ReportedName {
  /** string, list, set, zset, hash, stream, or a module type's name. */
  readonly type: string;
  readonly db: number;
  /** `ip:port` of the primary of the key's shard; only for cluster instances. */
  readonly shard?: string;
  /** Bytes (string, module types) or elements (collections). */
  readonly size: number;
  readonly unit: 'byte' | 'count';
  /** MEMORY USAGE of the key, bytes; absent where it was not measured. */
  readonly memoryBytes?: number;
  /** Seconds to live; -1 = no expiry. Absent on tasks that did not read it. */
  readonly ttl?: number;
  /** Seconds since the key was last accessed, where a snapshot's RDB carries it (LRU policies); absent otherwise. */
  readonly idleSeconds?: number;
  /** A hash's fields with a TTL of their own (HEXPIRE, Redis 7.4+, Valkey 9.0+), where a snapshot's RDB says. */
  readonly volatileFields?: number;
  /** Also in the instance's latest successful hot key task (set when a task is read, not stored). */
  readonly alsoHot?: boolean;
}

/** The thresholds and limits one analysis used. */
export interface BigKeyThresholds {
  /** A string (or module type value) is big above this many bytes. */
  readonly stringBytes: number;
  /** A collection is big above this many elements. */
  readonly collectionCount: number;
  /** Keys reported per type, the biggest first. */
  readonly perType: number;
}

/** Every key of one type that was scanned, big or not. */
export interface TypeTotal {
  readonly type: string;
  readonly keys: number;
  /** Sum of the keys' sizes, in `unit`. */
  readonly totalSize: number;
  readonly unit: 'byte' | 'count';
  /** Keys over the threshold (reported or not: only perType are). */
  readonly bigKeys: number;
  /** Sum of MEMORY USAGE, when every key was measured (memory_usage). */
  readonly memoryBytes?: number;
  /** The largest key of the type, big or not. */
  readonly largest: (ReportedName & { readonly db: number; readonly shard?: string; readonly size: number }) | null;
}

/** A namespace by size: keys named up to the delimiter, with their summed weight. */
export interface PrefixSize {
  readonly prefix: string;
  readonly prefixBase64?: string;
  readonly keys: number;
  /** Summed weight: MEMORY USAGE bytes when every key was measured, else `size` (bytes and elements mixed; see `by`). */
  readonly weight: number;
  /** This namespace's part of the whole weight, 0-1. */
  readonly share: number;
}

/** One node scanned. Like DCS, a replica where one exists, else the primary. */
export interface BigKeyNode {
  readonly node: string;
  readonly role: 'primary' | 'replica';
  /** Cluster: the primary of the shard the node serves. */
  readonly shard?: string;
  readonly scannedKeys: number;
  readonly expectedKeys: number;
  /** The node took CLIENT NO-TOUCH (Redis 7.2+): the scan left its LRU/LFU data alone. */
  readonly noTouch: boolean;
  /** The node has CLIENT NO-TOUCH but the ACL user may not run it (+client|no-touch). */
  readonly noTouchDenied?: boolean;
  readonly cpuShare: number | null;
  readonly longestBlockUs: number | null;
  readonly trafficSeen: boolean;
  /** Why the primary was scanned although it has replicas (none reachable, none in sync), or null. */
  readonly replicaSkipped: string | null;
}

export interface BigKeyStats {
  readonly scannedKeys: number;
  /** Keys deleted between SCAN and their TYPE or size: data, not an error. */
  readonly vanishedKeys: number;
  /** Keys whose type changed between TYPE and the size command; skipped. */
  readonly changedKeys: number;
  readonly durationMs: number;
  readonly nodes: readonly BigKeyNode[];
}

/** What a successful big key analysis leaves in its task. */
export interface BigKeyResult {
  readonly keys: readonly BigKey[];
  readonly stats: BigKeyStats;
  readonly thresholds: BigKeyThresholds;
  /** Every type seen, streams and module types included: string, list, set, zset, hash, stream, then the others by name. */
  readonly types: readonly TypeTotal[];
  /** Namespaces by size (memory when measured), biggest first. */
  readonly prefixes: readonly PrefixSize[];
  /** 'memory' when every key's MEMORY USAGE was read, else 'size'. */
  readonly prefixesBy: 'memory' | 'size';
  readonly advice: readonly Advice[];
  /** Present when the task read snapshots (strategy "snapshot"). */
  readonly snapshot?: SnapshotReport;
}

/** DCS's console definitions, and its limit of 20 keys per type (domain/limits.ts). */
export const BIG_KEY_DEFAULTS: BigKeyThresholds = Object.freeze({
  stringBytes: BIGKEY_LIMITS.stringBytes.default,
  collectionCount: BIGKEY_LIMITS.collectionCount.default,
  perType: BIGKEY_LIMITS.perType.default,
});
