/**
 * Hot key tasks. Every status change is a compare-and-set on (id, status[, runner]) whose
 * affected row count is checked: a runner that lost its lease cannot overwrite the new owner.
 */
import type { Kysely, Selectable, Transaction } from 'kysely';
import type { StoreCapabilities } from './database.js';
import type { AnalysisStats, HotKey } from '../domain/hot-key.js';
import { canTransition, isScanType, isTaskStatus, type ScanType, type TaskStatus } from '../domain/task-status.js';
import type { Task, TaskOptions, TaskProgress } from '../domain/task.js';
import { classifySqlError } from './classify-sql-error.js';
import type { Database, HotkeyTasksTable } from './schema.js';

/** Another task of the instance is already waiting or running. */
export class TaskActiveConflict extends Error {
  constructor(readonly instanceId: string) {
    super(`a hot key task of instance ${instanceId} is already waiting or running`);
    this.name = 'TaskActiveConflict';
  }
}

export interface NewTask {
  readonly id: string;
  readonly projectId: string;
  readonly instanceId: string;
  readonly scanType: ScanType;
  readonly createdAt: string;
  readonly options?: TaskOptions | null;
}

export interface TaskPage {
  /** All tasks matching the filter, not only this page. */
  readonly count: number;
  readonly records: readonly Task[];
}

export interface AnalysisOutcome {
  readonly keys: readonly HotKey[];
  readonly stats: AnalysisStats;
}

type Row = Selectable<HotkeyTasksTable>;

export interface TaskRepositorySettings {
  /** Tasks kept per instance; creating one more deletes the oldest finished ones. */
  readonly maxTasksPerInstance: number;
}

