/**
 * Human output of the client commands. A task's result goes through the formatters of `keyheat
 * scan`: scan-output.ts after wire-readers.ts turned a hot or big key task back into domain
 * values; expire-output.ts and offline-output.ts, which read the API's shapes themselves.
 * Everything the server sent is escaped before it reaches the terminal.
 */
import { escapeControls } from '../../domain/display-text.js';
import { endpointAddress } from '../../domain/instance.js';
import type { TaskKind } from '../../domain/task-status.js';
import { bigResultFromWire, hotKeyFromWire, insightsFromWire, nodeProgressFromWire, statsFromWire } from '../../wire/wire-readers.js';
import { formatExpireReport } from '../expire-output.js';
import { formatOfflineReport } from '../offline-output.js';
import { formatBigTable, formatProgress, formatTable, sizeText, type ResultView } from '../scan-output.js';
import { fieldList, textTable } from '../text-table.js';
import {
  hasProgress,
  type AnyTaskWire,
  type AutoscanWire,
  type BackupsWire,
  type BigTaskWire,
  type ExpireAutoscanWire,
  type ExpireTaskWire,
  type InstanceWire,
  type KindLists,
  type OfflineNodesWire,
  type OfflineTaskWire,
  type TaskWire,
} from './api-client.js';

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

/** A row of any kind's list: the expired key scan adds num, offline analysis has no scan_type. */
interface ListRecord {
  readonly id: string;
  readonly status: string;
  readonly scan_type?: string;
  readonly num?: number;
  readonly created_at: string;
  readonly started_at?: string;
  readonly finished_at?: string;
  readonly error_msg?: string;
}

/** One page of a task list (of any kind), and how to read the next one when there is more. */
export function formatTaskList(list: KindLists[TaskKind], offset: number): string {
  // Offline analysis's DCS list calls the count "total"; the expired key scan's "total" sums num.
  const count = 'count' in list ? list.count : list.total;
  const records: readonly ListRecord[] = list.records;
  if (records.length === 0) return count === 0 ? 'No tasks.\n' : `No tasks at offset ${offset} (${count} in all).\n`;
  const typed = records.some((t) => t.scan_type !== undefined);
  const reclaimed = records.some((t) => t.num !== undefined);
  const rows = records.map((t) => [
    safe(t.id),
    ...(typed ? [t.scan_type ?? ''] : []),
    t.status,
    ...(reclaimed ? [t.num === undefined ? '' : t.num.toLocaleString('en-US')] : []),
    safe(t.created_at),
    tookOf(t),
    t.error_msg === undefined ? '' : safe(t.error_msg),
  ]);
  const table = textTable(['id', ...(typed ? ['type'] : []), 'status', ...(reclaimed ? ['reclaimed'] : []), 'created', 'took', 'error'], rows);
  const next = offset + records.length;
  const more = next < count ? [`${records.length} of ${count} tasks; the next ones: --offset ${next}`] : [];
  // The expired key scan's DCS total: num summed over every scan matching, not only this page's.
  const sum = 'count' in list && 'total' in list ? [`Reclaimed by all ${count} scan${count === 1 ? '' : 's'}: ${list.total.toLocaleString('en-US')} expired keys`] : [];
  return lines([...table, ...more, ...sum]);
}

/** A task's own fields (of any kind); the result follows for a successful task (formatKindResult). */
export function formatTask(task: AnyTaskWire, kind: TaskKind = 'hot', now = Date.now()): string {
  const options = 'options' in task ? Object.entries(task.options ?? {}) : [];
  return fieldList([
    ['task', safe(task.id)],
    ['instance_id', safe(task.instance_id)],
    ...('scan_type' in task ? [['type', task.scan_type] as const] : []),
    ...('node_id' in task ? offlineFields(task) : []),
    ['status', task.status],
    ['created_at', safe(task.created_at)],
    ...(task.started_at === undefined ? [] : [['started_at', safe(task.started_at)] as const]),
    ...(task.finished_at === undefined ? [] : [['finished_at', safe(task.finished_at)] as const]),
    // The expired key scan's options are not all pacing (scan_keys_count).
    ...(options.length === 0 ? [] : [[kind === 'expire' ? 'options' : 'pacing', options.map(([name, value]) => `${name} ${String(value)}`).join(', ')] as const]),
    ...(task.status === 'running' ? [['progress', hasProgress(kind) ? progressOf(task, now) : `running for ${Math.max(0, Math.floor((now - Date.parse(task.started_at ?? task.created_at)) / 1000))} s`] as const] : []),
    ...(task.error_msg === undefined ? [] : [['error', safe(task.error_msg)] as const]),
  ]);
}

