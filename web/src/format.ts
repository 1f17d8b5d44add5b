/** Numbers and times as people read them, and exports. */
import type { BigKey, HotKey, LargestKey, Task } from './wire';

export function rate(key: Pick<HotKey, 'est_qps' | 'est_accesses' | 'saturated'>): string {
  if (key.est_qps === null || key.est_qps === undefined) return key.est_accesses === undefined ? '' : `~${key.est_accesses.toLocaleString()} accesses`;
  return `${key.saturated === true ? '≥ ' : ''}${key.est_qps.toLocaleString(undefined, { maximumSignificantDigits: 3 })}/s`;
}

/** A measured rate (commands/s) to three significant digits: "1,230/s", "0.5/s". */
export function perSecond(value: number): string {
  return `${value.toLocaleString(undefined, { maximumSignificantDigits: 3 })}/s`;
}

export function percent(share: number): string {
  return `${(share * 100).toFixed(1)}%`;
}

export function size(key: Pick<HotKey, 'size' | 'unit'>): string {
  return key.unit === 'byte' ? `${key.size.toLocaleString()} B` : `${key.size.toLocaleString()} items`;
}

/** A UTC wire time in the browser's time zone, with the date. */
export function when(iso: string | undefined): string {
  if (iso === undefined) return '';
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : date.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'medium' });
}

/** "21:00" UTC as the browser's local time of day ("22:00"), for today's date. */
export function localTimeOf(utc: string): string {
  const match = /^(\d{2}):(\d{2})$/.exec(utc);
  if (match === null) return '';
  const date = new Date();
  date.setUTCHours(Number(match[1]), Number(match[2]), 0, 0);
  return date.toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit' });
}

export function duration(ms: number): string {
  return ms < 1000 ? `${ms} ms` : ms < 120_000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.round(ms / 60_000)} min`;
}

const CSV_COLUMNS = ['name', 'type', 'db', 'shard', 'size', 'unit', 'freq', 'est_qps', 'est_accesses', 'saturated', 'previous_freq'] as const;
/** Added only when the task had a sampling phase, so exports of other tasks keep their columns (also_big likewise). */
const SAMPLED_CSV_COLUMNS = ['sampled_qps', 'sampled_share'] as const;

/** RFC 4180 CSV of a task's keys; a cell that a spreadsheet would run as a formula is quoted with a leading '. */
export function keysCsv(keys: readonly HotKey[]): string {
  const columns: (keyof HotKey & string)[] = [...CSV_COLUMNS];
  if (keys.some((key) => key.sampled_qps !== undefined)) columns.push(...SAMPLED_CSV_COLUMNS);
  // Only once the instance has a finished big key task: before that the flag says nothing.
  if (keys.some((key) => key.also_big !== undefined)) columns.push('also_big');
  return csv(columns, keys);
}

const BIG_CSV_COLUMNS = ['name', 'name_base64', 'type', 'db', 'shard', 'size', 'unit', 'memory_bytes', 'ttl', 'also_hot'] as const;

/** A big key task's keys as CSV, in the API's order (per type, biggest first). */
export function bigKeysCsv(keys: readonly BigKey[]): string {
  return csv(BIG_CSV_COLUMNS, keys);
}

const LARGEST_CSV_COLUMNS = ['key', 'key_base64', 'truncated', 'name_sha1', 'type', 'bytes', 'num_of_elem', 'db'] as const;

/** An offline analysis's largest keys as CSV, in the API's order (per type, largest first). */
export function largestKeysCsv(keys: readonly LargestKey[]): string {
  return csv(LARGEST_CSV_COLUMNS, keys);
}

function csv<T>(columns: readonly (keyof T & string)[], rows: readonly T[]): string {
  const cell = (value: unknown): string => {
    let text = value === undefined || value === null ? '' : String(value);
    if (/^[=+\-@\t\r]/.test(text)) text = `'${text}`;
    return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
  };
  const lines = rows.map((row) => columns.map((column) => cell(row[column])).join(','));
  return `${[columns.join(','), ...lines].join('\r\n')}\r\n`;
}

/** Bytes as people read them: "980 B", "20.0 KiB", "3.5 MiB". */
export function bytes(value: number): string {
  if (value < 1024) return `${value.toLocaleString()} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let scaled = value / 1024;
  let unit = 0;
  while (scaled >= 1024 && unit < units.length - 1) {
    scaled /= 1024;
    unit += 1;
  }
  return `${scaled.toLocaleString(undefined, { minimumFractionDigits: 1, maximumFractionDigits: 1 })} ${units[unit]}`;
}

/** A key's time to live (seconds; -1 = none) as people read it: "no expiry", "45 s", "2 h 5 min", "3 d 4 h". */
export function ttl(seconds: number | undefined): string {
  if (seconds === undefined) return '';
  if (seconds < 0) return 'no expiry';
  if (seconds < 60) return `${seconds} s`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)} min ${seconds % 60} s`;
  if (seconds < 86_400) return `${Math.floor(seconds / 3600)} h ${Math.floor((seconds % 3600) / 60)} min`;
  return `${Math.floor(seconds / 86_400)} d ${Math.floor((seconds % 86_400) / 3600)} h`;
}

export function download(filename: string, type: string, content: string): void {
  const url = URL.createObjectURL(new Blob([content], { type }));
  const link = document.createElement('a');
  link.href = url;
  link.download = filename;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

export function taskFileName(task: Pick<Task, 'instance_id' | 'id'>, extension: string, kind = ''): string {
  return `keyheat-${kind === '' ? '' : `${kind}-`}${task.instance_id}-${task.id}.${extension}`;
}
