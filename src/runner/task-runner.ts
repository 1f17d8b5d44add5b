/**
 * Runs tasks of every kind in this process (each through its kind's row, kind-runs.ts): claims waiting tasks (compare-and-set in the store),
 * holds a lease it renews while the analysis runs, records progress and the outcome.
 * A task's status changes only through the store's CAS methods called from here and from
 * the task service (create, delete); this class logs every change it makes.
 */
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import { describeFailure, meaningOf } from '../domain/failure-map.js';
import { SECRET_UNREADABLE_REASON } from '../domain/instance.js';
import { RedisFailure } from '../domain/redis-failure.js';
import { compareWithPrevious } from '../analysis/trend.js';
import { definedOptions, outcomeNum, type AnalysisOutcome, type Task, type TaskProgress } from '../domain/task.js';
import type { Telemetry } from '../domain/telemetry.js';
import { NO_TASK_EVENTS, type TaskEvents } from '../domain/webhook-events.js';
import type { AnalysisOptions } from '../engine/analysis-options.js';
import type { AnalysisResult } from '../engine/analyze-deployment.js';
import type { Store } from '../storage/store.js';
import { runKind, type Analyzers, type KindContext } from './kind-runs.js';
import { retryWhileStoreUnavailable } from './store-retry.js';

export interface RunnerSettings {
  readonly concurrency: number;
  /** Analyses of one project this process runs at once: one tenant cannot take every slot. */
  readonly maxRunningPerProject: number;
  readonly pollIntervalMs: number;
  readonly leaseMs: number;
  readonly maxAttempts: number;
  /** Options passed to every analysis (top-K, batch size, timeouts). */
  readonly analysis: Omit<AnalysisOptions, 'signal' | 'onProgress'>;
  /** What makes a key big, for big key tasks without their own (config bigkeys.*). */
  readonly bigKeys: KindContext['bigKeys'];
  /** Where offline key analyses find saved backups: <backupDir>/<instance_id>/<backup_id>. */
  readonly backupDir: string;
}

/** Why a running analysis was stopped, so the runner knows what to write afterwards. */
type StopReason = 'cancelled' | 'shutdown' | 'lease-lost';

interface Running {
  readonly task: Task;
  readonly controller: AbortController;
  stopReason: StopReason | null;
  /** Released to the queue already (by afterStop, or by stop() when the analysis was slow to unwind). */
  handedBack: boolean;
  readonly done: Promise<void>;
}

const PROGRESS_INTERVAL_MS = 1000;
/**
 * How long a cancel or a stop waits for an aborted analysis to unwind. Aborting closes every
 * connection, so this is normally milliseconds; past it the task is handed back or left
 * deleted regardless, and whatever the analysis still writes is refused by the CAS on the runner.
 */
const UNWIND_WAIT_MS = 1500;

export class TaskRunner {
  readonly runnerId = randomUUID();
  private readonly running = new Map<string, Running>();
  private stopped = true;
  private pollTimer: NodeJS.Timeout | null = null;
  private polling: Promise<void> | null = null;
  private pollAgain = false;
  private cutGrace: (() => void) | null = null;
  private hurried = false;
  private readonly kindContext: KindContext;

  constructor(
    private readonly store: Store,
    private readonly analyzers: Analyzers,
    private readonly settings: RunnerSettings,
    private readonly logger: Logger,
    private readonly telemetry: Telemetry,
    private readonly now: () => Date = () => new Date(),
    /** Where finished tasks are reported (webhooks); it only queues, never waits. */
    private readonly events: TaskEvents = NO_TASK_EVENTS,
  ) {
    this.kindContext = {
      analyzers,
      bigKeys: settings.bigKeys,
      backupDir: settings.backupDir,
      withTrend: (task, result) => this.whileUnavailable(() => this.withTrend(task, result), this.logger),
    };
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.logger.info({ runner_id: this.runnerId, concurrency: this.settings.concurrency }, 'task runner started');
    this.wake();
  }

