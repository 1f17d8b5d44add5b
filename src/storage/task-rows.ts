/** Row <-> domain mapping of hot key tasks, shared by the records and the queue. */
import type { Selectable } from 'kysely';
import { isScanType, isTaskKind, isTaskStatus, type TaskKind } from '../domain/task-status.js';
import type { AnalysisOutcome, Task, TaskOptions, TaskOutcome, TaskProgress } from '../domain/task.js';
import type { HotkeyTasksTable } from './schema.js';

export type TaskRow = Selectable<HotkeyTasksTable>;

/** A row as read: its result only when within the bound, and the result's size in the database. */
export type BoundedTaskRow = Omit<TaskRow, 'findings_json'> & { readonly result_bytes?: number | string | null };

/**
 * A row as a task. A result the read left in the database (over `maxResultBytes`: stored by an
 * older keyheat, or before the bound was lowered) reads as none, with the reason in errorMsg.
 */
export function toTask(row: BoundedTaskRow, maxResultBytes = Number.POSITIVE_INFINITY): Task {
  if (!isTaskStatus(row.status) || !isScanType(row.scan_type) || !isTaskKind(row.kind)) {
    throw new Error(`task ${row.id} has an unknown status, scan type or kind in the database`);
  }
  const storedBytes = row.result_bytes === undefined || row.result_bytes === null ? 0 : Number(row.result_bytes);
  const leftOut = row.result_json === null && storedBytes > maxResultBytes;
  const fields = {
    id: row.id,
    projectId: row.project_id,
    instanceId: row.instance_id,
    status: row.status,
    scanType: row.scan_type,
    createdAt: row.created_at,
    startedAt: row.started_at,
    finishedAt: row.finished_at,
    errorMsg: leftOut
      ? `the stored result is ${storedBytes} bytes, more than retention.max_result_bytes (${maxResultBytes}): it was not loaded; raise the bound to read it`
      : row.error_msg,
    progress: row.status === 'running' && row.progress_json !== null ? (JSON.parse(row.progress_json) as TaskProgress) : null,
    attempts: row.attempts,
    num: Number(row.num),
    options: row.options_json === null ? null : (JSON.parse(row.options_json) as TaskOptions),
  };
  const outcome = row.result_json === null ? null : (JSON.parse(row.result_json) as TaskOutcome);
  return withResult(row.kind, fields, outcome);
}

/** The task of a kind with its stored outcome as its result (a hot key outcome is stored without its kind, as before kinds). */
function withResult(kind: TaskKind, fields: Omit<Task, 'kind' | 'result'>, outcome: TaskOutcome | null): Task {
  switch (kind) {
    case 'hot': {
      const hot = outcome === null || outcome.kind !== undefined && outcome.kind !== 'hot' ? null : (outcome as AnalysisOutcome);
      return { ...fields, kind, result: hot === null ? null : { keys: hot.keys, stats: hot.stats, insights: hot.insights ?? null } };
    }
    case 'big':
      return { ...fields, kind, result: outcome?.kind === 'big' ? outcome.result : null };
    case 'expire':
      return { ...fields, kind, result: outcome?.kind === 'expire' ? outcome.result : null };
    case 'offline':
      return { ...fields, kind, result: outcome?.kind === 'offline' ? outcome.result : null };
  }
}
