/**
 * The API's shapes, taken from the server's own TypeBox schemas (src/wire/), types only: the
 * dashboard is a client of the public API and cannot drift from it unnoticed.
 */
import type { Static } from '@sinclair/typebox';
import type { InstanceBody, InstanceList } from '../../src/wire/instance-schemas.js';
import type { BigkeysBody, BigTaskBody } from '../../src/wire/bigkey-schemas.js';
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

/** The two task families of an instance: hot keys (hotkey-task) and big keys (bigkey-task). */
export type TaskKind = 'hot' | 'big';

export type TaskList = Static<typeof TaskListBody>;
export type Autoscan = Static<typeof AutoscanConfig>;

export interface DcsError {
  readonly error_code: string;
  readonly error_msg: string;
  readonly error_ext_msg?: string | null;
}
