/**
 * What running a task of each kind means, a row per kind: which engine it runs, what that engine
 * takes of the task's options and of the service's settings, and what is stored of its result.
 * The runner (task-runner.ts) runs any task through its kind's row; a new kind is a row here
 * and its engine in Analyzers.
 */
import path from 'node:path';
import type { BigKeyResult } from '../domain/big-key.js';
import type { ExpireScanResult } from '../domain/expire-report.js';
import type { Instance, InstanceMode } from '../domain/instance.js';
import type { OfflineAnalysis } from '../domain/offline-report.js';
import type { AnalysisOutcome, Task, TaskOptions, TaskOutcome } from '../domain/task.js';
import type { TaskKind } from '../domain/task-status.js';
import type { AnalysisOptions, BigKeyAnalysisOptions } from '../engine/analysis-options.js';
import type { AnalysisResult, AnalysisTarget } from '../engine/analyze-deployment.js';
import type { ExpireScanOptions } from '../engine/expire-scan.js';
import type { OfflineAnalysisOptions } from '../engine/offline-analysis.js';

export type Analyze = (target: AnalysisTarget, options: Partial<AnalysisOptions>) => Promise<AnalysisResult>;
export type AnalyzeBig = (target: AnalysisTarget, options: Partial<BigKeyAnalysisOptions>) => Promise<BigKeyResult & { mode: InstanceMode }>;
export type AnalyzeExpire = (target: AnalysisTarget, options: Partial<ExpireScanOptions>) => Promise<ExpireScanResult>;
/** Offline key analysis: of a saved backup (`file`), or of a fresh RDB of one node. */
export type AnalyzeOffline = (source: { readonly target: AnalysisTarget; readonly node: string } | { readonly file: string }, options: Partial<OfflineAnalysisOptions>) => Promise<OfflineAnalysis>;

/** The engines the runner runs, one per kind of task. */
export interface Analyzers {
  readonly hot: Analyze;
  readonly big: AnalyzeBig;
  readonly expire: AnalyzeExpire;
  readonly offline: AnalyzeOffline;
}

/** What one kind's run left: the outcome to store, and what the log and metrics say of it. */
export interface Finished {
  readonly outcome: TaskOutcome;
  readonly scannedKeys: number;
  readonly durationMs: number;
}

/** What the rows need of the runner. */
export interface KindContext {
  readonly analyzers: Analyzers;
  /** What makes a key big, for big key tasks without their own (config bigkeys.*). */
  readonly bigKeys: Pick<BigKeyAnalysisOptions, 'thresholds' | 'memoryUsage' | 'preferReplicas'>;
  /** Where offline key analyses find saved backups: <backupDir>/<instance_id>/<backup_id>. */
  readonly backupDir: string;
  /** A hot key result compared with the instance's previous one (the trend), as stored. */
  withTrend(task: Task, result: AnalysisResult): Promise<AnalysisOutcome>;
}

/** The options every kind's engine gets: the service's analysis settings and the task's own, the signal, progress. */
export type CommonOptions = Partial<AnalysisOptions> & TaskOptions;

type TaskOf<K extends TaskKind> = Extract<Task, { readonly kind: K }>;
type KindRun<K extends TaskKind> = (task: TaskOf<K>, target: AnalysisTarget, common: CommonOptions, context: KindContext, instance: Instance) => Promise<Finished>;

const KIND_RUNS: { readonly [K in TaskKind]: KindRun<K> } = {
  hot: async (task, target, common, context) => {
    const result = await context.analyzers.hot(target, common);
    const outcome = await context.withTrend(task, result);
    return { outcome, scannedKeys: result.stats.scannedKeys, durationMs: result.stats.durationMs };
  },
  big: async (task, target, common, context) => {
    // Stored with its mode: a cluster's keys carry their shard.
    const result = await context.analyzers.big(target, { ...common, ...bigOptions(task.options, context.bigKeys) });
    return { outcome: { kind: 'big', result }, scannedKeys: result.stats.scannedKeys, durationMs: result.stats.durationMs };
  },
  expire: async (task, target, common, context) => {
    // A scheduled scan fails at its schedule's timeout (DCS's): keys already reclaimed stay reclaimed.
    const timeout = task.options?.timeoutSeconds;
    const result = await context.analyzers.expire(target, { ...common, ...(timeout === undefined ? {} : { maxDurationMs: timeout * 1000 }) });
    return { outcome: { kind: 'expire', result }, scannedKeys: result.scannedKeys, durationMs: result.durationMs };
  },
  offline: async (task, target, common, context, instance) => {
    const backup = task.options?.backupId;
    const source = backup === undefined ? { target, node: task.options?.nodeId ?? '' } : { file: backupPath(context.backupDir, instance.id, backup) };
    const result = await context.analyzers.offline(source, common);
    return { outcome: { kind: 'offline', result }, scannedKeys: result.report.totalNum, durationMs: result.durationMs };
  },
};

/** Runs the engine of the task's kind, with what the kind takes of the task's options. */
export function runKind(task: Task, instance: Instance, common: CommonOptions, context: KindContext): Promise<Finished> {
  const run = KIND_RUNS[task.kind] as KindRun<TaskKind>;
  return run(task, targetOf(instance), common, context, instance);
}

/** A big key task's thresholds: its own where it set them, else the service's. */
function bigOptions(options: TaskOptions | null, defaults: KindContext['bigKeys']): Pick<BigKeyAnalysisOptions, 'thresholds' | 'memoryUsage' | 'preferReplicas'> {
  return {
    thresholds: {
      stringBytes: options?.stringBytes ?? defaults.thresholds.stringBytes,
      collectionCount: options?.collectionCount ?? defaults.thresholds.collectionCount,
      perType: options?.perType ?? defaults.thresholds.perType,
    },
    memoryUsage: options?.memoryUsage ?? defaults.memoryUsage,
    preferReplicas: defaults.preferReplicas,
  };
}

/** A saved backup of an instance: <backupDir>/<instance_id>/<backup_id> (the id is a plain file name, checked at creation). */
export function backupPath(backupDir: string, instanceId: string, backupId: string): string {
  return path.join(backupDir, instanceId, backupId);
}

export function targetOf(instance: Instance): AnalysisTarget {
  return { endpoint: instance.endpoint };
}
