/**
 * The snapshot strategy (engine/snapshot-analysis.ts): instead of a paced SCAN, each node read
 * forks once and sends its RDB, which keyheat parses as it arrives; or a saved RDB file is read.
 * What it cost each node is reported next to the result.
 */

/** How an analysis reads the keyspace: a paced SCAN (the default) or one RDB per node. */
export type AnalysisStrategy = 'scan' | 'snapshot';

/** One RDB read: a node's live snapshot, or a saved file. */
export interface SnapshotNode {
  /** `ip:port` of the node read, or the file's path. */
  readonly node: string;
  readonly role: 'primary' | 'replica' | 'file';
  /** Cluster: the primary of the node's shard. */
  readonly shard?: string;
  /** Bytes of the RDB, as sent (compressed values stay compressed). */
  readonly rdbBytes: number;
  readonly rdbVersion: number;
  /** Keys in the RDB, expired ones included. */
  readonly keys: number;
  /** Keys already expired when the snapshot was read (left out, like SCAN leaves them out). */
  readonly expiredKeys: number;
  /** Keys of module types (counted, sized by their bytes in the RDB). */
  readonly moduleKeys: number;
  /** How long the node's main thread was blocked by the fork (INFO latest_fork_usec); null for a file, or when the node did not say. */
  readonly forkUsec: number | null;
  /** Memory the fork's copy-on-write duplicated (INFO rdb_last_cow_size); null when unknown. */
  readonly cowBytes: number | null;
  /** A primary without a replication backlog created one for the SYNC: its size (repl-backlog-size), kept for repl-backlog-ttl; else null. */
  readonly backlogBytes: number | null;
  /** 'rdb-only': REPLCONF rdb-only (Redis 7.0+); 'sync': plain SYNC, closed after the RDB; 'file'. */
  readonly protocol: 'rdb-only' | 'sync' | 'file';
  /** From SYNC to the RDB's first byte (the fork, repl-diskless-sync-delay), ms. */
  readonly waitMs: number;
  /** From the RDB's first byte to its last, ms. */
  readonly transferMs: number;
  /** Why the primary was read although snapshot_replicas was asked, or null. */
  readonly replicaSkipped: string | null;
}

export interface SnapshotReport {
  readonly source: 'live' | 'file';
  readonly nodes: readonly SnapshotNode[];
}
