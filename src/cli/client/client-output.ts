/**
 * Human output of the client commands. A task's result goes through scan-output.ts, the
 * formatter of `keyheat scan`, after wire-readers.ts turned it back into domain values.
 * Everything the server sent is escaped before it reaches the terminal.
 */
import { escapeControls } from '../../domain/display-text.js';
import { endpointAddress } from '../../domain/instance.js';
import { bigResultFromWire, hotKeyFromWire, insightsFromWire, nodeProgressFromWire, statsFromWire } from '../../wire/wire-readers.js';
import { formatBigTable, formatProgress, formatTable, type ResultView } from '../scan-output.js';
import { fieldList, textTable } from '../text-table.js';
import type { TaskKind } from '../../domain/task-status.js';
import type { AnyTaskWire, AutoscanWire, BigTaskWire, InstanceWire, TaskListWire, TaskWire } from './api-client.js';

const safe = (text: string): string => escapeControls(text, 1024);

export function formatInstances(instances: readonly InstanceWire[]): string {
  if (instances.length === 0) return 'No instances registered.\n';
  const rows = instances.map((i) => [safe(i.instance_id), safe(i.name), i.mode, `${i.engine} ${safe(i.engine_version)}`, addressOf(i), i.status, safe(i.created_at)]);
  return lines(textTable(['id', 'name', 'mode', 'engine', 'address', 'status', 'created'], rows));
}

export function formatInstance(instance: InstanceWire): string {
  return fieldList([
    ['instance_id', safe(instance.instance_id)],
    ['name', safe(instance.name)],
    ['engine', `${instance.engine} ${safe(instance.engine_version)}`],
    ['mode', instance.mode],
    ['address', addressOf(instance)],
    ...(instance.sentinel === undefined
      ? []
      : ([['sentinels', `${instance.sentinel.sentinels.map(safe).join(', ')}, master "${safe(instance.sentinel.master_name)}"`]] as [string, string][])),
    ...(instance.tls === undefined
      ? []
      : ([['tls', `${instance.tls.ca === 'custom' ? 'own CA' : 'system CAs'}${instance.tls.client_certificate ? ', client certificate' : ''}${instance.tls.insecure ? ', not verified (insecure)' : ''}`]] as [string, string][])),
    // The status is what keyheat saw when it last connected, not a live check.
    ['status', `${instance.status} (when keyheat last connected)`],
    ['created_at', safe(instance.created_at)],
  ]);
}

/** One page of a task list, and how to read the next one when there is more. */
export function formatTaskList(list: TaskListWire, offset: number): string {
  if (list.records.length === 0) return list.count === 0 ? 'No tasks.\n' : `No tasks at offset ${offset} (${list.count} in all).\n`;
  const rows = list.records.map((t) => [safe(t.id), t.scan_type, t.status, safe(t.created_at), tookOf(t), t.error_msg === undefined ? '' : safe(t.error_msg)]);
  const table = textTable(['id', 'type', 'status', 'created', 'took', 'error'], rows);
  const next = offset + list.records.length;
  const more = next < list.count ? [`${list.records.length} of ${list.count} tasks; the next ones: --offset ${next}`] : [];
  return lines([...table, ...more]);
}

/** A task's own fields; the result table follows for a successful task (formatResult). */
export function formatTask(task: AnyTaskWire, now = Date.now()): string {
  const options = Object.entries(task.options ?? {});
  return fieldList([
    ['task', safe(task.id)],
    ['instance_id', safe(task.instance_id)],
    ['type', task.scan_type],
    ['status', task.status],
    ['created_at', safe(task.created_at)],
    ...(task.started_at === undefined ? [] : [['started_at', safe(task.started_at)] as const]),
    ...(task.finished_at === undefined ? [] : [['finished_at', safe(task.finished_at)] as const]),
    ...(options.length === 0 ? [] : [['pacing', options.map(([name, value]) => `${name} ${String(value)}`).join(', ')] as const]),
    ...(task.status === 'running' ? [['progress', progressOf(task, now)] as const] : []),
    ...(task.error_msg === undefined ? [] : [['error', safe(task.error_msg)] as const]),
  ]);
}

/** The progress line of a running task: keys per second since its start, `since` on this machine's clock where known, else the server's started_at. */
export function progressOf(task: AnyTaskWire, now: number, since?: number): string {
  const nodes = task.progress?.nodes ?? [];
  if (nodes.length === 0) return 'connecting';
  const started = since ?? (task.started_at === undefined ? now : Date.parse(task.started_at));
  // The server's clock may be ahead of this one; a negative elapsed time would mean nothing.
  return formatProgress(nodes.map(nodeProgressFromWire), Math.max(0, now - started));
}

/** The table `keyheat scan` prints, for a successful task; null for a task with no result yet. */
export function formatResult(task: TaskWire, instance: InstanceWire): string | null {
  if (task.status !== 'success' || task.analysis === undefined) return null;
  const view: ResultView = {
    mode: instance.mode,
    keys: (task.keys ?? []).map(hotKeyFromWire),
    stats: statsFromWire(task.analysis),
    insights: insightsFromWire(task),
  };
  return formatTable(view, `${safe(instance.name)} (${addressOf(instance)})`);
}

/** The table `keyheat scan --big` prints, for a successful big key task; null for a task with no result yet. */
export function formatBigResult(task: BigTaskWire, instance: InstanceWire): string | null {
  const result = task.status === 'success' ? bigResultFromWire(task) : null;
  if (result === null) return null;
  return formatBigTable({ ...result, mode: instance.mode }, `${safe(instance.name)} (${addressOf(instance)})`);
}

export function formatAutoscan(config: AutoscanWire, kind: TaskKind = 'hot'): string {
  const times = config.schedule_at.map(safe).join(', ');
  const state = config.enable_auto_scan
    ? `on, daily at ${times} UTC`
    : config.schedule_at.length === 0
      ? 'off'
      : `off (times kept: ${times} UTC)`;
  return fieldList([
    ['instance_id', safe(config.instance_id)],
    [kind === 'big' ? 'autoscan (big keys)' : 'autoscan', state],
    ['updated_at', safe(config.updated_at)],
  ]);
}

function addressOf(instance: InstanceWire): string {
  return endpointAddress({ host: safe(instance.ip), port: instance.port });
}

/** Seconds from start to finish, as the list's "took" column. */
function tookOf(task: { started_at?: string; finished_at?: string }): string {
  if (task.started_at === undefined || task.finished_at === undefined) return '';
  const ms = Date.parse(task.finished_at) - Date.parse(task.started_at);
  return Number.isFinite(ms) && ms >= 0 ? `${(ms / 1000).toFixed(1)} s` : '';
}

function lines(list: readonly string[]): string {
  return list.map((l) => `${l}\n`).join('');
}
