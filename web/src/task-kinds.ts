/**
 * Every task family of an instance in one table, a row per kind: where it lives in the API,
 * which dashboard page shows one task, and the words the instance page uses for it. The pages
 * and the task list read their row instead of branching on the kind.
 *
 * The families share the task life (create, poll, list, delete) but not their paths nor all of
 * their shapes: DCS spells hot and big keys singular for one task and plural for the list; the
 * expired key scan lists under auto-expire/histories and creates with scan-expire-keys-task; an
 * offline analysis answers its create with {task_id}, and its list counts with `total`.
 */
import { bigKeysCsv, keysCsv, largestKeysCsv } from './format';
import type { TaskPage } from './router';
import type { KindWire, TaskKind, TaskRecord } from './wire';

/** A task as its family's list shows it; `scan_type` and `num` where the family has them. */
export interface ListedTask {
  readonly id: string;
  readonly status: TaskRecord['status'];
  readonly created_at: string;
  readonly finished_at?: string | undefined;
  readonly error_msg?: string | undefined;
  readonly scan_type?: TaskRecord['scan_type'] | undefined;
  readonly num?: number | undefined;
}

/** One page of a family's list, whatever the family's answer looks like. */
export interface Listed {
  /** The tasks matching the filter, not only this page. */
  readonly count: number;
  readonly records: readonly ListedTask[];
  /** What the list's `total` sums, where the family has one (the expired key scan: num). */
  readonly total?: number;
}

export interface ListLabels {
  readonly title: string;
  /** The table's accessible name. */
  readonly caption: string;
  readonly pages: string;
  readonly none: string;
  /** One task, in "Delete the … of <date>" and its confirmation. */
  readonly item: string;
  /** The column of `num`, where the list shows it. */
  readonly num?: string;
  /** The list's `total` in words. */
  readonly total?: (total: number) => string;
}

export interface RunningLabels {
  readonly title: string;
  readonly link: string;
  /** What a running task of a family without per-node progress is doing. */
  readonly doing?: string;
}

/** The page of one task: its breadcrumb, heading, delete button and confirmation, files. */
export interface PageLabels {
  /** The last breadcrumb. */
  readonly crumb: string;
  /** The heading, before the task's date: "Big key analysis of <date>". */
  readonly heading: string;
  readonly remove: string;
  readonly confirm: string;
  /** What the page says of a failed task without a message. */
  readonly failed: string;
  /** The word in exported files' names (keyheat-<word>-<instance>-<task>.csv); '' for none. */
  readonly file: string;
}

export interface DailyLabels {
  readonly title: string;
  readonly enable: string;
  readonly time: (n: number) => string;
  readonly remove: (n: number) => string;
  readonly add: string;
  readonly save: string;
}

export interface IntervalLabels {
  readonly title: string;
  readonly enable: string;
  readonly save: string;
}

/** The automatic runs of a family: DCS's daily times (hotkey/autoscan), or a first run and an interval in seconds (autoscan-config). */
export type Schedule =
  | { readonly type: 'daily'; readonly path: string; readonly labels: DailyLabels }
  | { readonly type: 'interval'; readonly path: string; readonly labels: IntervalLabels };

export interface KindRow<K extends TaskKind> {
  readonly kind: K;
  /** The dashboard page of one task, at #/instances/<id>/<segment>/<task id>. */
  readonly page: TaskPage;
  readonly segment: string;
  /** API paths under /instances/<id>. */
  readonly api: {
    /** POST: start a task. */
    readonly create: string;
    /** With `/<task id>` appended: GET and DELETE one task. */
    readonly task: string;
    /** GET: the list, newest first (offset, limit, status). */
    readonly list: string;
  };
  readonly schedule: Schedule | null;
  /** The id a create answered with, and the task itself when the answer is one. */
  readonly created: (answer: KindWire[K]['created']) => { readonly id: string; readonly task: KindWire[K]['task'] | null };
  readonly listed: (body: KindWire[K]['list']) => Listed;
  /** What a finished task found, in a sentence. */
  readonly found: (task: KindWire[K]['task']) => string;
  /** The task's main list as CSV (made on export) and its row count; absent: the page exports JSON only. */
  readonly csv?: { readonly rows: (task: KindWire[K]['task']) => number; readonly text: (task: KindWire[K]['task']) => string };
  readonly labels: { readonly list: ListLabels; readonly running: RunningLabels; readonly deleted: string; readonly page: PageLabels };
}

const plural = (n: number, one: string, many: string): string => `${n.toLocaleString()} ${n === 1 ? one : many}`;

