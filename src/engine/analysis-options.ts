/** Options of one analysis, with their defaults next to them (ranges: domain/limits.ts). */
import { ANALYSIS_LIMITS, PREFIX_DELIMITERS, SAMPLE_LIMITS, SNAPSHOT_LIMITS } from '../domain/limits.js';
import type { AnalysisStrategy } from '../domain/snapshot.js';
import { BIG_KEY_DEFAULTS, type BigKeyThresholds } from '../domain/big-key.js';
import type { NodeProgress } from '../domain/task.js';
import type { ForkSlots } from '../domain/fork-slots.js';
import { redisAccess, type RedisAccess } from '../redis/redis-access.js';
import { PROCESS_FORK_SLOTS } from './snapshot-fork.js';

export interface AnalysisOptions {
  /** Hot keys to report. */
  readonly topK: number;
  /** Share of a primary's main thread the scan may use while it serves other clients (analysis/pace-controller.ts). */
  readonly maxCpuShare: number;
  /** The same while the node serves nobody else. */
  readonly idleCpuShare: number;
  /** Longest stretch of work one page may cost a busy node, microseconds. */
  readonly maxBlockUs: number;
  /** Keys per SCAN page and per pipelined OBJECT FREQ batch while the node serves nobody else; the largest page. */
  readonly batchSize: number;
  /** > 0: keys per page while the node serves other clients, instead of the budgets' size; = batchSize disables adapting. */
  readonly busyBatchSize: number;
  /** Keys per second per primary; 0 = as fast as the node answers. */
  readonly rateLimit: number;
  /** Namespace delimiters: each character is one (analysis/heat-summary.ts). */
  readonly prefixDelimiters: string;
  /** A namespace is the name up to the depth-th delimiter (1-3). */
  readonly prefixDepth: number;
  /** Only keys matching this glob (SCAN MATCH); undefined = every key. */
  readonly pattern?: string | undefined;
  /** How long a cluster analysis waits for another node to take over a failed primary's slots. */
  readonly failoverWaitMs: number;
  /** Seconds of a sampling phase (MONITOR) before the scan; 0 = none (engine/sample-deployment.ts). */
  readonly sampleSeconds: number;
  /** The sampling phase also watches replicas. */
  readonly sampleReplicas: boolean;
  /** Heavy-hitter counters per node watched. */
  readonly sampleCounters: number;
  /** 'scan' (paced SCAN, the default) or 'snapshot': one RDB per node (engine/snapshot-analysis.ts). */
  readonly strategy: AnalysisStrategy;
  /** Snapshots from a replica of each shard where one is usable (its counters are its own). */
  readonly snapshotReplicas: boolean;
  /** A node may use at most this share of its free memory for a snapshot (redis/snapshot-preflight.ts); 0 = no check. */
  readonly snapshotMaxMemoryShare: number;
  /** A snapshot silent for this long fails (before its RDB: not even a keepalive; during it: no RDB byte). */
  readonly snapshotStallMs: number;
  /** A snapshot's RDB must begin this long after SYNC at the latest, keepalives or not. */
  readonly snapshotMaxWaitMs: number;
  /** A snapshot waits at most this long for its host's fork slot. */
  readonly snapshotMaxSlotWaitMs: number;
  /** The fork slots (one fork per host at a time): this process's own unless the store shares them across processes. */
  readonly forkSlots: ForkSlots;
  /** The whole analysis fails ('deadline') after this long, whatever the nodes do. */
  readonly maxDurationMs: number;
  /** Databases or shards one analysis reports at most; a server claiming more fails it ('limit'). */
  readonly maxGroups: number;
  /** Deadlines, reply limits, allowed networks, connection bounds. */
  readonly redis: RedisAccess;
  readonly signal?: AbortSignal | undefined;
  /** Called after every page with the progress of every node scanned so far. */
  readonly onProgress?: ((nodes: readonly NodeProgress[]) => void) | undefined;
}

export const ANALYSIS_DEFAULTS = Object.freeze({
  topK: ANALYSIS_LIMITS.topK.default,
  maxCpuShare: ANALYSIS_LIMITS.maxCpuShare.default,
  idleCpuShare: ANALYSIS_LIMITS.idleCpuShare.default,
  maxBlockUs: ANALYSIS_LIMITS.maxBlockUs.default,
  batchSize: ANALYSIS_LIMITS.batchSize.default,
  busyBatchSize: ANALYSIS_LIMITS.busyBatchSize.default,
  rateLimit: ANALYSIS_LIMITS.rateLimit.default,
  prefixDelimiters: PREFIX_DELIMITERS.default,
  prefixDepth: ANALYSIS_LIMITS.prefixDepth.default,
  failoverWaitMs: ANALYSIS_LIMITS.failoverWaitMs.default,
  maxDurationMs: ANALYSIS_LIMITS.maxDurationMs.default,
  maxGroups: ANALYSIS_LIMITS.maxGroups.default,
  sampleSeconds: 0,
  sampleReplicas: false,
  sampleCounters: SAMPLE_LIMITS.counters.default,
  strategy: 'scan',
  snapshotReplicas: false,
  snapshotMaxMemoryShare: SNAPSHOT_LIMITS.maxMemoryShare.default,
  snapshotStallMs: SNAPSHOT_LIMITS.stallTimeoutMs.default,
  snapshotMaxWaitMs: SNAPSHOT_LIMITS.maxWaitMs.default,
  snapshotMaxSlotWaitMs: SNAPSHOT_LIMITS.maxSlotWaitMs.default,
  forkSlots: PROCESS_FORK_SLOTS,
  redis: redisAccess(),
} satisfies Partial<AnalysisOptions>);

/** A big key analysis: the same pacing, budgets and limits, plus what makes a key big. */
export interface BigKeyAnalysisOptions extends AnalysisOptions {
  readonly thresholds: BigKeyThresholds;
  /** Read MEMORY USAGE of every key (totals and namespaces by memory); else only of the reported keys. */
  readonly memoryUsage: boolean;
  /** Scan a replica of each shard where one is reachable (DCS's behaviour); false = the primaries. */
  readonly preferReplicas: boolean;
}

export const BIG_KEY_ANALYSIS_DEFAULTS = Object.freeze({
  ...ANALYSIS_DEFAULTS,
  thresholds: BIG_KEY_DEFAULTS,
  memoryUsage: false,
  preferReplicas: true,
} satisfies Partial<BigKeyAnalysisOptions>);
