/**
 * What a finished analysis says beyond the hot key list (docs/reading-results.md): the nodes'
 * LFU settings, where the heat is (namespaces, shards or databases), what changed since the
 * previous analysis, and advice for an operator. All additions to DCS's task body.
 */
import type { ReportedName } from './reported-name.js';
import type { Sampling } from './sampling.js';
import type { SnapshotReport } from './snapshot.js';

/** One node's LFU settings (lfu-log-factor, lfu-decay-time), read with CONFIG GET or assumed. */
export interface LfuReport {
  /** `ip:port`; present in the per-node list when the nodes' settings differ. */
  readonly node?: string;
  readonly logFactor: number;
  readonly decayTime: number;
  readonly source: 'config' | 'assumed';
  /** The rate a counter at 255 stands for; null where counters hold no rate. */
  readonly ceilingQps: number | null;
}

/** Heat of a group of keys: est_qps where the counters hold rates, else est_accesses. */
export interface Heat {
  readonly estQps: number | null;
  readonly estAccesses: number | null;
  /** This group's part of the analysis's whole heat, 0-1. */
  readonly share: number;
}

export interface PrefixHeat extends Heat {
  /** The key names up to the configured delimiter ('' for names without one); escaped like key names. */
  readonly prefix: string;
  readonly prefixBase64?: string;
  /** Warm keys (counter above 5) in it. */
  readonly keys: number;
}

/** A shard (cluster) or a database (standalone). */
export interface GroupHeat extends Heat {
  readonly shard?: string;
  readonly db?: number;
  readonly scannedKeys: number;
  /** Keys with a counter above 5. */
  readonly warmKeys: number;
}

export interface GoneKey extends ReportedName {
  readonly db: number;
  readonly freq: number;
}

export interface Trend {
  /** The previous successful task of the instance. */
  readonly comparedWith: string;
  /** Names in this task's keys that were not in the previous one's. */
  readonly new: readonly string[];
  /** Keys of the previous task's list that are not in this one's. */
  readonly gone: readonly GoneKey[];
}

export interface Advice {
  /** Stable: saturated-keys, no-warm-keys, shard-imbalance, namespace-dominates, no-rates, lfu-assumed. */
  readonly code: string;
  readonly message: string;
}

export interface Insights {
  readonly lfu: readonly LfuReport[];
  /** Present when the task asked for a sampling phase (domain/sampling.ts). */
  readonly sampling?: Sampling;
  /** Present when the task read snapshots (strategy "snapshot"): each RDB and what it cost its node. */
  readonly snapshot?: SnapshotReport;
  readonly prefixes: readonly PrefixHeat[];
  readonly shards?: readonly GroupHeat[];
  readonly databases?: readonly GroupHeat[];
  /** Null when there is nothing to compare with (the first task, keyheat scan). */
  readonly trend: Trend | null;
  readonly advice: readonly Advice[];
}
