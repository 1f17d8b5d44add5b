/** Daily automatic analysis settings of one instance (DCS autoscan), one per kind of analysis. */
import type { TaskKind } from './task-status.js';
export interface AutoscanConfig {
  readonly instanceId: string;
  /** Which analysis the schedule runs; 'hot' when absent. */
  readonly kind?: TaskKind;
  readonly enableAutoScan: boolean;
  /** Daily UTC times, "HH:mm", sorted, unique. */
  readonly scheduleAt: readonly string[];
  readonly updatedAt: string | null;
}

/** DCS schedules are UTC "HH:mm", 00:00 to 23:59. The service and the CLI check times with the same rule. */
export const SCHEDULE_TIME = /^([01]\d|2[0-3]):[0-5]\d$/;
export const MAX_SCHEDULE_TIMES = 24;