  /** Looks for work now instead of at the next poll (called after a task is created). */
  wake(): void {
    if (this.stopped) return;
    if (this.polling !== null) {
      this.pollAgain = true;
      return;
    }
    if (this.pollTimer !== null) clearTimeout(this.pollTimer);
    this.pollTimer = null;
    this.polling = this.poll().finally(() => {
      this.polling = null;
      if (this.stopped) return;
      if (this.pollAgain) {
        this.pollAgain = false;
        this.wake();
      } else {
        this.pollTimer = setTimeout(() => this.wake(), this.settings.pollIntervalMs);
        this.pollTimer.unref();
      }
    });
  }

  /** Stops the analysis of a task that is being deleted; resolves once it has stopped (at most UNWIND_WAIT_MS). */
  async cancel(taskId: string): Promise<void> {
    const run = this.running.get(taskId);
    if (run === undefined) return;
    run.stopReason = 'cancelled';
    run.controller.abort(new RedisFailure('cancelled', '', 'the task was deleted'));
    await Promise.race([run.done, delay(UNWIND_WAIT_MS)]);
  }

  /** Ends the grace period of a stop in progress (or of one about to begin): hand back now. */
  hurry(): void {
    this.hurried = true;
    this.cutGrace?.();
  }

  /**
   * Stops claiming; analyses still running after `graceMs` are stopped and handed back to the
   * queue (another process, or this one's next start, runs them again).
   */
  async stop(graceMs = 0): Promise<void> {
    this.stopped = true;
    if (this.pollTimer !== null) clearTimeout(this.pollTimer);
    this.pollTimer = null;
    await this.polling;
    const runs = [...this.running.values()];
    if (runs.length === 0) return;
    const allDone = Promise.all(runs.map((run) => run.done));
    if (graceMs > 0 && !this.hurried) {
      const cut = new Promise<void>((resolve) => (this.cutGrace = resolve));
      await Promise.race([allDone, delay(graceMs), cut]);
      this.cutGrace = null;
    }
    for (const run of this.running.values()) {
      run.stopReason = 'shutdown';
      run.controller.abort(new RedisFailure('cancelled', '', 'keyheat is shutting down'));
    }
    await Promise.race([allDone, delay(UNWIND_WAIT_MS)]);
    // An analysis that did not unwind in time is handed back here; its late writes fail the CAS.
    for (const run of this.running.values()) await this.handBack(run, this.logger.child({ task_id: run.task.id }));
  }

  private async poll(): Promise<void> {
    try {
      while (!this.stopped && this.running.size < this.settings.concurrency) {
        const task = await this.store.queue.claimNext(this.runnerId, this.now(), this.settings.leaseMs, this.projectsAtCap(), [...this.running.keys()]);
        if (task === undefined) return;
        // The store already passes over tasks running here; this is the last line of defence.
        if (this.running.has(task.id)) {
          this.logger.error({ task_id: task.id }, 'claimed a task this process is already running; not starting it twice');
          return;
        }
        if (task.takenOver) {
          this.telemetry.leaseTakenOver();
          this.logger.warn({ task_id: task.id, attempt: task.attempts }, 'task taken over: its previous runner stopped renewing the lease');
        }
        this.launch(task);
      }
    } catch (error) {
      this.logger.error({ err: error }, 'claiming a task failed; retrying at the next poll');
    }
  }

  /** Projects with maxRunningPerProject analyses running here: their next tasks wait. */
  private projectsAtCap(): string[] {
    const counts = new Map<string, number>();
    for (const run of this.running.values()) counts.set(run.task.projectId, (counts.get(run.task.projectId) ?? 0) + 1);
    return [...counts].filter(([, n]) => n >= this.settings.maxRunningPerProject).map(([project]) => project);
  }

