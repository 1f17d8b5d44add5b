/**
 * Hot key task records: creating tasks (with the one-active-task rule and retention), reading
 * and deleting them. Status changes after creation belong to the queue (task-queue.ts).
 */
import { sql, type Kysely, type Transaction } from 'kysely';
import type { TaskKind, TaskStatus } from '../domain/task-status.js';
import { TaskActiveConflict, type NewTask, type Task, type TaskPage } from '../domain/task.js';
import { InstanceGoneError } from '../domain/store-errors.js';
import { classifySqlError } from './classify-sql-error.js';
import type { StoreCapabilities } from './database.js';
import { instanceStillExists } from './instance-guard.js';
import type { Database } from './schema.js';
import { toTask } from './task-rows.js';

export interface TaskRecordSettings {
  /** Tasks kept per instance; creating one more deletes the oldest finished ones. */
  readonly maxTasksPerInstance: number;
  /** A stored result larger than this is not loaded when a task is read (retention.max_result_bytes). */
  readonly maxResultBytes?: number;
}

/** Every column but the result, which is read through boundedResult(). */
const TASK_COLUMNS = ['id', 'project_id', 'instance_id', 'kind', 'status', 'scan_type', 'created_at', 'started_at', 'finished_at', 'num', 'error_msg', 'attempts', 'progress_json', 'runner_id', 'lease_expires_at', 'options_json'] as const;

/** retention.max_result_bytes' default, for stores opened without settings. */
export const DEFAULT_MAX_RESULT_BYTES = 2 * 1024 * 1024;

