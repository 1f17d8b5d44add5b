/**
 * The task queue: claiming waiting tasks, leases, progress and the outcome. Every status change
 * is a compare-and-set on (id, status[, runner]) whose affected row count is checked: a runner
 * that lost its lease cannot overwrite the new owner.
 */
import type { Kysely } from 'kysely';
import type { ActiveTaskCounts } from '../domain/telemetry.js';
import { canTransition, type TaskStatus } from '../domain/task-status.js';
import { outcomeNum, type Task, type TaskOutcome, type TaskProgress } from '../domain/task.js';
import { classifySqlError } from './classify-sql-error.js';
import type { StoreCapabilities } from './database.js';
import type { Database } from './schema.js';
import { toTask, type TaskRow } from './task-rows.js';
import { findingsOf } from '../domain/findings.js';
import { fitOutcome } from '../domain/result-size.js';
import { DEFAULT_MAX_RESULT_BYTES } from './task-records.js';

/** A claimed task, now running; `takenOver` when its previous runner's lease had run out. */
export type ClaimedTask = Task & { readonly takenOver: boolean };

export class TaskQueue {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly capabilities: StoreCapabilities,
    /** retention.max_result_bytes: a stored result never exceeds it. */
    private readonly maxResultBytes: number = DEFAULT_MAX_RESULT_BYTES,
  ) {}

  /**
   * Claims the oldest runnable task: a waiting one whose instance has no live analysis of its
   * kind (a hot and a big key analysis of one instance may run together), or a
   * running one whose runner's lease ran out (that runner died). Returns it as now running.
   * On PostgreSQL the candidate row is locked FOR UPDATE SKIP LOCKED, so concurrent claimers
   * pass over each other; the partial unique index on running tasks keeps a second analysis of
   * the same instance out even when two claimers pick different tasks of it.
   * Tasks of `skipProjects` are passed over (the claimer runs as many of theirs as it may), and
   * so are `runningHere`, the tasks the claimer is running: a stalled event loop or a wall clock
   * jump can make its own lease look expired, and it must never start a task it already runs.
   * Taking over an expired lease is a compare-and-set on the previous runner and expiry (the lease token).
   */
  async claimNext(
    runnerId: string,
    now: Date,
    leaseMs: number,
    skipProjects: readonly string[] = [],
    runningHere: readonly string[] = [],
  ): Promise<ClaimedTask | undefined> {
    const nowText = now.toISOString();
    try {
      return await this.db.transaction().execute(async (trx) => {
        let select = trx
          .selectFrom('hotkey_tasks as t')
          .select(['t.id', 't.status', 't.lease_expires_at', 't.runner_id'])
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
                      .whereRef('r.kind', '=', 't.kind')
                      .where('r.status', '=', 'running'),
                  ),
                ),
              ]),
              eb.and([eb('t.status', '=', 'running'), eb('t.lease_expires_at', '<', nowText)]),
            ]),
          )
          .$if(skipProjects.length > 0, (q) => q.where('t.project_id', 'not in', [...skipProjects]))
          .$if(runningHere.length > 0, (q) => q.where('t.id', 'not in', [...runningHere]))
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
        if (candidate.status === 'running') {
          update = update.where('lease_expires_at', '=', candidate.lease_expires_at).where('runner_id', candidate.runner_id === null ? 'is' : '=', candidate.runner_id);
        }
        const result = await update.executeTakeFirst();
        if (result.numUpdatedRows !== 1n) return undefined;
        // A claimed task has no result yet: the row is small.
        const row = await trx.selectFrom('hotkey_tasks').selectAll().where('id', '=', candidate.id).executeTakeFirstOrThrow();
        return { ...toTask(row), takenOver: candidate.status === 'running' };
      });
    } catch (error) {
      // Another process started an analysis of the same instance first: nothing to claim now.
      if (classifySqlError(error) === 'unique-violation') return undefined;
      throw error;
    }
  }

  /** Waiting and running tasks of every project: the queue every process sharing this database sees. */
  async countActive(): Promise<ActiveTaskCounts> {
    const rows = await this.db
      .selectFrom('hotkey_tasks')
      .select((eb) => ['status', eb.fn.countAll<number | string | bigint>().as('n')])
      .where('status', 'in', ['waiting', 'running'])
      .groupBy('status')
      .execute();
    const count = (status: string): number => Number(rows.find((row) => row.status === status)?.n ?? 0);
    return { waiting: count('waiting'), running: count('running') };
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

  /** Stores the outcome within maxResultBytes (domain/result-size.ts: a larger one keeps the head of each list). */
  async complete(id: string, runnerId: string, outcome: TaskOutcome, now: Date): Promise<boolean> {
    const fitted = fitOutcome(outcome, this.maxResultBytes);
    return this.transition(id, 'running', 'success', runnerId, {
      finished_at: now.toISOString(),
      num: outcomeNum(fitted),
      result_json: JSON.stringify(fitted),
      // From the whole outcome: the saturated count and the biggest keys are the result's before any trimming.
      findings_json: JSON.stringify(findingsOf(outcome)),
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
  private async transition(id: string, from: TaskStatus, to: TaskStatus, runnerId: string | null, values: Partial<TaskRow>): Promise<boolean> {
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

