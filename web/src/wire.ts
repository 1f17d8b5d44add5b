/**
 * The API's shapes, taken from the server's own TypeBox schemas (src/wire/), types only: the
 * dashboard is a client of the public API and cannot drift from it unnoticed.
 */
import type { Static } from '@sinclair/typebox';
import type { InstanceBody, InstanceList } from '../../src/wire/instance-schemas.js';
import type { BigkeysBody, BigTaskBody } from '../../src/wire/bigkey-schemas.js';
import type { ExpireAutoscanConfig, ExpireAutoscanRequest, ExpireHistories as ExpireHistoriesSchema, ExpireTaskBody, ScanTask } from '../../src/wire/expire-schemas.js';
import type { Backups as BackupsSchema, OfflineCreated as OfflineCreatedSchema, OfflineList as OfflineListSchema, OfflineNodes as OfflineNodesSchema, OfflineTask as OfflineTaskSchema } from '../../src/wire/offline-schemas.js';
import type { AutoscanConfig, HotkeysBody, RecordsResponse, TaskBody, TaskList as TaskListBody } from '../../src/wire/task-schemas.js';

export type Instance = Static<typeof InstanceBody>;
export type InstanceListBody = Static<typeof InstanceList>;
export type Task = Static<typeof TaskBody>;
export type HotKey = Static<typeof HotkeysBody>;
export type TaskRecord = Static<typeof RecordsResponse>;
export type BigTask = Static<typeof BigTaskBody>;
export type BigKey = Static<typeof BigkeysBody>;
export type BigTypeTotal = NonNullable<BigTask['types']>[number];
export type BigKeyNode = NonNullable<BigTask['analysis']>['nodes'][number];

export type TaskList = Static<typeof TaskListBody>;
export type Autoscan = Static<typeof AutoscanConfig>;

/** The expired key scan: what a create answers, the histories, one scan with its TTL report, the schedule in seconds. */
export type ExpireScanCreated = Static<typeof ScanTask>;
export type ExpireHistories = Static<typeof ExpireHistoriesSchema>;
export type ExpireTask = Static<typeof ExpireTaskBody>;
export type ExpireTtl = NonNullable<ExpireTask['ttl']>;
export type TtlCounts = ExpireTtl['totals'];
export type TtlHistogram = TtlCounts['histogram'];
export type ExpireNode = NonNullable<ExpireTask['analysis']>['nodes'][number];
export type ExpireAutoscan = Static<typeof ExpireAutoscanConfig>;
export type ExpireAutoscanInput = Static<typeof ExpireAutoscanRequest>;

/** Offline key analysis of one node's RDB: its create answer ({task_id}), list, report, nodes, and the saved backups. */
export type OfflineCreated = Static<typeof OfflineCreatedSchema>;
export type OfflineList = Static<typeof OfflineListSchema>;
export type OfflineTask = Static<typeof OfflineTaskSchema>;
export type LargestKey = NonNullable<OfflineTask['largest_keys']>[number];
export type LargestPrefix = NonNullable<OfflineTask['largest_key_prefixes']>[number];
export type OfflineNodes = Static<typeof OfflineNodesSchema>;
export type Backups = Static<typeof BackupsSchema>;
export type Backup = Backups['backups'][number];

/**
 * The task families of an instance: hot keys (hotkey-task), big keys (bigkey-task), the expired
 * key scan (scan-expire-keys-task) and offline key analysis (offline/key-analysis).
 */
export type TaskKind = 'hot' | 'big' | 'expire' | 'offline';

/** Each family's shapes: one task as GET answers it, its list, and what its create answers. */
export interface KindWire {
  readonly hot: { readonly task: Task; readonly list: TaskList; readonly created: Task };
  readonly big: { readonly task: BigTask; readonly list: TaskList; readonly created: BigTask };
  readonly expire: { readonly task: ExpireTask; readonly list: ExpireHistories; readonly created: ExpireScanCreated };
  readonly offline: { readonly task: OfflineTask; readonly list: OfflineList; readonly created: OfflineCreated };
}

export type AnyKindTask = KindWire[TaskKind]['task'];

export interface DcsError {
  readonly error_code: string;
  readonly error_msg: string;
  readonly error_ext_msg?: string | null;
}