  private launch(task: Task): void {
    const controller = new AbortController();
    const run: Running = { task, controller, stopReason: null, handedBack: false, done: Promise.resolve() };
    const done = this.execute(run)
      .catch((error: unknown) => this.logger.error({ err: error, task_id: task.id }, 'task bookkeeping failed'))
      .finally(() => {
        this.running.delete(task.id);
        this.wake();
      });
    this.running.set(task.id, Object.assign(run, { done }));
  }

  private async execute(run: Running): Promise<void> {
    const { task } = run;
    const log = this.logger.child({ task_id: task.id, instance_id: task.instanceId });
    log.info({ status: 'running', attempt: task.attempts }, 'task status changed');
    if (task.attempts > this.settings.maxAttempts) {
      await this.finishFailed(task, `the analysis was interrupted ${task.attempts - 1} times (keyheat stopped while it ran); giving up`, log);
      return;
    }
    const instance = await this.store.instances.getById(task.instanceId);
    if (instance === undefined) {
      await this.finishFailed(task, 'the instance was deleted', log, null);
      return;
    }
    if (instance.secretUnreadable === true) {
      await this.finishFailed(task, SECRET_UNREADABLE_REASON, log, instance.name);
      return;
    }
    const stopLease = this.keepLease(run, log);
    const started = performance.now();
    const elapsed = (): number => (performance.now() - started) / 1000;
    try {
      const common = { ...this.settings.analysis, ...definedOptions(task.options), signal: run.controller.signal, onProgress: this.progressRecorder(task, log) };
      const result = await runKind(task, instance, common, this.kindContext);
      if (run.stopReason !== null) return this.afterStop(run, log);
      this.telemetry.analysisEnded(task.kind, 'success', elapsed(), result.scannedKeys);
      const stored = await this.whileUnavailable(() => this.store.queue.complete(task.id, this.runnerId, result.outcome, this.now()), log);
      const finished = { stored, num: outcomeNum(result.outcome), scannedKeys: result.scannedKeys, durationMs: result.durationMs };
      if (finished.stored) {
        this.telemetry.taskFinished(task.kind, 'success', task.scanType);
        this.events.taskSucceeded({ task: { ...task, num: finished.num }, instanceName: instance.name, finishedAt: this.now() }, result.outcome);
        log.info({ status: 'success', num: finished.num, scanned_keys: finished.scannedKeys, duration_ms: finished.durationMs }, 'task status changed');
        await this.store.instances.updateHealth(instance.id, 'RUNNING', null, this.now());
      } else {
        log.warn('analysis finished but the task was deleted or taken over meanwhile; result dropped');
      }
    } catch (error) {
      if (run.stopReason !== null) return this.afterStop(run, log);
      this.telemetry.analysisEnded(task.kind, 'failed', elapsed(), 0);
      if (error instanceof RedisFailure) this.telemetry.redisFailure(error.kind, 'analysis');
      await this.finishFailed(task, failureReason(error, log), log, instance.name);
      const health = error instanceof RedisFailure ? meaningOf(error).health : null;
      if (health !== null) await this.store.instances.updateHealth(instance.id, health, null, this.now());
    } finally {
      stopLease();
    }
  }

  /** A store write retried while the database is unreachable, for at most one lease (store-retry.ts). */
  private whileUnavailable<T>(write: () => Promise<T>, log: Logger): Promise<T> {
    return retryWhileStoreUnavailable(write, { budgetMs: this.settings.leaseMs, giveUp: () => this.hurried }, log);
  }

  /** The result compared with the instance's previous successful task: each key's previous counter, and the trend. */
  private async withTrend(task: Task, result: AnalysisResult): Promise<AnalysisOutcome> {
    const previous = await this.store.tasks.latestSuccess(task.instanceId, 'hot');
    const compared = compareWithPrevious(result.keys, previous === undefined ? null : { id: previous.id, keys: previous.kind === 'hot' ? (previous.result?.keys ?? []) : [] });
    return { keys: compared.keys, stats: result.stats, insights: { ...result.insights, trend: compared.trend } };
  }

