/**
 * Daily automatic analysis settings (GET/PUT .../hotkey/autoscan and .../bigkey/autoscan), one
 * schedule per kind, independent of each other. Running them is the scheduler's job.
 */
import { invalidParameter, KeyheatError } from '../domain/errors.js';
import { InstanceGoneError } from '../domain/store-errors.js';
import { MAX_SCHEDULE_TIMES, SCHEDULE_TIME, type AutoscanConfig, type IntervalSchedule } from '../domain/autoscan.js';
import { EXPIRE_LIMITS } from '../domain/limits.js';
import { checkTaskOptions } from '../domain/task-options.js';
import { definedOptions, type TaskOptions } from '../domain/task.js';

/** ISO 8601 UTC: 2026-12-08T02:00:00Z, with or without milliseconds. */
const ISO_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,3})?Z$/;

/** An expired key scan schedule never set: daily, a timeout of two days, DCS's manual COUNT. */
const INTERVAL_DEFAULTS = Object.freeze({ interval: 86_400, timeout: 172_800, scanKeysCount: EXPIRE_LIMITS.scanKeysCount.default });
import type { TaskKind } from '../domain/task-status.js';
import type { Store } from '../storage/store.js';
import type { InstanceService } from './instance-service.js';

export class AutoscanService {
  constructor(
    private readonly store: Store,
    private readonly instances: InstanceService,
  ) {}

  /** A never-configured instance reads as disabled with no times, updated when it was registered. */
  async get(projectId: string, instanceId: string, kind: TaskKind = 'hot'): Promise<AutoscanConfig & { updatedAt: string }> {
    const instance = await this.instances.get(projectId, instanceId);
    const stored = await this.store.autoscan.get(instanceId, kind);
    return {
      instanceId,
      enableAutoScan: stored?.enableAutoScan ?? false,
      scheduleAt: stored?.scheduleAt ?? [],
      updatedAt: stored?.updatedAt ?? instance.createdAt,
      options: stored?.options ?? null,
    };
  }

  /** The expired key scan's schedule (DCS autoscan-config); never configured: off, daily from the instance's registration. */
  async getInterval(projectId: string, instanceId: string): Promise<{ instanceId: string; enableAutoScan: boolean; schedule: IntervalSchedule; updatedAt: string }> {
    const instance = await this.instances.get(projectId, instanceId);
    const stored = await this.store.autoscan.get(instanceId, 'expire');
    return {
      instanceId,
      enableAutoScan: stored?.enableAutoScan ?? false,
      schedule: stored?.interval ?? { firstScanAt: instance.createdAt, ...INTERVAL_DEFAULTS },
      updatedAt: stored?.updatedAt ?? instance.createdAt,
    };
  }

  /**
   * Sets the expired key scan's schedule, with DCS's checks: first_scan_at an ISO 8601 UTC time,
   * later than now when the schedule is turned on (DCS.4819); interval >= 0 (DCS.4820); timeout
   * at least 2 x interval, or over 1 s for a single run (DCS.4821); scan_keys_count 10-1000 (DCS.4822).
   */
  async putInterval(
    projectId: string,
    instanceId: string,
    request: { enableAutoScan: boolean; firstScanAt: string; interval: number; timeout: number; scanKeysCount: number },
    now: Date = new Date(),
  ): Promise<{ instanceId: string; enableAutoScan: boolean; schedule: IntervalSchedule; updatedAt: string }> {
    await this.instances.get(projectId, instanceId);
    const first = ISO_UTC.test(request.firstScanAt) ? Date.parse(request.firstScanAt) : NaN;
    if (!Number.isFinite(first)) throw new KeyheatError('expireFirstScanAt', { detail: `first_scan_at "${request.firstScanAt.slice(0, 40)}" is not an ISO 8601 UTC time such as 2026-12-08T02:00:00Z` });
    if (request.enableAutoScan && first <= now.getTime()) throw new KeyheatError('expireFirstScanAt', { detail: `first_scan_at ${request.firstScanAt} is not later than now (${now.toISOString()})` });
    if (!Number.isInteger(request.interval) || request.interval < 0) throw new KeyheatError('expireInterval', { detail: `interval is ${request.interval} s; 0 runs the first scan only` });
    if (!Number.isInteger(request.timeout) || (request.interval === 0 ? request.timeout <= 1 : request.timeout < 2 * request.interval)) {
      const need = request.interval === 0 ? 'more than 1 s' : `at least 2 x interval = ${2 * request.interval} s`;
      throw new KeyheatError('expireTimeout', { detail: `timeout is ${request.timeout} s; it must be ${need}` });
    }
    const { min, max } = EXPIRE_LIMITS.scanKeysCount;
    if (!Number.isInteger(request.scanKeysCount) || request.scanKeysCount < min || request.scanKeysCount > max) {
      throw new KeyheatError('expireScanKeysCount', { detail: `scan_keys_count is ${request.scanKeysCount}` });
    }
    const schedule: IntervalSchedule = { firstScanAt: new Date(first).toISOString(), interval: request.interval, timeout: request.timeout, scanKeysCount: request.scanKeysCount };
    const config = { instanceId, kind: 'expire' as const, enableAutoScan: request.enableAutoScan, scheduleAt: [], interval: schedule, updatedAt: now.toISOString() };
    await this.save(projectId, config);
    return { instanceId, enableAutoScan: config.enableAutoScan, schedule, updatedAt: config.updatedAt };
  }

  private async save(projectId: string, config: AutoscanConfig & { updatedAt: string }): Promise<void> {
    try {
      await this.store.autoscan.put(projectId, config);
    } catch (error) {
      // The instance was deleted meanwhile: no schedule is left behind for it.
      if (error instanceof InstanceGoneError) throw new KeyheatError('instanceNotFound');
      throw error;
    }
  }

  async put(
    projectId: string,
    instanceId: string,
    request: { enableAutoScan: boolean; scheduleAt: readonly string[]; options?: TaskOptions | null },
    kind: TaskKind = 'hot',
  ): Promise<AutoscanConfig & { updatedAt: string }> {
    await this.instances.get(projectId, instanceId);
    const options = definedOptions(request.options ?? null);
    // A schedule's runs take what a manual task of the kind takes (a daily snapshot analysis).
    checkTaskOptions(options, kind);
    const bad = request.scheduleAt.find((time) => !SCHEDULE_TIME.test(time));
    if (bad !== undefined) throw invalidParameter('schedule_at', `"${bad}" is not a UTC time HH:mm between 00:00 and 23:59`);
    const scheduleAt = [...new Set(request.scheduleAt)].sort();
    if (scheduleAt.length > MAX_SCHEDULE_TIMES) throw invalidParameter('schedule_at', `at most ${MAX_SCHEDULE_TIMES} times a day`);
    if (request.enableAutoScan && scheduleAt.length === 0) {
      throw invalidParameter('schedule_at', 'enable_auto_scan is true but schedule_at lists no time');
    }
    const config = { instanceId, kind, enableAutoScan: request.enableAutoScan, scheduleAt, updatedAt: new Date().toISOString(), options };
    await this.save(projectId, config);
    return config;
  }
}
