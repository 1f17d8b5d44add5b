/**
 * What keyheat reports about its own work, in domain words. The runner, the scheduler and the
 * services call it; src/metrics/ turns it into Prometheus metrics. Every argument is a value of
 * a closed set (a string union), never an id or a key name, so a metrics backend can label by
 * them without growing without bound.
 */
import type { RedisFailureKind } from './redis-failure.js';
import type { ScanType, TaskKind, TaskStatus } from './task-status.js';
import type { WebhookEventType } from './webhook-events.js';

/** How a task ended. */
export type FinishedStatus = Extract<TaskStatus, 'success' | 'failed'>;

/**
 * What the scheduler did with a slot it won: `fired` created the auto task, `skipped` found the
 * previous auto task still waiting or running, `missed` came after the catch-up window.
 */
export type AutoscanSlotOutcome = 'fired' | 'skipped' | 'missed';

/** Where a Redis failure was met: a task's analysis, the preflight of a create, a registration. */
export type RedisFailureStage = 'analysis' | 'preflight' | 'registration';

/** Tasks counted by status at one moment (the shared queue, on PostgreSQL). */
export type ActiveTaskCounts = Readonly<Record<Extract<TaskStatus, 'waiting' | 'running'>, number>>;

/** What became of a webhook delivery attempt: delivered, to be retried, given up (failed), or dropped from a full queue or at shutdown. */
export type WebhookOutcome = 'delivered' | 'retried' | 'failed' | 'dropped';
export const WEBHOOK_OUTCOMES: readonly WebhookOutcome[] = ['delivered', 'retried', 'failed', 'dropped'];

export interface Telemetry {
  taskCreated(kind: TaskKind, scanType: ScanType): void;
  taskFinished(kind: TaskKind, status: FinishedStatus, scanType: ScanType): void;
  /** An analysis ran to its end (not stopped by a delete or a shutdown). `scannedKeys` is 0 when it failed. */
  analysisEnded(kind: TaskKind, status: FinishedStatus, seconds: number, scannedKeys: number): void;
  /** A running task whose lease had run out was claimed again (its runner died or stalled). */
  leaseTakenOver(): void;
  autoscanSlot(kind: TaskKind, outcome: AutoscanSlotOutcome): void;
  redisFailure(kind: RedisFailureKind, stage: RedisFailureStage): void;
  webhookDelivery(event: WebhookEventType, outcome: WebhookOutcome): void;
  /** Deliveries waiting in this process's webhook queue. */
  webhookQueue(depth: number): void;
}

/** Reports nothing: for wiring without metrics. */
export const NO_TELEMETRY: Telemetry = Object.freeze({
  taskCreated: () => undefined,
  taskFinished: () => undefined,
  analysisEnded: () => undefined,
  leaseTakenOver: () => undefined,
  autoscanSlot: () => undefined,
  redisFailure: () => undefined,
  webhookDelivery: () => undefined,
  webhookQueue: () => undefined,
});
