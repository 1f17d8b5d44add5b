import type { AnalysisStrategy } from './snapshot.js';
import type { AnalysisStats, HotKey } from './hot-key.js';
import type { Insights } from './insights.js';
import type { BigKeyResult } from './big-key.js';
import type { ExpireScanResult } from './expire-report.js';
import type { OfflineAnalysis } from './offline-report.js';
import type { ScanType, TaskKind, TaskStatus } from './task-status.js';

interface TaskFields {
  readonly id: string;
  readonly projectId: string;
  readonly instanceId: string;
  readonly status: TaskStatus;
  readonly scanType: ScanType;
  readonly createdAt: string;
  readonly startedAt: string | null;
  readonly finishedAt: string | null;
  /** Why a failed task failed (or why its stored result was not loaded). */
  readonly errorMsg: string | null;
  /** Per-node scan progress while running; null otherwise. */
  readonly progress: TaskProgress | null;
  /** Options given at creation; null = the service's defaults. */
  readonly options: TaskOptions | null;
  /** How many times a runner has started this task (a crash mid-scan makes it start again). */
  readonly attempts: number;
  /** DCS's `num` as stored when the task succeeded (outcomeNum); 0 before. Read without loading the result. */
  readonly num: number;
}

/** What a successful hot key analysis found. */
export interface HotResult {
  readonly keys: readonly HotKey[];
  readonly stats: AnalysisStats;
  /** What the result means (LFU settings, heat by namespace and shard, trend, advice); null in tasks finished before keyheat read results. */
  readonly insights: Insights | null;
}

/** A task of each kind (domain/task-kinds.ts), its result typed by its kind; null until it succeeds. */
export type Task =
  | (TaskFields & { readonly kind: 'hot'; readonly result: HotResult | null })
  | (TaskFields & { readonly kind: 'big'; readonly result: BigKeyResult | null })
  | (TaskFields & { readonly kind: 'expire'; readonly result: ExpireScanResult | null })
  | (TaskFields & { readonly kind: 'offline'; readonly result: OfflineAnalysis | null });

/** The task of one kind. */
export type TaskOf<K extends TaskKind> = Extract<Task, { kind: K }>;

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
  /** Expired key scans: the SCAN COUNT (DCS's scan_keys_count). */
  readonly scanKeysCount?: number;
  /** Expired key scans run by the schedule: fail after this many seconds (DCS's autoscan timeout). */
  readonly timeoutSeconds?: number;
  /** Offline key analysis: the node whose RDB is read (`ip:port`), DCS's node_id. */
  readonly nodeId?: string;
  /** Offline key analysis of a saved backup: its file name under the instance's backup folder; absent = a fresh RDB of the node. */
  readonly backupId?: string;
  /** Offline key analysis: largest keys and largest prefixes reported per type. */
  readonly topKeys?: number;
  readonly topPrefixes?: number;
}

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
  /** The sum of their `num` (DCS's expired key histories report it as `total`). */
  readonly numTotal: number;
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

/** What a successful expired key scan leaves in its task. */
export interface ExpireOutcome {
  readonly kind: 'expire';
  readonly result: ExpireScanResult;
}

/** What a successful offline key analysis leaves in its task. */
export interface OfflineOutcome {
  readonly kind: 'offline';
  readonly result: OfflineAnalysis;
}

/** A finished analysis as stored (a hot key outcome has no kind: it was stored so before there were kinds). */
export type TaskOutcome = AnalysisOutcome | BigKeyOutcome | ExpireOutcome | OfflineOutcome;

/** DCS's `num` of a finished analysis: keys found (hot, big, offline's largest keys), or keys an expired key scan reclaimed. */
export function outcomeNum(outcome: TaskOutcome): number {
  switch (outcome.kind) {
    case 'big':
      return outcome.result.keys.length;
    case 'expire':
      return outcome.result.num;
    case 'offline':
      return outcome.result.report.largestKeys.length;
    default:
      return outcome.keys.length;
  }
}

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
