/**
 * Runs hot key tasks in this process: claims waiting tasks (compare-and-set in the store),
 * holds a lease it renews while the analysis runs, records progress and the outcome.
 * A task's status changes only through the store's CAS methods called from here and from
 * the task service (create, delete); this class logs every change it makes.
 */
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { Instance } from '../domain/instance.js';
import type { Task, TaskProgress } from '../domain/task.js';
import { AnalysisRefused } from '../engine/analysis-errors.js';
import type { AnalysisOptions } from '../engine/analysis-options.js';
import type { AnalysisResult, AnalysisTarget } from '../engine/analyze-deployment.js';
import { RedisFailure } from '../redis/classify-redis-error.js';
import type { Store } from '../storage/store.js';

export type Analyze = (target: AnalysisTarget, options: Partial<AnalysisOptions>) => Promise<AnalysisResult>;

export interface RunnerSettings {
  readonly concurrency: number;
  readonly pollIntervalMs: number;
  readonly leaseMs: number;
  readonly maxAttempts: number;
  /** Options passed to every analysis (top-K, batch size, timeouts). */
  readonly analysis: Omit<AnalysisOptions, 'signal' | 'onProgress'>;
}

/** Why a running analysis was stopped, so the runner knows what to write afterwards. */
type StopReason = 'cancelled' | 'shutdown' | 'lease-lost';

interface Running {
  readonly task: Task;
  readonly controller: AbortController;
  stopReason: StopReason | null;
  readonly done: Promise<void>;
}

const PROGRESS_INTERVAL_MS = 1000;

export class TaskRunner {
  readonly runnerId = randomUUID();
  private readonly running = new Map<string, Running>();
  private stopped = true;
  private pollTimer: NodeJS.Timeout | null = null;
  private polling: Promise<void> | null = null;
  private pollAgain = false;
  private cutGrace: (() => void) | null = null;
  private hurried = false;

  constructor(
    private readonly store: Store,
    private readonly analyze: Analyze,
    private readonly settings: RunnerSettings,
    private readonly logger: Logger,
    private readonly now: () => Date = () => new Date(),
  ) {}

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

  /** Stops the analysis of a task that is being deleted; resolves once it has stopped. */
  async cancel(taskId: string): Promise<void> {
    const run = this.running.get(taskId);
    if (run === undefined) return;
    run.stopReason = 'cancelled';
    run.controller.abort(new Error('task cancelled'));
    await run.done;
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
      run.controller.abort(new Error('keyheat is shutting down'));
    }
    await allDone;
  }

  private async poll(): Promise<void> {
    try {
      while (!this.stopped && this.running.size < this.settings.concurrency) {
        const task = await this.store.tasks.claimNext(this.runnerId, this.now(), this.settings.leaseMs);
        if (task === undefined) return;
        this.launch(task);
      }
    } catch (error) {
      this.logger.error({ err: error }, 'claiming a task failed; retrying at the next poll');
    }
  }

  private launch(task: Task): void {
    const controller = new AbortController();
    const run: Running = { task, controller, stopReason: null, done: Promise.resolve() };
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
      await this.finishFailed(task, 'the instance was deleted', log);
      return;
    }
    const stopLease = this.keepLease(run, log);
    try {
      const result = await this.analyze(targetOf(instance), {
        ...this.settings.analysis,
        ...(task.options?.batchSize === undefined ? {} : { batchSize: task.options.batchSize }),
        ...(task.options?.busyBatchSize === undefined ? {} : { busyBatchSize: task.options.busyBatchSize }),
        ...(task.options?.rateLimit === undefined ? {} : { rateLimit: task.options.rateLimit }),
        signal: run.controller.signal,
        onProgress: this.progressRecorder(task, log),
      });
      if (run.stopReason !== null) return this.afterStop(run, log);
      const stored = await this.store.tasks.complete(task.id, this.runnerId, result, this.now());
      if (stored) {
        log.info({ status: 'success', num: result.keys.length, scanned_keys: result.stats.scannedKeys, duration_ms: result.stats.durationMs }, 'task status changed');
        await this.store.instances.updateHealth(instance.id, 'RUNNING', null, this.now());
      } else {
        log.warn('analysis finished but the task was deleted or taken over meanwhile; result dropped');
      }
    } catch (error) {
      if (run.stopReason !== null) return this.afterStop(run, log);
      await this.finishFailed(task, failureReason(error, log), log);
      if (error instanceof RedisFailure && (error.kind === 'unreachable' || error.kind === 'timeout' || error.kind === 'auth')) {
        await this.store.instances.updateHealth(instance.id, 'ERROR', null, this.now());
      }
    } finally {
      stopLease();
    }
  }

  private async afterStop(run: Running, log: Logger): Promise<void> {
    if (run.stopReason === 'shutdown') {
      const released = await this.store.tasks.release(run.task.id, this.runnerId);
      log.info({ status: released ? 'waiting' : 'unchanged' }, 'analysis stopped for shutdown; task handed back');
    } else {
      log.info({ reason: run.stopReason }, 'analysis stopped');
    }
  }

  private async finishFailed(task: Task, reason: string, log: Logger): Promise<void> {
    const stored = await this.store.tasks.fail(task.id, this.runnerId, reason, this.now());
    if (stored) log.warn({ status: 'failed', error_msg: reason }, 'task status changed');
  }

  /**
   * Renews the lease; losing it (task deleted, or taken over after a stall) stops the analysis.
   * At least once a second, so a task deleted through another process stops within about a second.
   */
  private keepLease(run: Running, log: Logger): () => void {
    const interval = Math.max(200, Math.min(1000, Math.floor(this.settings.leaseMs / 3)));
    const timer = setInterval(() => {
      this.store.tasks
        .renewLease(run.task.id, this.runnerId, this.now(), this.settings.leaseMs)
        .then((held) => {
          if (!held && run.stopReason === null) {
            run.stopReason = 'lease-lost';
            run.controller.abort(new Error('task lease lost'));
            log.warn('task was deleted or taken over; stopping its analysis');
          }
        })
        .catch((error: unknown) => log.error({ err: error }, 'renewing the task lease failed'));
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
      this.store.tasks
        .recordProgress(task.id, this.runnerId, { nodes })
        .catch((error: unknown) => log.error({ err: error }, 'recording progress failed'));
    };
  }
}

export function targetOf(instance: Instance): AnalysisTarget {
  return { endpoint: instance.endpoint };
}

/** A reason a user can act on; internals go to the log, not to the task. */
function failureReason(error: unknown, log: Logger): string {
  if (error instanceof AnalysisRefused) return `hot key analysis is not supported: ${error.message}`;
  if (error instanceof RedisFailure) return error.message;
  log.error({ err: error }, 'analysis failed unexpectedly');
  return 'internal error during the analysis (see the keyheat log)';
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}