export class TaskRepository {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly capabilities: StoreCapabilities,
    private readonly settings: TaskRepositorySettings,
  ) {}

  /**
   * Inserts a task unless one of the instance is waiting or running. The check and the insert
   * share a transaction, and the partial unique index catches what a check alone could miss.
   */
  async insert(task: NewTask): Promise<Task> {
    try {
      await this.db.transaction().execute(async (trx) => {
        // A manual task waits for nothing; an auto task may queue behind a running manual one.
        const active = await trx
          .selectFrom('hotkey_tasks')
          .select('id')
          .where('instance_id', '=', task.instanceId)
          .where('status', 'in', ['waiting', 'running'])
          .$if(task.scanType === 'auto', (q) => q.where('scan_type', '=', 'auto'))
          .executeTakeFirst();
        if (active !== undefined) throw new TaskActiveConflict(task.instanceId);
        await trx
          .insertInto('hotkey_tasks')
          .values({
            id: task.id,
            project_id: task.projectId,
            instance_id: task.instanceId,
            status: 'waiting',
            scan_type: task.scanType,
            created_at: task.createdAt,
            num: 0,
            attempts: 0,
            options_json: task.options === undefined || task.options === null ? null : JSON.stringify(task.options),
          })
          .execute();
        await this.enforceRetention(trx, task.instanceId);
      });
    } catch (error) {
      if (classifySqlError(error) === 'unique-violation') throw new TaskActiveConflict(task.instanceId);
      throw error;
    }
    const created = await this.get(task.projectId, task.instanceId, task.id);
    if (created === undefined) throw new Error(`task ${task.id} vanished right after insert`);
    return created;
  }

  /**
   * Creates the auto task of a daily slot, exactly once across processes and atomically with
   * its ledger row: either both are written or neither (a crash in between leaves the slot
   * free for the next pass). Returns what happened to the slot.
   */
  async insertScheduled(task: NewTask & { scanType: 'auto' }, slot: string, now: Date): Promise<'created' | 'skipped' | 'taken'> {
    try {
      return await this.db.transaction().execute(async (trx) => {
        const ledger = await trx
          .insertInto('autoscan_runs')
          .values({ instance_id: task.instanceId, slot, task_id: null, outcome: 'claimed', created_at: now.toISOString() })
          .onConflict((oc) => oc.columns(['instance_id', 'slot']).doNothing())
          .executeTakeFirst();
        if (Number(ledger.numInsertedOrUpdatedRows ?? 0n) !== 1) return 'taken';
        const active = await trx
          .selectFrom('hotkey_tasks')
          .select('id')
          .where('instance_id', '=', task.instanceId)
          .where('scan_type', '=', 'auto')
          .where('status', 'in', ['waiting', 'running'])
          .executeTakeFirst();
        const outcome = active === undefined ? 'created' : 'skipped: the previous automatic analysis of this instance is still waiting or running';
        if (active === undefined) {
          await trx
            .insertInto('hotkey_tasks')
            .values({ id: task.id, project_id: task.projectId, instance_id: task.instanceId, status: 'waiting', scan_type: 'auto', created_at: task.createdAt, num: 0, attempts: 0 })
            .execute();
          await this.enforceRetention(trx, task.instanceId);
        }
        await trx
          .updateTable('autoscan_runs')
          .set({ task_id: active === undefined ? task.id : null, outcome })
          .where('instance_id', '=', task.instanceId)
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

  /** Keeps at most maxTasksPerInstance tasks of an instance, deleting the oldest finished first. */
  private async enforceRetention(trx: Transaction<Database>, instanceId: string): Promise<void> {
    const { count } = await trx
      .selectFrom('hotkey_tasks')
      .select((eb) => eb.fn.countAll<number | string>().as('count'))
      .where('instance_id', '=', instanceId)
      .executeTakeFirstOrThrow();
    const excess = Number(count) - this.settings.maxTasksPerInstance;
    if (excess <= 0) return;
    const victims = await trx
      .selectFrom('hotkey_tasks')
      .select('id')
      .where('instance_id', '=', instanceId)
      .where('status', 'in', ['success', 'failed'])
      .orderBy('created_at')
      .orderBy('id')
      .limit(excess)
      .execute();
    if (victims.length > 0) await trx.deleteFrom('hotkey_tasks').where('id', 'in', victims.map((v) => v.id)).execute();
  }

  async get(projectId: string, instanceId: string, id: string): Promise<Task | undefined> {
    const row = await this.db
      .selectFrom('hotkey_tasks')
      .selectAll()
      .where('id', '=', id)
      .where('project_id', '=', projectId)
      .where('instance_id', '=', instanceId)
      .executeTakeFirst();
    return row === undefined ? undefined : toTask(row);
  }

  /** The waiting or running task of an instance, if any. */
  async findActive(instanceId: string): Promise<Task | undefined> {
    const row = await this.db
      .selectFrom('hotkey_tasks')
      .selectAll()
      .where('instance_id', '=', instanceId)
      .where('status', 'in', ['waiting', 'running'])
      .orderBy('created_at')
      .executeTakeFirst();
    return row === undefined ? undefined : toTask(row);
  }

  async getById(id: string): Promise<Task | undefined> {
    const row = await this.db.selectFrom('hotkey_tasks').selectAll().where('id', '=', id).executeTakeFirst();
    return row === undefined ? undefined : toTask(row);
  }

  /** Newest first. Records carry no keys (the list never shows them). */
  async list(
    projectId: string,
    instanceId: string,
    page: { offset: number; limit: number; status?: TaskStatus | undefined },
  ): Promise<TaskPage> {
    let query = this.db
      .selectFrom('hotkey_tasks')
      .where('project_id', '=', projectId)
      .where('instance_id', '=', instanceId);
    if (page.status !== undefined) query = query.where('status', '=', page.status);
    const total = await query.select((eb) => eb.fn.countAll<number | string>().as('count')).executeTakeFirstOrThrow();
    const rows = await query
      .select(['id', 'project_id', 'instance_id', 'status', 'scan_type', 'created_at', 'started_at', 'finished_at', 'num', 'error_msg', 'attempts', 'progress_json', 'runner_id', 'lease_expires_at', 'options_json'])
      .orderBy('created_at', 'desc')
      .orderBy('id', 'desc')
      .limit(page.limit)
      .offset(page.offset)
      .execute();
    return { count: Number(total.count), records: rows.map((row) => toTask({ ...row, result_json: null })) };
  }

  /** Deletes and returns the task as it was. */
  async delete(projectId: string, instanceId: string, id: string): Promise<Task | undefined> {
    const existing = await this.get(projectId, instanceId, id);
    if (existing === undefined) return undefined;
    const result = await this.db.deleteFrom('hotkey_tasks').where('id', '=', id).executeTakeFirst();
    return result.numDeletedRows > 0n ? existing : undefined;
  }

  /**
   * Claims the oldest runnable task: a waiting one whose instance has no live analysis, or a
   * running one whose runner's lease ran out (that runner died). Returns it as now running.
   * On PostgreSQL the candidate row is locked FOR UPDATE SKIP LOCKED, so concurrent claimers
   * pass over each other; the partial unique index on running tasks keeps a second analysis of
   * the same instance out even when two claimers pick different tasks of it.
   */
  async claimNext(runnerId: string, now: Date, leaseMs: number): Promise<Task | undefined> {
    const nowText = now.toISOString();
    try {
      return await this.db.transaction().execute(async (trx) => {
        let select = trx
          .selectFrom('hotkey_tasks as t')
          .select(['t.id', 't.status', 't.lease_expires_at'])
          .where((eb) =>
            eb.or([
              eb.and([
                eb('t.status', '=', 'waiting'),
                eb.not(
                  eb.exists(
                    eb
                      .selectFrom('hotkey_tasks as r')
                      .select('r.id')
                      .whereRef('r.instance_id', '=', 't.instance_id')
                      .where('r.status', '=', 'running'),
                  ),
                ),
              ]),
              eb.and([eb('t.status', '=', 'running'), eb('t.lease_expires_at', '<', nowText)]),
            ]),
          )
          .orderBy('t.created_at')
          .orderBy('t.id')
          .limit(1);
        if (this.capabilities.supportsSkipLocked) select = select.forUpdate('t').skipLocked();
        const candidate = await select.executeTakeFirst();
        if (candidate === undefined) return undefined;
        let update = trx
          .updateTable('hotkey_tasks')
          .set((eb) => ({
            status: 'running',
            started_at: nowText,
            runner_id: runnerId,
            lease_expires_at: new Date(now.getTime() + leaseMs).toISOString(),
            attempts: eb('attempts', '+', 1),
            progress_json: null,
          }))
          .where('id', '=', candidate.id)
          .where('status', '=', candidate.status);
        if (candidate.status === 'running') update = update.where('lease_expires_at', '=', candidate.lease_expires_at);
        const result = await update.executeTakeFirst();
        if (result.numUpdatedRows !== 1n) return undefined;
        const row = await trx.selectFrom('hotkey_tasks').selectAll().where('id', '=', candidate.id).executeTakeFirstOrThrow();
        return toTask(row);
      });
    } catch (error) {
      // Another process started an analysis of the same instance first: nothing to claim now.
      if (classifySqlError(error) === 'unique-violation') return undefined;
      throw error;
    }
  }

  async renewLease(id: string, runnerId: string, now: Date, leaseMs: number): Promise<boolean> {
    const result = await this.db
      .updateTable('hotkey_tasks')
      .set({ lease_expires_at: new Date(now.getTime() + leaseMs).toISOString() })
      .where('id', '=', id)
      .where('status', '=', 'running')
      .where('runner_id', '=', runnerId)
      .executeTakeFirst();
    return result.numUpdatedRows === 1n;
  }

  async recordProgress(id: string, runnerId: string, progress: TaskProgress): Promise<boolean> {
    const result = await this.db
      .updateTable('hotkey_tasks')
      .set({ progress_json: JSON.stringify(progress) })
      .where('id', '=', id)
      .where('status', '=', 'running')
      .where('runner_id', '=', runnerId)
      .executeTakeFirst();
    return result.numUpdatedRows === 1n;
  }

  async complete(id: string, runnerId: string, outcome: AnalysisOutcome, now: Date): Promise<boolean> {
    return this.transition(id, 'running', 'success', runnerId, {
      finished_at: now.toISOString(),
      num: outcome.keys.length,
      result_json: JSON.stringify(outcome),
    });
  }

  /** Fails a running task held by `runnerId`, or (runnerId null) a waiting task that cannot start. */
  async fail(id: string, runnerId: string | null, reason: string, now: Date): Promise<boolean> {
    return this.transition(id, runnerId === null ? 'waiting' : 'running', 'failed', runnerId, {
      finished_at: now.toISOString(),
      error_msg: reason.slice(0, 1024),
    });
  }

  /** Hands a running task back to the queue (graceful shutdown), keeping nothing of the attempt. */
  async release(id: string, runnerId: string): Promise<boolean> {
    return this.transition(id, 'running', 'waiting', runnerId, { started_at: null, progress_json: null });
  }

  /**
   * For a store owned by one process: every task still marked running at start-up belongs to a
   * previous life of this process, so its lease is void now rather than when it runs out.
   */
  async expireAllLeases(now: Date): Promise<number> {
    const result = await this.db
      .updateTable('hotkey_tasks')
      .set({ lease_expires_at: new Date(now.getTime() - 1).toISOString() })
      .where('status', '=', 'running')
      .executeTakeFirst();
    return Number(result.numUpdatedRows);
  }

  /**
   * The one compare-and-set every status change after creation goes through: it moves the task
   * only if it is still in `from` (and, for a running task, still held by `runnerId`).
   */
  private async transition(id: string, from: TaskStatus, to: TaskStatus, runnerId: string | null, values: Partial<Row>): Promise<boolean> {
    if (!canTransition(from, to)) throw new Error(`illegal task transition ${from} -> ${to}`);
    let update = this.db
      .updateTable('hotkey_tasks')
      .set({ ...values, status: to, runner_id: null, lease_expires_at: null })
      .where('id', '=', id)
      .where('status', '=', from);
    if (runnerId !== null) update = update.where('runner_id', '=', runnerId);
    const result = await update.executeTakeFirst();
    return result.numUpdatedRows === 1n;
  }
}

function toTask(row: Row): Task {
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
    errorMsg: row.error_msg,
    progress: row.status === 'running' && row.progress_json !== null ? (JSON.parse(row.progress_json) as TaskProgress) : null,
    attempts: row.attempts,
    options: row.options_json === null ? null : (JSON.parse(row.options_json) as TaskOptions),
  };
}