export class TaskRecords {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly settings: TaskRecordSettings,
    private readonly capabilities: Pick<StoreCapabilities, 'dialect'> = { dialect: 'sqlite' },
  ) {}

  /**
   * Inserts a task unless one of the instance is waiting or running. The check and the insert
   * share a transaction, and the partial unique index catches what a check alone could miss.
   * Throws InstanceGoneError when the instance was deleted meanwhile (instance-guard.ts).
   */
  async insert(task: NewTask): Promise<Task> {
    const kind = task.kind ?? 'hot';
    try {
      await this.db.transaction().execute(async (trx) => {
        if (!(await instanceStillExists(trx, this.capabilities, task.instanceId))) throw new InstanceGoneError(task.instanceId);
        // A manual task waits for nothing; an auto task may queue behind a running manual one.
        // Hot and big key tasks are independent of each other.
        const active = await trx
          .selectFrom('hotkey_tasks')
          .select('id')
          .where('instance_id', '=', task.instanceId)
          .where('kind', '=', kind)
          .where('status', 'in', ['waiting', 'running'])
          .$if(task.scanType === 'auto', (q) => q.where('scan_type', '=', 'auto'))
          .executeTakeFirst();
        if (active !== undefined) throw new TaskActiveConflict(task.instanceId, kind);
        await trx
          .insertInto('hotkey_tasks')
          .values({
            id: task.id,
            project_id: task.projectId,
            instance_id: task.instanceId,
            kind,
            status: 'waiting',
            scan_type: task.scanType,
            created_at: task.createdAt,
            num: 0,
            attempts: 0,
            options_json: task.options === undefined || task.options === null ? null : JSON.stringify(task.options),
          })
          .execute();
        await this.enforceRetention(trx, task.instanceId, kind);
      });
    } catch (error) {
      if (classifySqlError(error) === 'unique-violation') throw new TaskActiveConflict(task.instanceId, kind);
      throw error;
    }
    const created = await this.get(task.projectId, task.instanceId, task.id, kind);
    if (created === undefined) throw new Error(`task ${task.id} vanished right after insert`);
    return created;
  }

  /**
   * Creates the auto task of a daily slot, exactly once across processes and atomically with
   * its ledger row: either both are written or neither (a crash in between leaves the slot
   * free for the next pass). Returns what happened to the slot.
   */
  async insertScheduled(task: NewTask & { scanType: 'auto' }, slot: string, now: Date): Promise<'created' | 'skipped' | 'taken' | 'gone'> {
    const kind = task.kind ?? 'hot';
    try {
      return await this.db.transaction().execute(async (trx) => {
        if (!(await instanceStillExists(trx, this.capabilities, task.instanceId))) {
          // A schedule left behind by a delete that raced its PUT: drop it so it stops firing.
          await trx.deleteFrom('autoscan_configs').where('instance_id', '=', task.instanceId).execute();
          return 'gone';
        }
        const ledger = await trx
          .insertInto('autoscan_runs')
          .values({ instance_id: task.instanceId, kind, slot, task_id: null, outcome: 'claimed', created_at: now.toISOString() })
          .onConflict((oc) => oc.columns(['instance_id', 'kind', 'slot']).doNothing())
          .executeTakeFirst();
        if (Number(ledger.numInsertedOrUpdatedRows ?? 0n) !== 1) return 'taken';
        const active = await trx
          .selectFrom('hotkey_tasks')
          .select('id')
          .where('instance_id', '=', task.instanceId)
          .where('kind', '=', kind)
          .where('scan_type', '=', 'auto')
          .where('status', 'in', ['waiting', 'running'])
          .executeTakeFirst();
        const outcome = active === undefined ? 'created' : 'skipped: the previous automatic analysis of this instance is still waiting or running';
        if (active === undefined) {
          await trx
            .insertInto('hotkey_tasks')
            .values({
              id: task.id,
              project_id: task.projectId,
              instance_id: task.instanceId,
              kind,
              status: 'waiting',
              scan_type: 'auto',
              created_at: task.createdAt,
              num: 0,
              attempts: 0,
              options_json: task.options == null ? null : JSON.stringify(task.options),
            })
            .execute();
          await this.enforceRetention(trx, task.instanceId, kind);
        }
        await trx
          .updateTable('autoscan_runs')
          .set({ task_id: active === undefined ? task.id : null, outcome })
          .where('instance_id', '=', task.instanceId)
          .where('kind', '=', kind)
          .where('slot', '=', slot)
          .execute();
        return active === undefined ? 'created' : 'skipped';
      });
    } catch (error) {
      // Another process won the slot or the task between our reads: it is handled there.
      if (classifySqlError(error) === 'unique-violation') return 'taken';
      throw error;
    }
  }

  /** Keeps at most maxTasksPerInstance tasks of an instance and kind, deleting the oldest finished first. */
  private async enforceRetention(trx: Transaction<Database>, instanceId: string, kind: TaskKind): Promise<void> {
    const { count } = await trx
      .selectFrom('hotkey_tasks')
      .select((eb) => eb.fn.countAll<number | string>().as('count'))
      .where('instance_id', '=', instanceId)
      .where('kind', '=', kind)
      .executeTakeFirstOrThrow();
    const excess = Number(count) - this.settings.maxTasksPerInstance;
    if (excess <= 0) return;
    const victims = await trx
      .selectFrom('hotkey_tasks')
      .select('id')
      .where('instance_id', '=', instanceId)
      .where('kind', '=', kind)
      .where('status', 'in', ['success', 'failed'])
      .orderBy('created_at')
      .orderBy('id')
      .limit(excess)
      .execute();
    if (victims.length > 0) await trx.deleteFrom('hotkey_tasks').where('id', 'in', victims.map((v) => v.id)).execute();
  }

  /** A task of the instance and kind: a hot key id asked for as a big key task is not found, and the reverse. */
  async get(projectId: string, instanceId: string, id: string, kind: TaskKind = 'hot'): Promise<Task | undefined> {
    const row = await this.db
      .selectFrom('hotkey_tasks')
      .select(TASK_COLUMNS)
      .select(this.boundedResult())
      .where('id', '=', id)
      .where('project_id', '=', projectId)
      .where('instance_id', '=', instanceId)
      .where('kind', '=', kind)
      .executeTakeFirst();
    return row === undefined ? undefined : toTask(row, this.maxResultBytes);
  }

  /** The instance's most recently finished successful task of a kind, if any (the trend compares with it). */
  async latestSuccess(instanceId: string, kind: TaskKind = 'hot'): Promise<Task | undefined> {
    const row = await this.db
      .selectFrom('hotkey_tasks')
      .select(TASK_COLUMNS)
      .select(this.boundedResult())
      .where('instance_id', '=', instanceId)
      .where('kind', '=', kind)
      .where('status', '=', 'success')
      .orderBy('finished_at', 'desc')
      .orderBy('id', 'desc')
      .executeTakeFirst();
    return row === undefined ? undefined : toTask(row, this.maxResultBytes);
  }

  /** The id of the instance's most recently finished successful task of a kind: one small read, to look up what was made of it before. */
  async latestSuccessId(instanceId: string, kind: TaskKind = 'hot'): Promise<string | undefined> {
    const row = await this.db
      .selectFrom('hotkey_tasks')
      .select('id')
      .where('instance_id', '=', instanceId)
      .where('kind', '=', kind)
      .where('status', '=', 'success')
      .orderBy('finished_at', 'desc')
      .orderBy('id', 'desc')
      .executeTakeFirst();
    return row?.id;
  }

  /** The waiting or running task of an instance and kind, if any. */
  async findActive(instanceId: string, kind: TaskKind = 'hot'): Promise<Task | undefined> {
    const row = await this.db
      .selectFrom('hotkey_tasks')
      .select(TASK_COLUMNS)
      .select(this.boundedResult())
      .where('instance_id', '=', instanceId)
      .where('kind', '=', kind)
      .where('status', 'in', ['waiting', 'running'])
      .orderBy('created_at')
      .executeTakeFirst();
    return row === undefined ? undefined : toTask(row, this.maxResultBytes);
  }

  /** Every waiting or running task of an instance, of both kinds (deleting the instance stops them). */
  async activeOf(instanceId: string): Promise<Task[]> {
    const rows = await this.db.selectFrom('hotkey_tasks').select(TASK_COLUMNS).select(this.boundedResult()).where('instance_id', '=', instanceId).where('status', 'in', ['waiting', 'running']).execute();
    return rows.map((row) => toTask(row, this.maxResultBytes));
  }

  async getById(id: string): Promise<Task | undefined> {
    const row = await this.db.selectFrom('hotkey_tasks').select(TASK_COLUMNS).select(this.boundedResult()).where('id', '=', id).executeTakeFirst();
    return row === undefined ? undefined : toTask(row, this.maxResultBytes);
  }

  /** Newest first. Records carry no keys (the list never shows them). */
  async list(
    projectId: string,
    instanceId: string,
    page: { offset: number; limit: number; status?: TaskStatus | undefined },
    kind: TaskKind = 'hot',
  ): Promise<TaskPage> {
    let query = this.db
      .selectFrom('hotkey_tasks')
      .where('project_id', '=', projectId)
      .where('instance_id', '=', instanceId)
      .where('kind', '=', kind);
    if (page.status !== undefined) query = query.where('status', '=', page.status);
    const total = await query
      .select((eb) => [eb.fn.countAll<number | string>().as('count'), eb.fn.coalesce(eb.fn.sum<number | string>('num'), eb.lit(0)).as('num_total')])
      .executeTakeFirstOrThrow();
    const rows = await query
      .select(TASK_COLUMNS)
      .orderBy('created_at', 'desc')
      .orderBy('id', 'desc')
      .limit(page.limit)
      .offset(page.offset)
      .execute();
    return { count: Number(total.count), numTotal: Number(total.num_total), records: rows.map((row) => toTask({ ...row, result_json: null, result_bytes: null })) };
  }

  private get maxResultBytes(): number {
    return this.settings.maxResultBytes ?? DEFAULT_MAX_RESULT_BYTES;
  }

  /**
   * The result column, read only when its size is within the bound (the database measures it:
   * a larger one never leaves it), and that size.
   */
  private boundedResult() {
    const bytes = this.capabilities.dialect === 'postgres' ? sql<number | null>`octet_length(result_json)` : sql<number | null>`length(cast(result_json as blob))`;
    return [sql<string | null>`case when ${bytes} > ${this.maxResultBytes} then null else result_json end`.as('result_json'), bytes.as('result_bytes')] as const;
  }

  /** Deletes and returns the task as it was. */
  async delete(projectId: string, instanceId: string, id: string, kind: TaskKind = 'hot'): Promise<Task | undefined> {
    const existing = await this.get(projectId, instanceId, id, kind);
    if (existing === undefined) return undefined;
    const result = await this.db.deleteFrom('hotkey_tasks').where('id', '=', id).executeTakeFirst();
    return result.numDeletedRows > 0n ? existing : undefined;
  }
}
