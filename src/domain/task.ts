import type { AnalysisStrategy } from './snapshot.js';
import type { AnalysisStats, HotKey } from './hot-key.js';
import type { Insights } from './insights.js';
import type { BigKeyResult } from './big-key.js';
import type { ScanType, TaskKind, TaskStatus } from './task-status.js';

export interface Task {
  readonly id: string;
  readonly projectId: string;
  readonly instanceId: string;
  /** Hot key (LFU) or big key analysis. */
  readonly kind: TaskKind;
  readonly status: TaskStatus;
  readonly scanType: ScanType;
  readonly createdAt: string;
  readonly startedAt: string | null;
  readonly finishedAt: string | null;
  /** Hot key tasks: null until the task succeeds (and always null for big key tasks). */
  readonly keys: readonly HotKey[] | null;
  /** Big key tasks: the result, null until the task succeeds. */
  readonly bigResult: BigKeyResult | null;
  readonly stats: AnalysisStats | null;
  /** What the result means (LFU settings, heat by namespace and shard, trend, advice); null until success. */
  readonly insights: Insights | null;
  /** Why a failed task failed. */
  readonly errorMsg: string | null;
  /** Per-node scan progress while running; null otherwise. */
  readonly progress: TaskProgress | null;
  /** Pacing asked for at creation; null = the service's defaults. */
  readonly options: TaskOptions | null;
  /** How many times a runner has started this task (a crash mid-scan makes it start again). */
  readonly attempts: number;
}

/** Wire timestamps look like 2020-06-15T02:21:18.669Z: UTC, milliseconds, always. */
export function wireTime(date: Date): string {
  return date.toISOString();
}

export interface NodeProgress {
  /** `ip:port` of the node being scanned. */
  readonly node: string;
  readonly scannedKeys: number;
  /** Keys the node held when its scan started (DBSIZE); SCAN may see a few more or fewer. */
  readonly expectedKeys: number;
}

export interface TaskProgress {
  readonly nodes: readonly NodeProgress[];
}

/** Per-task overrides of the analysis pacing (meanings and ranges: domain/limits.ts). */
export interface TaskOptions {
  /** Big key tasks: what makes a key big, and how many per type (domain/big-key.ts). */
  readonly stringBytes?: number;
  readonly collectionCount?: number;
  readonly perType?: number;
  /** Big key tasks: MEMORY USAGE of every key. */
  readonly memoryUsage?: boolean;
  readonly maxCpuShare?: number;
  readonly idleCpuShare?: number;
  readonly maxBlockUs?: number;
  readonly batchSize?: number;
  readonly busyBatchSize?: number;
  readonly rateLimit?: number;
  /** Seconds of a sampling phase before the scan (domain/sampling.ts); absent = none. */
  readonly sampleSeconds?: number;
  /** Whether the sampling phase also watches replicas (reads they serve are traffic too). */
  readonly sampleReplicas?: boolean;
  /** How the keyspace is read: 'scan' (the default) or 'snapshot' (domain/snapshot.ts). */
  readonly strategy?: AnalysisStrategy;
  /** Snapshots from a replica of each shard (hot keys: its own counters). */
  readonly snapshotReplicas?: boolean;
}

/** Each task option's name on the wire (the POST body, the task's `options`). */
export const TASK_OPTION_WIRE_NAMES = {
  maxCpuShare: 'max_cpu_share',
  idleCpuShare: 'idle_cpu_share',
  maxBlockUs: 'max_block_us',
  batchSize: 'batch_size',
  busyBatchSize: 'busy_batch_size',
  rateLimit: 'rate_limit',
  sampleSeconds: 'sample_seconds',
  sampleReplicas: 'sample_replicas',
  stringBytes: 'string_bytes',
  collectionCount: 'collection_count',
  perType: 'per_type',
  memoryUsage: 'memory_usage',
  strategy: 'strategy',
  snapshotReplicas: 'snapshot_replicas',
} as const satisfies Record<keyof TaskOptions, string>;

/** The options that are set, in camelCase; null when none is (the service's defaults). */
export function definedOptions(options: TaskOptions | null): TaskOptions | null {
  if (options === null) return null;
  const set = Object.entries(options).filter(([, value]) => value !== undefined);
  return set.length === 0 ? null : (Object.fromEntries(set) as TaskOptions);
}

/** A task to record (create, or an autoscan slot). */
export interface NewTask {
  readonly id: string;
  readonly projectId: string;
  readonly instanceId: string;
  /** 'hot' when absent. */
  readonly kind?: TaskKind;
  readonly scanType: ScanType;
  readonly createdAt: string;
  readonly options?: TaskOptions | null;
}

export interface TaskPage {
  /** All tasks matching the filter, not only this page. */
  readonly count: number;
  readonly records: readonly Task[];
}

/** What a successful hot key analysis leaves in its task. */
export interface AnalysisOutcome {
  readonly kind?: 'hot';
  readonly keys: readonly HotKey[];
  readonly stats: AnalysisStats;
  /** Absent in tasks finished before keyheat read results (docs/reading-results.md). */
  readonly insights?: Insights;
}

/** What a successful big key analysis leaves in its task. */
export interface BigKeyOutcome {
  readonly kind: 'big';
  readonly result: BigKeyResult;
}

export type TaskOutcome = AnalysisOutcome | BigKeyOutcome;

/** Another task of the instance (and kind) is already waiting or running. */
export class TaskActiveConflict extends Error {
  constructor(
    readonly instanceId: string,
    readonly kind: TaskKind = 'hot',
  ) {
    super(`a ${kind} key task of instance ${instanceId} is already waiting or running`);
    this.name = 'TaskActiveConflict';
  }
}
