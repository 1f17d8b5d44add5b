/**
 * Where each task family lives in the API and the dashboard. The two families share the task
 * life (create, poll, list, delete, daily schedule) and differ only in paths, DCS spells them
 * singular for one task and plural for the list, as here.
 */
import type { Route } from './router';
import type { TaskKind } from './wire';

export interface KindPaths {
  /** POST to create, and with `/<id>` appended: GET and DELETE one task. */
  readonly task: string;
  /** GET: the list, newest first (offset, limit, status). */
  readonly tasks: string;
  /** GET and PUT: the daily schedule. */
  readonly autoscan: string;
}

export function kindPaths(kind: TaskKind, instanceId: string): KindPaths {
  const base = `/instances/${encodeURIComponent(instanceId)}`;
  const stem = kind === 'hot' ? 'hotkey' : 'bigkey';
  return { task: `${base}/${stem}-task`, tasks: `${base}/${stem}-tasks`, autoscan: `${base}/${stem}/autoscan` };
}

/** The dashboard page of one task of either family. */
export function taskRoute(kind: TaskKind, instanceId: string, taskId: string): Route {
  return { page: kind === 'hot' ? 'task' : 'bigtask', instanceId, taskId };
}
