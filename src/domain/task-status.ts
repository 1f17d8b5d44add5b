/** Task lifecycle. The one transition table every status change is checked against. */
export const TASK_STATUSES = ['waiting', 'running', 'success', 'failed'] as const;
export type TaskStatus = (typeof TASK_STATUSES)[number];

/** The analyses of the DCS cache analysis family (domain/task-kinds.ts): hot keys (LFU), big keys (size), the expired key scan, offline key analysis of an RDB. */
export const TASK_KINDS = ['hot', 'big', 'expire', 'offline'] as const;
export type TaskKind = (typeof TASK_KINDS)[number];

export function isTaskKind(value: unknown): value is TaskKind {
  return typeof value === 'string' && (TASK_KINDS as readonly string[]).includes(value);
}

export const SCAN_TYPES = ['manual', 'auto'] as const;
export type ScanType = (typeof SCAN_TYPES)[number];

/** A task in one of these states blocks another task of the same instance, kind and scan type. */
export const ACTIVE_STATUSES: readonly TaskStatus[] = ['waiting', 'running'];

const TRANSITIONS: Readonly<Record<TaskStatus, readonly TaskStatus[]>> = {
  // waiting -> failed: the task could not even start (instance gone, too many attempts).
  waiting: ['running', 'failed'],
  // running -> waiting: a runner handed the task back (shutdown) or its lease ran out.
  running: ['success', 'failed', 'waiting'],
  success: [],
  failed: [],
};

export function canTransition(from: TaskStatus, to: TaskStatus): boolean {
  return TRANSITIONS[from].includes(to);
}

export function isTaskStatus(value: unknown): value is TaskStatus {
  return typeof value === 'string' && (TASK_STATUSES as readonly string[]).includes(value);
}

export function isScanType(value: unknown): value is ScanType {
  return typeof value === 'string' && (SCAN_TYPES as readonly string[]).includes(value);
}
