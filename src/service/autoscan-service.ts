/**
 * Daily automatic analysis settings (GET/PUT .../hotkey/autoscan and .../bigkey/autoscan), one
 * schedule per kind, independent of each other. Running them is the scheduler's job.
 */
import { invalidParameter, KeyheatError } from '../domain/errors.js';
import { InstanceGoneError } from '../domain/store-errors.js';
import { MAX_SCHEDULE_TIMES, SCHEDULE_TIME, type AutoscanConfig } from '../domain/autoscan.js';
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
    };
  }

  async put(
    projectId: string,
    instanceId: string,
    request: { enableAutoScan: boolean; scheduleAt: readonly string[] },
    kind: TaskKind = 'hot',
  ): Promise<AutoscanConfig & { updatedAt: string }> {
    await this.instances.get(projectId, instanceId);
    const bad = request.scheduleAt.find((time) => !SCHEDULE_TIME.test(time));
    if (bad !== undefined) throw invalidParameter('schedule_at', `"${bad}" is not a UTC time HH:mm between 00:00 and 23:59`);
    const scheduleAt = [...new Set(request.scheduleAt)].sort();
    if (scheduleAt.length > MAX_SCHEDULE_TIMES) throw invalidParameter('schedule_at', `at most ${MAX_SCHEDULE_TIMES} times a day`);
    if (request.enableAutoScan && scheduleAt.length === 0) {
      throw invalidParameter('schedule_at', 'enable_auto_scan is true but schedule_at lists no time');
    }
    const config = { instanceId, kind, enableAutoScan: request.enableAutoScan, scheduleAt, updatedAt: new Date().toISOString() };
    try {
      await this.store.autoscan.put(projectId, config);
    } catch (error) {
      // The instance was deleted meanwhile: no schedule is left behind for it.
      if (error instanceof InstanceGoneError) throw new KeyheatError('instanceNotFound');
      throw error;
    }
    return config;
  }
}
