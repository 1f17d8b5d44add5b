/**
 * Turns autoscan settings into auto tasks: at each `schedule_at` time (UTC, daily), one task
 * with scan_type "auto" per instance and kind (hot and big key schedules are independent). Every keyheat process runs this; exactly one of them
 * creates the task: the slot's row in the autoscan_runs ledger, whose primary key (instance,
 * slot) only one insert can win, is written in the same transaction as the task, so a crash
 * between the two leaves neither. Slot ids come from the UTC date and time, not from when a
 * process happens to tick, so clock jitter between processes cannot make two slots of one.
 *
 * Times missed while no process was up: a slot is still run if a process comes back within
 * `catchUpMs` of it; after that it is recorded as missed and skipped (a hot key analysis hours
 * after the peak it was meant for would mislead). A slot earlier than the moment the schedule
 * was last saved never runs.
 */
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import { latestIntervalRun, type AutoscanConfig } from '../domain/autoscan.js';
import { definedOptions, wireTime, type TaskOptions } from '../domain/task.js';
import type { Telemetry } from '../domain/telemetry.js';
import type { Store } from '../storage/store.js';
import { judgeSlot, latestOccurrence, slotId } from './daily-slots.js';

export interface SchedulerSettings {
  readonly intervalMs: number;
  readonly catchUpMs: number;
}

const LEDGER_KEEP_MS = 7 * 24 * 60 * 60 * 1000;

export class AutoscanScheduler {
  private timer: NodeJS.Timeout | null = null;
  private ticking: Promise<void> | null = null;
  private lastPrune = 0;

  constructor(
    private readonly store: Store,
    private readonly wakeRunner: () => void,
    private readonly settings: SchedulerSettings,
    private readonly logger: Logger,
    private readonly telemetry: Telemetry,
    private readonly now: () => Date = () => new Date(),
  ) {}

  start(): void {
    if (this.timer !== null) return;
    this.timer = setInterval(() => void this.tickSafely(), this.settings.intervalMs);
    this.timer.unref();
    void this.tickSafely();
  }

  async stop(): Promise<void> {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
    await this.ticking;
  }

  /** One pass over every enabled schedule. Public so tests can drive it with their own clock. */
  async tick(): Promise<number> {
    const now = this.now();
    // A tick lands some time after the minute it serves: the window is never shorter than two ticks.
    const window = Math.max(this.settings.catchUpMs, 2 * this.settings.intervalMs);
    let created = 0;
    for (const config of await this.store.autoscan.listEnabled()) {
      for (const { occurrence, slot } of occurrencesOf(config, now)) {
        const verdict = judgeSlot(occurrence, now, new Date(config.updatedAt), window);
        if (verdict === 'before-enabled') continue;
        const log = this.logger.child({ instance_id: config.instanceId, kind: config.kind, slot });
        if (verdict === 'missed') {
          if (await this.store.autoscanRuns.claim(config.instanceId, slot, now, 'missed: no keyheat process was running within the catch-up window', config.kind)) {
            this.telemetry.autoscanSlot(config.kind, 'missed');
            log.warn('automatic analysis slot missed');
          }
          continue;
        }
        const task = { id: randomUUID(), projectId: config.projectId, instanceId: config.instanceId, kind: config.kind, scanType: 'auto' as const, createdAt: wireTime(now), options: taskOptionsOf(config) };
        const outcome = await this.store.tasks.insertScheduled(task, slot, now);
        if (outcome === 'created') {
          created += 1;
          this.telemetry.autoscanSlot(config.kind, 'fired');
          this.telemetry.taskCreated(config.kind, 'auto');
          log.info({ task_id: task.id, status: 'waiting', scan_type: 'auto' }, 'automatic analysis task created');
        } else if (outcome === 'gone') {
          log.info('automatic analysis not created: the instance was deleted; its schedule is removed');
        } else if (outcome === 'skipped') {
          this.telemetry.autoscanSlot(config.kind, 'skipped');
          log.warn('automatic analysis skipped: the previous one is still waiting or running');
        }
      }
    }
    if (now.getTime() - this.lastPrune > 60 * 60 * 1000) {
      this.lastPrune = now.getTime();
      await this.store.autoscanRuns.prune(slotId(new Date(now.getTime() - LEDGER_KEEP_MS)));
    }
    if (created > 0) this.wakeRunner();
    return created;
  }

  private async tickSafely(): Promise<void> {
    if (this.ticking !== null) return;
    this.ticking = this.tick()
      .then(() => undefined)
      .catch((error: unknown) => this.logger.error({ err: error }, 'autoscan scheduler pass failed; retrying at the next one'))
      .finally(() => {
        this.ticking = null;
      });
    await this.ticking;
  }
}

/**
 * The latest run of each of a schedule's times at or before `now`, with its slot id (the same in
 * every process): one per daily time ("2026-11-29T21:00"), or an interval schedule's
 * firstScanAt + k x interval ("2026-11-29T21:00:30").
 */
function occurrencesOf(config: AutoscanConfig, now: Date): { occurrence: Date; slot: string }[] {
  if (config.interval != null) {
    const occurrence = latestIntervalRun(config.interval, now);
    return occurrence === null ? [] : [{ occurrence, slot: occurrence.toISOString().slice(0, 19) }];
  }
  return config.scheduleAt.map((time) => {
    const occurrence = latestOccurrence(time, now);
    return { occurrence, slot: slotId(occurrence) };
  });
}

/** What a run's task is given: the schedule's options, and an interval schedule's COUNT and timeout. */
function taskOptionsOf(config: AutoscanConfig): TaskOptions | null {
  const interval = config.interval == null ? {} : { scanKeysCount: config.interval.scanKeysCount, timeoutSeconds: config.interval.timeout };
  return definedOptions({ ...config.options, ...interval });
}
