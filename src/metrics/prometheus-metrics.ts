/**
 * keyheat's metrics in the Prometheus text format (prom-client). One instance per app, with a
 * registry of its own: tests build several apps in one process, and prom-client's global
 * registry would mix their counts or refuse the second app's metric names.
 *
 * keyheat's own series take label values from closed sets only (scan type, status, failure
 * kind, route pattern, method, status code). What analyses found (findings-metrics.ts) is
 * labelled by instance and key, bounded by configuration, and only served where the findings
 * are enabled (metrics.findings).
 */
import type { Logger } from 'pino';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { boundedProbe, type ProbeResult } from '../domain/bounded-probe.js';
import { REDIS_FAILURE_KINDS, type RedisFailureKind } from '../domain/redis-failure.js';
import { SCAN_TYPES, TASK_KINDS, type ScanType, type TaskKind } from '../domain/task-status.js';
import { WEBHOOK_OUTCOMES, type ActiveTaskCounts, type AutoscanSlotOutcome, type FinishedStatus, type RedisFailureStage, type Telemetry, type WebhookOutcome } from '../domain/telemetry.js';
import { WEBHOOK_EVENTS, type WebhookEventType } from '../domain/webhook-events.js';
import type { FindingsSource } from '../domain/findings.js';
import { FindingsMetrics, type FindingsSettings } from './findings-metrics.js';
import { METRIC_PREFIX, processMetrics } from './process-metrics.js';

export interface MetricsSources {
  /** Waiting and running tasks in the store, read at each scrape. */
  readonly readActiveTasks: () => Promise<ActiveTaskCounts>;
  /** How long a scrape waits for the store before answering without the task gauges. */
  readonly storeDeadlineMs?: number;
  readonly logger: Logger;
  /** What the latest analyses found, read at each scrape; absent: no finding series. */
  readonly findings?: { readonly source: FindingsSource; readonly settings: FindingsSettings };
}

/** The route label of a request that matched no route (404s, scanners probing URLs). */
export const UNMATCHED_ROUTE = 'unmatched';

const FINISHED: readonly FinishedStatus[] = ['success', 'failed'];
const SLOT_OUTCOMES: readonly AutoscanSlotOutcome[] = ['fired', 'skipped', 'missed'];
const STAGES: readonly RedisFailureStage[] = ['analysis', 'preflight', 'registration'];
const ACTIVE: readonly (keyof ActiveTaskCounts)[] = ['waiting', 'running'];
const HTTP_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
/** From a refused deployment (a tenth of a second) to analysis.max_duration_ms's default, 6 hours. */
const ANALYSIS_BUCKETS = [0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, 3600, 7200, 21_600];
const DEFAULT_STORE_DEADLINE_MS = 500;

export class PrometheusMetrics implements Telemetry {
  readonly registry = new Registry();
  readonly contentType = this.registry.contentType;
  private readonly httpDuration = this.histogram('http_request_duration_seconds', 'HTTP requests by route pattern, method and status code: time to the response, in seconds', ['route', 'method', 'status_code'], HTTP_BUCKETS);
  private readonly created = this.counter('tasks_created_total', 'Tasks created by this process, by kind (hot, big, expire, offline) and scan type (manual: a POST; auto: an autoscan slot)', ['kind', 'scan_type']);
  private readonly finished = this.counter('tasks_finished_total', 'Tasks this process finished, by kind and outcome', ['kind', 'status', 'scan_type']);
  private readonly analysisDuration = this.histogram(
    'analysis_duration_seconds',
    'Analyses this process ran to their end, by kind and outcome, in seconds (analyses stopped by a delete or a shutdown are not counted)',
    ['kind', 'status'],
    ANALYSIS_BUCKETS,
  );
  private readonly scannedKeys = this.counter('scanned_keys_total', 'Keys read (by SCAN, or from an RDB) by analyses of this process that succeeded', []);
  private readonly takeovers = this.counter('lease_takeovers_total', 'Running tasks this process claimed after their lease ran out (their runner died or stalled; the analysis starts again)', []);
  private readonly slots = this.counter(
    'autoscan_slots_total',
    'Autoscan slots this process won, by kind and outcome: fired (task created), skipped (previous auto task still active), missed (past the catch-up window)',
    ['kind', 'outcome'],
  );
  private readonly redisFailures = this.counter(
    'redis_failures_total',
    'Redis failures by kind (docs/errors.md) and where they were met: a task analysis, the preflight of a create, a registration',
    ['kind', 'stage'],
  );
  private readonly activeTasks = this.gauge(
    'active_tasks',
    'Tasks waiting or running in the store, read at scrape time. On PostgreSQL this is the queue every keyheat process sharing the database sees: each reports the same number, do not sum them',
    ['status'],
  );
  private readonly webhookDeliveries = this.counter(
    'webhook_deliveries_total',
    'Webhook delivery attempts of this process by event and outcome: delivered, retried (failed, will try again), failed (given up or refused by the receiver), dropped (queue full, or keyheat stopping)',
    ['event', 'outcome'],
  );
  private readonly webhookQueueDepth = this.gauge('webhook_queue', "Webhook deliveries waiting in this process's queue (notifications.queue_max at most)", []);
  private readonly storeUp = this.gauge('store_up', '1 if the store answered the scrape\'s task count in time, else 0 (and keyheat_active_tasks has no samples)', []);
  private readonly readActiveTasks: () => Promise<ProbeResult<ActiveTaskCounts>>;
  private readonly findings: FindingsMetrics | null;