export const KINDS: { readonly [K in TaskKind]: KindRow<K> } = {
  hot: {
    kind: 'hot',
    page: 'task',
    segment: 'tasks',
    api: { create: '/hotkey-task', task: '/hotkey-task', list: '/hotkey-tasks' },
    schedule: {
      type: 'daily',
      path: '/hotkey/autoscan',
      labels: { title: 'Daily analysis', enable: 'Run automatically every day', time: (n) => `Time ${n} (UTC)`, remove: (n) => `Remove time ${n}`, add: 'Add a time', save: 'Save schedule' },
    },
    created: (task) => ({ id: task.id, task }),
    listed: (body) => ({ count: body.count, records: body.records }),
    found: (task) => `${task.num} hot keys found.`,
    csv: { rows: (task) => (task.keys ?? []).length, text: (task) => keysCsv(task.keys ?? []) },
    labels: {
      list: { title: 'Hot key tasks', caption: 'Tasks of this instance: hot key analyses', pages: 'Hot key task pages', none: 'No hot key task', item: 'hot key task' },
      running: { title: 'Analysis', link: 'See the result' },
      deleted: 'Its result is deleted; a running analysis is stopped.',
      page: { crumb: 'Task', heading: 'Analysis', remove: 'Delete task', confirm: 'Delete this task?', failed: 'The analysis failed.', file: '' },
    },
  },
  big: {
    kind: 'big',
    page: 'bigtask',
    segment: 'bigkey-tasks',
    api: { create: '/bigkey-task', task: '/bigkey-task', list: '/bigkey-tasks' },
    schedule: {
      type: 'daily',
      path: '/bigkey/autoscan',
      labels: {
        title: 'Daily big key analysis',
        enable: 'Scan for big keys every day',
        time: (n) => `Big key scan ${n} (UTC)`,
        remove: (n) => `Remove big key scan ${n}`,
        add: 'Add a big key scan',
        save: 'Save big key schedule',
      },
    },
    created: (task) => ({ id: task.id, task }),
    listed: (body) => ({ count: body.count, records: body.records }),
    found: (task) => `${task.num} big keys found.`,
    csv: { rows: (task) => (task.keys ?? []).length, text: (task) => bigKeysCsv(task.keys ?? []) },
    labels: {
      list: { title: 'Big key analyses', caption: 'Big key analyses of this instance', pages: 'Big key analysis pages', none: 'No big key analysis', item: 'big key analysis' },
      running: { title: 'Big key analysis', link: 'Open the big key result' },
      deleted: 'Its result is deleted; a running analysis is stopped.',
      page: { crumb: 'Big key task', heading: 'Big key analysis', remove: 'Delete task', confirm: 'Delete this big key task?', failed: 'The analysis failed.', file: 'bigkeys' },
    },
  },
  expire: {
    kind: 'expire',
    page: 'expiretask',
    segment: 'expire-scans',
    api: { create: '/scan-expire-keys-task', task: '/auto-expire/histories', list: '/auto-expire/histories' },
    schedule: {
      type: 'interval',
      path: '/scan-expire-keys/autoscan-config',
      labels: { title: 'Automatic expired key scan', enable: 'Scan for expired keys on a schedule', save: 'Save expired key schedule' },
    },
    // A ScanTask: the id and status, not yet the body GET answers.
    created: (scan) => ({ id: scan.id, task: null }),
    listed: (body) => ({ count: body.count, records: body.records, total: body.total }),
    found: (task) => `${plural(task.num, 'expired key', 'expired keys')} reclaimed.`,
    labels: {
      list: {
        title: 'Expired key scans',
        caption: 'Expired key scans of this instance, with the keys each reclaimed',
        pages: 'Expired key scan pages',
        none: 'No expired key scan',
        item: 'expired key scan',
        num: 'Reclaimed',
        total: (total) => `${plural(total, 'expired key', 'expired keys')} reclaimed by the scans listed.`,
      },
      running: { title: 'Expired key scan', link: 'Open the expired key scan', doing: 'Scanning the primaries…' },
      deleted: 'Its report is deleted; a running scan is stopped. Keys already reclaimed stay reclaimed.',
      page: { crumb: 'Expired key scan', heading: 'Expired key scan', remove: 'Delete scan', confirm: 'Delete this expired key scan?', failed: 'The scan failed.', file: 'expire' },
    },
  },
  offline: {
    kind: 'offline',
    page: 'offlinetask',
    segment: 'offline-analyses',
    api: { create: '/offline/key-analysis', task: '/offline/key-analysis', list: '/offline/key-analysis' },
    schedule: null,
    created: (answer) => ({ id: answer.task_id, task: null }),
    listed: (body) => ({ count: body.total, records: body.records }),
    found: (task) => `${plural(task.total_num ?? 0, 'key', 'keys')} in the RDB, ${plural((task.largest_keys ?? []).length, 'largest key', 'largest keys')} listed.`,
    csv: { rows: (task) => (task.largest_keys ?? []).length, text: (task) => largestKeysCsv(task.largest_keys ?? []) },
    labels: {
      list: { title: 'Offline analyses', caption: 'Offline analyses of this instance', pages: 'Offline analysis pages', none: 'No offline analysis', item: 'offline analysis' },
      running: { title: 'Offline analysis', link: 'Open the offline analysis', doing: 'Reading the node’s RDB…' },
      deleted: 'Its report is deleted; a running analysis is stopped. The RDB files are not touched.',
      page: { crumb: 'Offline analysis', heading: 'Offline analysis', remove: 'Delete analysis', confirm: 'Delete this offline analysis?', failed: 'The analysis failed.', file: 'offline' },
    },
  },
};

/** The API path of an instance, to which a row's paths are appended. */
export function instancePath(instanceId: string): string {
  return `/instances/${encodeURIComponent(instanceId)}`;
}

/** GET and DELETE of one task of a family. */
export function taskPath(kind: TaskKind, instanceId: string, taskId: string): string {
  return `${instancePath(instanceId)}${KINDS[kind].api.task}/${encodeURIComponent(taskId)}`;
}
