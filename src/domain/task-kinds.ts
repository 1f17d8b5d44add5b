/**
 * The task kinds of the DCS cache analysis family, one row each: where DCS puts them, which of
 * its errors they answer with, how they read the keyspace and how they are scheduled. The
 * routes, the service's option and preflight rules, the runner, the CLI client and the
 * dashboard read a kind's row instead of branching on its name; adding a kind is adding a row
 * (and its engine, its result and its wire shapes).
 */
import type { ErrorKind } from './errors.js';
import type { AnalysisStrategy } from './snapshot.js';
import type { TaskKind } from './task-status.js';

export interface TaskKindSpec {
  readonly kind: TaskKind;
  /** What a person calls a task of the kind: "hot key analysis". */
  readonly label: string;
  /** The kind in option refusals: "a hot key task". */
  readonly article: string;
  /** Its DCS paths after /v2/{project_id}/instances/{instance_id}/. */
  readonly dcs: {
    /** POST: create a task. */
    readonly create: string;
    /** GET: the list, newest first. */
    readonly list: string;
    /** GET and DELETE with `/{id}` appended: one task. */
    readonly item: string;
    /** The name of the id's path parameter. */
    readonly idParam: string;
    /** GET and PUT: its schedule; null for a kind without one. */
    readonly autoscan: string | null;
  };
  /** Its DCS errors: another of the kind is waiting or running, an unknown id, the instance cannot be analysed so. */
  readonly errors: { readonly active: ErrorKind; readonly notFound: ErrorKind; readonly unsupported: ErrorKind };
  /** How it may read the keyspace, the default first. */
  readonly strategies: readonly AnalysisStrategy[];
  /** Every primary must run an LFU maxmemory-policy (hot keys by counter). */
  readonly needsLfu: boolean;
  /** Its schedule: at given UTC times every day, or every `interval` seconds from a first time; null: none. */
  readonly schedule: 'daily' | 'interval' | null;
}

export const TASK_KIND_SPECS: { readonly [K in TaskKind]: TaskKindSpec & { readonly kind: K } } = Object.freeze({
  hot: {
    kind: 'hot',
    label: 'hot key analysis',
    article: 'a hot key task',
    dcs: { create: 'hotkey-task', list: 'hotkey-tasks', item: 'hotkey-task', idParam: 'hotkey_id', autoscan: 'hotkey/autoscan' },
    errors: { active: 'hotkeyTaskActive', notFound: 'hotkeyNotFound', unsupported: 'hotkeyUnsupported' },
    strategies: ['scan', 'snapshot'],
    needsLfu: true,
    schedule: 'daily',
  },
  big: {
    kind: 'big',
    label: 'big key analysis',
    article: 'a big key task',
    dcs: { create: 'bigkey-task', list: 'bigkey-tasks', item: 'bigkey-task', idParam: 'bigkey_id', autoscan: 'bigkey/autoscan' },
    errors: { active: 'bigkeyTaskActive', notFound: 'bigkeyNotFound', unsupported: 'bigkeyUnsupported' },
    strategies: ['scan', 'snapshot'],
    needsLfu: false,
    schedule: 'daily',
  },
  expire: {
    kind: 'expire',
    label: 'expired key scan',
    article: 'an expired key scan',
    // DCS has no show or delete of one scan: keyheat adds them under the histories.
    dcs: { create: 'scan-expire-keys-task', list: 'auto-expire/histories', item: 'auto-expire/histories', idParam: 'task_id', autoscan: 'scan-expire-keys/autoscan-config' },
    errors: { active: 'expireTaskActive', notFound: 'expireNotFound', unsupported: 'expireUnsupported' },
    strategies: ['scan'],
    needsLfu: false,
    schedule: 'interval',
  },
  offline: {
    kind: 'offline',
    label: 'offline key analysis',
    article: 'an offline key analysis',
    dcs: { create: 'offline/key-analysis', list: 'offline/key-analysis', item: 'offline/key-analysis', idParam: 'task_id', autoscan: null },
    errors: { active: 'offlineTaskActive', notFound: 'offlineNotFound', unsupported: 'offlineUnsupported' },
    // A fresh RDB of the node, or a saved backup: never a scan.
    strategies: ['snapshot'],
    needsLfu: false,
    schedule: null,
  },
});

export function kindSpec<K extends TaskKind>(kind: K): TaskKindSpec & { readonly kind: K } {
  return TASK_KIND_SPECS[kind];
}

/** "hot key tasks", "hot and big key tasks": the kinds an option belongs to, for a refusal. */
export function kindsPhrase(kinds: readonly TaskKind[]): string {
  const labels = kinds.map((k) => TASK_KIND_SPECS[k].label.replace(/ analysis$/, '').replace(/ scan$/, ''));
  const joined = labels.length <= 1 ? (labels[0] ?? '') : `${labels.slice(0, -1).join(', ')} and ${labels[labels.length - 1] ?? ''}`;
  return `${joined} tasks`;
}