  constructor(private readonly sources: MetricsSources) {
    this.readActiveTasks = boundedProbe(sources.readActiveTasks, sources.storeDeadlineMs ?? DEFAULT_STORE_DEADLINE_MS);
    this.findings = sources.findings === undefined ? null : new FindingsMetrics(this.registry, sources.findings.source, sources.findings.settings, sources.logger);
    this.initialiseSeries();
  }

  /** The exposition text: this app's metrics, what the latest analyses found, and the process's. */
  async render(): Promise<string> {
    const [, findings] = await Promise.all([this.refreshActiveTasks(), this.findings?.render() ?? '']);
    return `${await Registry.merge([processMetrics(), this.registry]).metrics()}${findings}`;
  }

  observeRequest(route: string | undefined, method: string, statusCode: number, seconds: number): void {
    this.httpDuration.observe({ route: route ?? UNMATCHED_ROUTE, method, status_code: String(statusCode) }, seconds);
  }

  taskCreated(kind: TaskKind, scanType: ScanType): void {
    this.created.inc({ kind, scan_type: scanType });
  }

  taskFinished(kind: TaskKind, status: FinishedStatus, scanType: ScanType): void {
    this.finished.inc({ kind, status, scan_type: scanType });
  }

  analysisEnded(kind: TaskKind, status: FinishedStatus, seconds: number, scannedKeys: number): void {
    this.analysisDuration.observe({ kind, status }, seconds);
    if (scannedKeys > 0) this.scannedKeys.inc(scannedKeys);
  }

  leaseTakenOver(): void {
    this.takeovers.inc();
  }

  autoscanSlot(kind: TaskKind, outcome: AutoscanSlotOutcome): void {
    this.slots.inc({ kind, outcome });
  }

  redisFailure(kind: RedisFailureKind, stage: RedisFailureStage): void {
    this.redisFailures.inc({ kind, stage });
  }

  webhookDelivery(event: WebhookEventType, outcome: WebhookOutcome): void {
    this.webhookDeliveries.inc({ event, outcome });
  }

  webhookQueue(depth: number): void {
    this.webhookQueueDepth.set(depth);
  }

  /** A stale count is worse than none: when the store does not answer in time the gauge is emptied. */
  private async refreshActiveTasks(): Promise<void> {
    const result = await this.readActiveTasks();
    if (result.ok) {
      for (const status of ACTIVE) this.activeTasks.set({ status }, result.value[status]);
      this.storeUp.set(1);
      return;
    }
    this.activeTasks.reset();
    this.storeUp.set(0);
    const err = result.reason === 'error' ? result.error : undefined;
    this.sources.logger.warn({ err, reason: result.reason }, 'metrics: the store did not answer the task count; keyheat_active_tasks left out of this scrape');
  }

  /**
   * Every series of a closed label set exists from the start at 0, so that rate() and alerts
   * see the first event as an increase rather than as a new series.
   */
  private initialiseSeries(): void {
    for (const kind of TASK_KINDS) {
      for (const scanType of SCAN_TYPES) {
        this.created.inc({ kind, scan_type: scanType }, 0);
        for (const status of FINISHED) this.finished.inc({ kind, status, scan_type: scanType }, 0);
      }
      // Offline analyses have no schedule.
      if (kind !== 'offline') for (const outcome of SLOT_OUTCOMES) this.slots.inc({ kind, outcome }, 0);
      for (const status of FINISHED) this.analysisDuration.zero({ kind, status });
    }
    for (const kind of REDIS_FAILURE_KINDS) for (const stage of STAGES) this.redisFailures.inc({ kind, stage }, 0);
    for (const event of WEBHOOK_EVENTS) for (const outcome of WEBHOOK_OUTCOMES) this.webhookDeliveries.inc({ event, outcome }, 0);
    this.webhookQueueDepth.set(0);
  }

  private counter<L extends string>(name: string, help: string, labelNames: readonly L[]): Counter<L> {
    return new Counter({ name: METRIC_PREFIX + name, help, labelNames, registers: [this.registry] });
  }

  private gauge<L extends string>(name: string, help: string, labelNames: readonly L[]): Gauge<L> {
    return new Gauge({ name: METRIC_PREFIX + name, help, labelNames, registers: [this.registry] });
  }

  private histogram<L extends string>(name: string, help: string, labelNames: readonly L[], buckets: readonly number[]): Histogram<L> {
    return new Histogram({ name: METRIC_PREFIX + name, help, labelNames, buckets: [...buckets], registers: [this.registry] });
  }
}