  private async afterStop(run: Running, log: Logger): Promise<void> {
    if (run.stopReason === 'shutdown') await this.handBack(run, log);
    else log.info({ reason: run.stopReason }, 'analysis stopped');
  }

  private async handBack(run: Running, log: Logger): Promise<void> {
    if (run.handedBack) return;
    run.handedBack = true;
    const released = await this.store.queue.release(run.task.id, this.runnerId);
    log.info({ status: released ? 'waiting' : 'unchanged' }, 'analysis stopped for shutdown; task handed back');
  }

  /** Fails the task; `instanceName` undefined: looked up for the report (null: the instance is gone). */
  private async finishFailed(task: Task, reason: string, log: Logger, instanceName?: string | null): Promise<void> {
    const stored = await this.whileUnavailable(() => this.store.queue.fail(task.id, this.runnerId, reason, this.now()), log);
    if (!stored) return;
    this.telemetry.taskFinished(task.kind, 'failed', task.scanType);
    const name = instanceName !== undefined ? instanceName : ((await this.store.instances.getById(task.instanceId).catch(() => undefined))?.name ?? null);
    this.events.taskFailed({ task, instanceName: name, finishedAt: this.now() }, reason);
    log.warn({ status: 'failed', error_msg: reason }, 'task status changed');
  }

  /**
   * Renews the lease; losing it (task deleted, or taken over after a stall) stops the analysis.
   * At least once a second, so a task deleted through another process stops within about a second.
   */
  private keepLease(run: Running, log: Logger): () => void {
    const interval = Math.max(200, Math.min(1000, Math.floor(this.settings.leaseMs / 3)));
    // The schedule and the age of the lease are measured on the monotonic clock (setInterval and
    // performance.now()); only the expiry written to the store is wall-clock, because other
    // processes compare it with theirs.
    let renewedAt = performance.now();
    let renewing = false;
    const timer = setInterval(() => {
      // One renewal at a time: a database that hangs must not pile them up.
      if (renewing) return;
      renewing = true;
      this.store.queue
        .renewLease(run.task.id, this.runnerId, this.now(), this.settings.leaseMs)
        .then((held) => {
          if (held) renewedAt = performance.now();
          else if (run.stopReason === null) {
            run.stopReason = 'lease-lost';
            run.controller.abort(new Error('task lease lost'));
            log.warn('task was deleted or taken over; stopping its analysis');
          }
        })
        .catch((error: unknown) => {
          // A transient database failure: keep analysing. The CAS on the runner at the next
          // renewal (or at the outcome) tells whether another process took the task meanwhile.
          const unrenewedMs = Math.round(performance.now() - renewedAt);
          log.error({ err: error, unrenewed_ms: unrenewedMs, lease_ms: this.settings.leaseMs }, 'renewing the task lease failed; retrying');
        })
        .finally(() => (renewing = false));
    }, interval);
    timer.unref();
    return () => clearInterval(timer);
  }

  private progressRecorder(task: Task, log: Logger): (nodes: TaskProgress['nodes']) => void {
    let last = 0;
    return (nodes) => {
      const now = Date.now();
      if (now - last < PROGRESS_INTERVAL_MS) return;
      last = now;
      this.store.queue
        .recordProgress(task.id, this.runnerId, { nodes })
        .catch((error: unknown) => log.error({ err: error }, 'recording progress failed'));
    };
  }
}

/** A reason a user can act on (failure-map.ts); internals go to the log, not to the task. */
function failureReason(error: unknown, log: Logger): string {
  if (error instanceof RedisFailure) return describeFailure(error);
  log.error({ err: error }, 'analysis failed unexpectedly');
  return 'internal error during the analysis (see the keyheat log)';
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}
