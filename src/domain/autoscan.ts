/** Automatic analysis settings of one instance (DCS autoscan), one per kind of analysis. */
import type { TaskKind } from './task-status.js';
import type { TaskOptions } from './task.js';

export interface AutoscanConfig {
  readonly instanceId: string;
  /** Which analysis the schedule runs; 'hot' when absent. */
  readonly kind?: TaskKind;
  readonly enableAutoScan: boolean;
  /** Daily UTC times, "HH:mm", sorted, unique (daily kinds; [] for an interval schedule). */
  readonly scheduleAt: readonly string[];
  readonly updatedAt: string | null;
  /** What each run's task is given, as a manual task's body would (a daily snapshot analysis); null: the service's defaults. */
  readonly options?: TaskOptions | null;
  /** An interval schedule (the expired key scan's). */
  readonly interval?: IntervalSchedule | null;
}

/** DCS's expired key autoscan-config, in seconds as its API has them. */
export interface IntervalSchedule {
  /** The first run, ISO 8601 UTC. */
  readonly firstScanAt: string;
  /** Seconds between runs; 0: the first run only. */
  readonly interval: number;
  /** A run still going after this many seconds fails. */
  readonly timeout: number;
  /** SCAN COUNT of each run. */
  readonly scanKeysCount: number;
}

/**
 * The latest run of an interval schedule at or before `now`: firstScanAt + k x interval; null
 * before the first run (and after it, for an interval of 0, the first run itself).
 */
export function latestIntervalRun(schedule: IntervalSchedule, now: Date): Date | null {
  const first = Date.parse(schedule.firstScanAt);
  if (!Number.isFinite(first) || now.getTime() < first) return null;
  if (schedule.interval <= 0) return new Date(first);
  const k = Math.floor((now.getTime() - first) / (schedule.interval * 1000));
  return new Date(first + k * schedule.interval * 1000);
}

/** DCS schedules are UTC "HH:mm", 00:00 to 23:59. The service and the CLI check times with the same rule. */
export const SCHEDULE_TIME = /^([01]\d|2[0-3]):[0-5]\d$/;
export const MAX_SCHEDULE_TIMES = 24;
