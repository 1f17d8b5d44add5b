/** The DCS hot key task family: create (with preflight), list, show, delete. */
import { randomUUID } from 'node:crypto';
import { invalidParameter, KeyheatError } from '../domain/errors.js';
import { meaningOf } from '../domain/failure-map.js';
import { SECRET_UNREADABLE_REASON, type Instance } from '../domain/instance.js';
import { RedisFailure } from '../domain/redis-failure.js';
import { InstanceGoneError } from '../domain/store-errors.js';
import type { ScanType, TaskStatus } from '../domain/task-status.js';
import { TaskActiveConflict, wireTime, type Task, type TaskOptions, type TaskPage } from '../domain/task.js';
import type { Telemetry } from '../domain/telemetry.js';
import { preflightDeployment } from '../redis/deployment-preflight.js';
import type { RedisAccess } from '../redis/redis-access.js';
import type { Store } from '../storage/store.js';
import type { InstanceService } from './instance-service.js';

export interface TaskRunnerHandle {
  wake(): void;
  cancel(taskId: string): Promise<void>;
}

export class TaskService {
  constructor(
    private readonly store: Store,
    private readonly instances: InstanceService,
    private readonly runner: TaskRunnerHandle,
    private readonly redis: RedisAccess,
    private readonly telemetry: Telemetry,
    /** Aborted when keyheat shuts down: preflights in progress stop then. */
    private readonly lifetime?: AbortSignal,
  ) {}

  /**
   * Records a task after checking, on the instance itself, that it can be analysed. The
   * analysis runs later in the runner: this never blocks on a scan.
   */
  async create(projectId: string, instanceId: string, scanType: ScanType = 'manual', options: TaskOptions | null = null): Promise<Task> {
    if (options?.sampleReplicas === true && options.sampleSeconds === undefined) throw invalidParameter('sample_replicas', 'sample_replicas needs sample_seconds');
    const instance = await this.instances.get(projectId, instanceId);
    await this.rejectIfActive(instanceId);
    await this.preflight(instance, options);
    try {
      const task = await this.store.tasks.insert({ id: randomUUID(), projectId, instanceId, scanType, createdAt: wireTime(new Date()), options });
      this.telemetry.taskCreated(scanType);
      this.runner.wake();
      return task;
    } catch (error) {
      if (error instanceof TaskActiveConflict) throw activeError(error.message);
      // The instance was deleted while its preflight ran: nothing was written.
      if (error instanceof InstanceGoneError) throw new KeyheatError('instanceNotFound');
      throw error;
    }
  }

  async list(projectId: string, instanceId: string, page: { offset: number; limit: number; status?: TaskStatus | undefined }): Promise<TaskPage> {
    await this.instances.get(projectId, instanceId);
    return this.store.tasks.list(projectId, instanceId, page);
  }

  async get(projectId: string, instanceId: string, taskId: string): Promise<Task> {
    await this.instances.get(projectId, instanceId);
    const task = await this.store.tasks.get(projectId, instanceId, taskId);
    if (task === undefined) throw new KeyheatError('hotkeyNotFound');
    return task;
  }

  /** Deletes a task; a running analysis of it stops first. Returns the task as it was. */
  async delete(projectId: string, instanceId: string, taskId: string): Promise<Task> {
    await this.get(projectId, instanceId, taskId);
    await this.runner.cancel(taskId);
    const deleted = await this.store.tasks.delete(projectId, instanceId, taskId);
    if (deleted === undefined) throw new KeyheatError('hotkeyNotFound');
    return deleted;
  }

  private async rejectIfActive(instanceId: string): Promise<void> {
    const active = await this.store.tasks.findActive(instanceId);
    if (active !== undefined) throw activeError(`task ${active.id} of this instance is ${active.status}`);
  }

  /**
   * Every primary must be reachable, run Redis >= 4.0 and use an LFU maxmemory-policy; with a
   * sampling phase, any policy will do but every node to watch must accept MONITOR.
   */
  private async preflight(instance: Instance, options: TaskOptions | null): Promise<void> {
    if (instance.secretUnreadable === true) throw new KeyheatError('instanceNotRunning', { detail: SECRET_UNREADABLE_REASON });
    try {
      const sampling = options?.sampleSeconds === undefined ? undefined : { replicas: options.sampleReplicas === true };
      const facts = await preflightDeployment(instance.endpoint, this.redis, this.lifetime, { sampling });
      await this.store.instances.updateHealth(instance.id, 'RUNNING', facts.version, new Date());
    } catch (error) {
      if (!(error instanceof RedisFailure)) throw error;
      this.telemetry.redisFailure(error.kind, 'preflight');
      const meaning = meaningOf(error);
      if (meaning.health !== null) await this.store.instances.updateHealth(instance.id, meaning.health, null, new Date());
      const detail = error.kind === 'cancelled' ? 'keyheat is shutting down; try again on another keyheat process' : error.message;
      throw new KeyheatError(meaning.error, { detail });
    }
  }
}

function activeError(detail: string): KeyheatError {
  return new KeyheatError('hotkeyTaskActive', { detail });
}
