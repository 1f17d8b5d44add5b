/**
 * What keyheat tells a webhook, in words: the events a finished task makes and their JSON
 * bodies (snake_case, like the API). A body names the project, the instance, the task and what
 * it found, never a password or a token. The runner reports finished tasks through TaskEvents;
 * src/notify/ delivers the events, signed, to the webhooks that asked for them.
 */
import { findingsOf } from './findings.js';
import type { Task, TaskOutcome } from './task.js';

export const WEBHOOK_EVENTS = ['task.finished', 'task.failed', 'finding.hot_key', 'finding.big_key'] as const;
export type WebhookEventType = (typeof WEBHOOK_EVENTS)[number];

/** Keys listed in one finding event, the most telling first (the body says how many there were). */
export const EVENT_KEYS_MAX = 20;

export interface WebhookEvent {
  readonly type: WebhookEventType;
  /** The JSON body, without its `id` (the delivery adds it). */
  readonly body: Readonly<Record<string, unknown>>;
}

/** A finished task, as the runner reports it. */
export interface FinishedTask {
  readonly task: Task;
  /** null when the instance was deleted meanwhile. */
  readonly instanceName: string | null;
  readonly finishedAt: Date;
}

/** Where the runner reports finished tasks (webhooks); it never waits for what they do. */
export interface TaskEvents {
  taskSucceeded(finished: FinishedTask, outcome: TaskOutcome): void;
  taskFailed(finished: FinishedTask, reason: string): void;
}

export const NO_TASK_EVENTS: TaskEvents = Object.freeze({ taskSucceeded: () => undefined, taskFailed: () => undefined });

function envelope(type: WebhookEventType, finished: FinishedTask, status: 'success' | 'failed', num: number, errorMsg: string | null): Record<string, unknown> {
  const { task } = finished;
  return {
    event: type,
    occurred_at: finished.finishedAt.toISOString(),
    project_id: task.projectId,
    instance: { id: task.instanceId, name: finished.instanceName },
    task: {
      id: task.id,
      kind: task.kind,
      scan_type: task.scanType,
      status,
      num,
      created_at: task.createdAt,
      finished_at: finished.finishedAt.toISOString(),
      ...(errorMsg === null ? {} : { error_msg: errorMsg }),
    },
  };
}

/**
 * The events of a successful task: task.finished, and what it found above the bars:
 * finding.hot_key when keys are estimated at `hotKeyQps` reads a second or more (saturated
 * counters included: their rate is at least the estimate), finding.big_key when a big key task
 * listed keys (every one is over its thresholds).
 */
export function successEvents(finished: FinishedTask, outcome: TaskOutcome, num: number, hotKeyQps: number): WebhookEvent[] {
  const events: WebhookEvent[] = [{ type: 'task.finished', body: envelope('task.finished', finished, 'success', num, null) }];
  const findings = findingsOf(outcome);
  if (findings.kind === 'hot') {
    const above = findings.keys.filter((key) => key.estQps !== null && key.estQps >= hotKeyQps);
    if (above.length > 0) {
      events.push({
        type: 'finding.hot_key',
        body: {
          ...envelope('finding.hot_key', finished, 'success', num, null),
          hot_key_qps: hotKeyQps,
          keys_above: above.length,
          keys: above.slice(0, EVENT_KEYS_MAX).map((key) => ({ key: key.key, db: key.db, ...(key.shard === '' ? {} : { shard: key.shard }), freq: key.freq, est_qps: key.estQps, saturated: key.freq >= 255 })),
        },
      });
    }
  }
  if (findings.kind === 'big' && findings.keys.length > 0 && outcome.kind === 'big') {
    const thresholds = outcome.result.thresholds;
    events.push({
      type: 'finding.big_key',
      body: {
        ...envelope('finding.big_key', finished, 'success', num, null),
        thresholds: { string_bytes: thresholds.stringBytes, collection_count: thresholds.collectionCount },
        keys_above: outcome.result.keys.length,
        keys: findings.keys.slice(0, EVENT_KEYS_MAX).map((key) => ({
          key: key.key,
          db: key.db,
          ...(key.shard === '' ? {} : { shard: key.shard }),
          type: key.type,
          size: key.size,
          unit: key.unit,
          ...(key.memoryBytes === null ? {} : { memory_bytes: key.memoryBytes }),
        })),
      },
    });
  }
  return events;
}

export function failureEvent(finished: FinishedTask, reason: string): WebhookEvent {
  return { type: 'task.failed', body: envelope('task.failed', finished, 'failed', 0, reason) };
}