/** What an offline analysis reads: the node (with its role and shard), and a fresh RDB or a backup. */
function offlineFields(task: OfflineTaskWire): (readonly [string, string])[] {
  const role = [task.node_type, task.group_name === undefined || task.group_name === 'single' ? undefined : `shard ${task.group_name}`].filter((v): v is string => v !== undefined).map(safe);
  return [
    ['node', `${safe(task.node_id)}${role.length === 0 ? '' : ` (${role.join(', ')})`}`],
    ['reads', task.backup_id === undefined ? 'a fresh RDB of the node (new_backup)' : `the backup ${safe(task.backup_id)} (old_backup)`],
  ];
}

type ProgressNodes = NonNullable<TaskWire['progress']>['nodes'];

/** The per-node progress of a running task, where the API reports it (api-client.ts hasProgress). */
export function progressNodes(task: AnyTaskWire): ProgressNodes | undefined {
  return 'progress' in task ? task.progress?.nodes : undefined;
}

/** The progress line of a running task: keys per second since its start, `since` on this machine's clock where known, else the server's started_at. */
export function progressOf(task: AnyTaskWire, now: number, since?: number): string {
  const nodes = progressNodes(task) ?? [];
  if (nodes.length === 0) return 'connecting';
  const started = since ?? (task.started_at === undefined ? now : Date.parse(task.started_at));
  // The server's clock may be ahead of this one; a negative elapsed time would mean nothing.
  return formatProgress(nodes.map(nodeProgressFromWire), Math.max(0, now - started));
}

/** A successful task's result as `keyheat scan` prints it for the kind; null for a task with no result yet. */
export function formatKindResult(task: AnyTaskWire, kind: TaskKind, instance: InstanceWire): string | null {
  switch (kind) {
    case 'hot':
      return formatResult(task as TaskWire, instance);
    case 'big':
      return formatBigResult(task as BigTaskWire, instance);
    case 'expire':
      return formatExpireResult(task as ExpireTaskWire, instance);
    case 'offline':
      return formatOfflineResult(task as OfflineTaskWire, instance);
  }
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

/** The report `keyheat scan --expired` prints, for a successful expired key scan; null before. */
export function formatExpireResult(task: ExpireTaskWire, instance: InstanceWire): string | null {
  if (task.status !== 'success') return null;
  return formatExpireReport({ mode: instance.mode, num: task.num, analysis: task.analysis, ttl: task.ttl, advice: task.advice }, targetOf(instance));
}

/** The report `keyheat scan --offline` prints, for a successful offline analysis; null before. */
export function formatOfflineResult(task: OfflineTaskWire, instance: InstanceWire): string | null {
  if (task.status !== 'success') return null;
  const read = task.backup_id === undefined ? `node ${safe(task.node_id)}${task.node_type === undefined ? '' : ` (${safe(task.node_type)})`}` : `backup ${safe(task.backup_id)}`;
  return formatOfflineReport(task, `${targetOf(instance)}, ${read}`);
}

/** The expired key scan's schedule: from first_scan_at, every interval seconds. */
export function formatExpireAutoscan(config: ExpireAutoscanWire): string {
  const every = config.interval === 0 ? 'once' : `every ${duration(config.interval)}`;
  const state = config.enable_auto_scan ? `on, ${every} from ${safe(config.first_scan_at)}` : `off (kept: ${every} from ${safe(config.first_scan_at)})`;
  return fieldList([
    ['instance_id', safe(config.instance_id)],
    ['autoscan (expired keys)', state],
    ['interval', `${config.interval} s${config.interval === 0 ? ' (the first run only)' : ''}`],
    ['timeout', `${config.timeout} s (a run still going then fails)`],
    ['scan_keys_count', String(config.scan_keys_count)],
    ['updated_at', safe(config.updated_at)],
  ]);
}

/** The nodes an offline analysis may read (--node). */
export function formatOfflineNodes(list: OfflineNodesWire): string {
  if (list.nodes.length === 0) return 'No nodes.\n';
  const rows = list.nodes.map((n) => [safe(n.id), safe(n.node_type ?? ''), safe(n.group_name), safe(n.name)]);
  return lines(textTable(['node', 'role', 'shard', 'name'], rows));
}

/** The saved RDB files of an instance (--backup). */
export function formatBackups(list: BackupsWire): string {
  if (list.backups.length === 0) return 'No backups.\n';
  const rows = list.backups.map((b) => [sizeText(b.size_bytes, 'byte'), safe(b.created_at), safe(b.backup_id)]);
  return lines(textTable(['size', 'modified', 'backup'], rows, 1));
}

function targetOf(instance: InstanceWire): string {
  return `${safe(instance.name)} (${addressOf(instance)})`;
}

/** Seconds as people say them: 1 day, 6 h, 30 min, 90 s. */
export function duration(seconds: number): string {
  if (seconds > 0 && seconds % 86_400 === 0) return seconds === 86_400 ? '1 day' : `${seconds / 86_400} days`;
  if (seconds > 0 && seconds % 3_600 === 0) return `${seconds / 3_600} h`;
  if (seconds > 0 && seconds % 60 === 0) return `${seconds / 60} min`;
  return `${seconds} s`;
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
