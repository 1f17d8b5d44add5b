/** Row <-> domain mapping of hot key tasks, shared by the records and the queue. */
import type { Selectable } from 'kysely';
import { isScanType, isTaskStatus } from '../domain/task-status.js';
import type { AnalysisOutcome, Task, TaskOptions, TaskProgress } from '../domain/task.js';
import type { HotkeyTasksTable } from './schema.js';

export type TaskRow = Selectable<HotkeyTasksTable>;

export function toTask(row: TaskRow): Task {
  if (!isTaskStatus(row.status) || !isScanType(row.scan_type)) {
    throw new Error(`task ${row.id} has an unknown status or scan type in the database`);
  }
  const result = row.result_json === null ? null : (JSON.parse(row.result_json) as AnalysisOutcome);
  return {
    id: row.id,
    projectId: row.project_id,
    instanceId: row.instance_id,
    status: row.status,
    scanType: row.scan_type,
    createdAt: row.created_at,
    startedAt: row.started_at,
    finishedAt: row.finished_at,
    keys: result?.keys ?? null,
    stats: result?.stats ?? null,
    insights: result?.insights ?? null,
    errorMsg: row.error_msg,
    progress: row.status === 'running' && row.progress_json !== null ? (JSON.parse(row.progress_json) as TaskProgress) : null,
    attempts: row.attempts,
    options: row.options_json === null ? null : (JSON.parse(row.options_json) as TaskOptions),
  };
}
