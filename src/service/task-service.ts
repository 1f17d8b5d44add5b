/**
 * The DCS cache analysis task families, hot keys and big keys: create (with preflight), list,
 * show, delete. The two kinds share everything but their error codes, their preflight (big key
 * analysis needs no LFU policy) and their results; a hot and a big key task of one instance
 * may run at the same time, two of one kind may not.
 */
import { randomUUID } from 'node:crypto';
import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import type { BigKey } from '../domain/big-key.js';
import { invalidParameter, KeyheatError } from '../domain/errors.js';
import type { DeploymentNode } from '../domain/offline-report.js';
import { meaningOf } from '../domain/failure-map.js';
import type { HotKey } from '../domain/hot-key.js';
import { endpointAddress, SECRET_UNREADABLE_REASON, type Instance } from '../domain/instance.js';
import { RedisFailure } from '../domain/redis-failure.js';
import { reportedIdentity, type ReportedName } from '../domain/reported-name.js';
import { InstanceGoneError } from '../domain/store-errors.js';
import type { ScanType, TaskKind, TaskStatus } from '../domain/task-status.js';
import { TaskActiveConflict, wireTime, type Task, type TaskOptions, type TaskPage } from '../domain/task.js';
import { kindSpec } from '../domain/task-kinds.js';
import { BACKUP_ID_PATTERN, checkTaskOptions } from '../domain/task-options.js';
import type { Telemetry } from '../domain/telemetry.js';
import { listDeploymentNodes, preflightDeployment } from '../redis/deployment-preflight.js';
import type { RedisAccess } from '../redis/redis-access.js';
import type { Store } from '../storage/store.js';
import type { InstanceService } from './instance-service.js';

export interface TaskRunnerHandle {
  wake(): void;
  cancel(taskId: string): Promise<void>;
}

export class TaskService {
  /** Key identities of finished results, by task id (the cross flags read them on every task read). */
  private readonly crossKeys = new Map<string, ReadonlySet<string>>();

  constructor(
    private readonly store: Store,
    private readonly instances: InstanceService,
    private readonly runner: TaskRunnerHandle,
    private readonly redis: RedisAccess,
    private readonly telemetry: Telemetry,
    /** Aborted when keyheat shuts down: preflights in progress stop then. */
    private readonly lifetime?: AbortSignal,
    /** snapshot.max_memory_share, checked at creation on the nodes a snapshot will fork, and bigkeys.prefer_replicas (big key snapshots fork replicas then). */
    private readonly snapshotSettings: { readonly maxMemoryShare: number; readonly bigPreferReplicas: boolean } = { maxMemoryShare: 1, bigPreferReplicas: true },
    /** server.preflight_timeout_ms and server.max_preflights_per_project. */
    private readonly preflightLimits: PreflightLimits = PREFLIGHT_DEFAULTS,
    /** offline.backup_dir: <backupDir>/<instance_id>/<backup_id> are the backups offline analyses read. */
    private readonly backupDir: string = 'data/backups',
  ) {}

  /** Preflights running now, per project. */
  private readonly preflights = new Map<string, number>();

  /**
   * Records a task after checking, on the instance itself, that it can be analysed. The
   * analysis runs later in the runner: this never blocks on a scan.
   */
  async create(
    projectId: string,
    instanceId: string,
    scanType: ScanType = 'manual',
    options: TaskOptions | null = null,
    kind: TaskKind = 'hot',
    /** Aborted when the client that asked went away: its preflight stops talking to the Redis. */
    clientGone?: AbortSignal,
  ): Promise<Task> {
    checkTaskOptions(options, kind);
    const instance = await this.instances.get(projectId, instanceId);
    await this.rejectIfActive(instanceId, kind);
    const backup = options?.backupId;
    // An offline analysis of a saved backup reads a file: nothing to ask the Redis.
    if (kind === 'offline' && backup !== undefined) await this.backupOf(instanceId, backup);
    else await this.limitedPreflight(instance, options, kind, clientGone);
    try {
      const task = await this.store.tasks.insert({ id: randomUUID(), projectId, instanceId, kind, scanType, createdAt: wireTime(new Date()), options });
      this.telemetry.taskCreated(kind, scanType);
      this.runner.wake();
      return task;
    } catch (error) {
      if (error instanceof TaskActiveConflict) throw new KeyheatError(kindSpec(kind).errors.active, { detail: error.message });
      // The instance was deleted while its preflight ran: nothing was written.
      if (error instanceof InstanceGoneError) throw new KeyheatError('instanceNotFound');
      throw error;
    }
  }

  /** The backups offline analyses may read for an instance: the RDB files under its backup folder, newest first. */
  async backups(projectId: string, instanceId: string): Promise<BackupFile[]> {
    await this.instances.get(projectId, instanceId);
    let names: string[];
    try {
      names = await readdir(path.join(this.backupDir, instanceId));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw error;
    }
    const files = await Promise.all(names.filter((name) => BACKUP_ID.test(name)).slice(0, MAX_BACKUPS_LISTED).map((name) => this.backupOf(instanceId, name).catch(() => null)));
    return files.filter((file): file is BackupFile => file !== null).sort((a, b) => b.createdAt.localeCompare(a.createdAt) || a.backupId.localeCompare(b.backupId));
  }

  /** A backup file of the instance, or 400 DCS.4800 naming backup_id: a plain file name of an existing regular file. */
  private async backupOf(instanceId: string, backupId: string): Promise<BackupFile> {
    if (!BACKUP_ID.test(backupId)) throw invalidParameter('backup_id', 'backup_id is a plain file name (letters, digits, . _ -), not a path');
    const file = path.join(this.backupDir, instanceId, backupId);
    try {
      const stats = await stat(file);
      if (!stats.isFile()) throw invalidParameter('backup_id', `${backupId} is not a file`);
      return { backupId, sizeBytes: stats.size, createdAt: stats.mtime.toISOString() };
    } catch (error) {
      if (error instanceof KeyheatError) throw error;
      throw invalidParameter('backup_id', `no backup ${backupId} for this instance: put RDB files in ${path.join(this.backupDir, instanceId)} (GET .../backups lists them)`);
    }
  }

  /** The nodes an offline analysis may read (DCS's ListOfflineKeyAnalysis nodes): every primary and usable replica. */
  async nodes(projectId: string, instanceId: string, taskId?: string): Promise<DeploymentNode[]> {
    // DCS lists them under a task; keyheat also before the first one (GET .../nodes).
    if (taskId !== undefined) await this.get(projectId, instanceId, taskId, 'offline');
    const instance = await this.instances.get(projectId, instanceId);
    try {
      return await listDeploymentNodes(instance.endpoint, this.redis, this.lifetime);
    } catch (caught) {
      if (!(caught instanceof RedisFailure)) throw caught;
      const meaning = meaningOf(caught);
      throw new KeyheatError(meaning.error === 'hotkeyUnsupported' ? 'offlineUnsupported' : meaning.error, { detail: caught.message });
    }
  }

  async list(projectId: string, instanceId: string, page: { offset: number; limit: number; status?: TaskStatus | undefined }, kind: TaskKind = 'hot'): Promise<TaskPage> {
    await this.instances.get(projectId, instanceId);
    return this.store.tasks.list(projectId, instanceId, page, kind);
  }

  /**
   * A task with its keys. Keys that are also in the instance's latest successful task of the
   * other kind are flagged (alsoBig on hot keys, alsoHot on big keys): big and hot is the worst
   * kind of key. The flags are computed on reading, so they follow the newest analyses.
   */
  async get(projectId: string, instanceId: string, taskId: string, kind: TaskKind = 'hot'): Promise<Task> {
    await this.instances.get(projectId, instanceId);
    const task = await this.store.tasks.get(projectId, instanceId, taskId, kind);
    if (task === undefined) throw this.notFound(kind);
    return this.withCrossFlags(task);
  }

  /** Deletes a task; a running analysis of it stops first. Returns the task as it was. */
  async delete(projectId: string, instanceId: string, taskId: string, kind: TaskKind = 'hot'): Promise<Task> {
    await this.instances.get(projectId, instanceId);
    const existing = await this.store.tasks.get(projectId, instanceId, taskId, kind);
    if (existing === undefined) throw this.notFound(kind);
    await this.runner.cancel(taskId);
    const deleted = await this.store.tasks.delete(projectId, instanceId, taskId, kind);
    if (deleted === undefined) throw this.notFound(kind);
    return deleted;
  }

  private notFound(kind: TaskKind): KeyheatError {
    const spec = kindSpec(kind);
    return new KeyheatError(spec.errors.notFound, { params: [spec.dcs.idParam] });
  }

  private async withCrossFlags(task: Task): Promise<Task> {
    if (task.status !== 'success') return task;
    if (task.kind === 'hot' && task.result !== null) {
      const big = await this.keysOfLatest(task.instanceId, 'big');
      if (big === null) return task;
      return { ...task, result: { ...task.result, keys: task.result.keys.map((key): HotKey => ({ ...key, alsoBig: big.has(reportedIdentity(key)) })) } };
    }
    if (task.kind === 'big' && task.result !== null) {
      const hot = await this.keysOfLatest(task.instanceId, 'hot');
      if (hot === null) return task;
      return { ...task, result: { ...task.result, keys: task.result.keys.map((key): BigKey => ({ ...key, alsoHot: hot.has(reportedIdentity(key)) })) } };
    }
    return task;
  }

  /**
   * The keys of the instance's latest successful task of a kind, as identities (null: no such
   * task); hot keys by their counter or their measured rate (on a policy without LFU, the only
   * ranking). A finished result never changes: it is read and parsed once, then remembered by
   * task id (CROSS_CACHE tasks), so reading a task costs one small query for the other kind.
   */
  private async keysOfLatest(instanceId: string, kind: TaskKind): Promise<ReadonlySet<string> | null> {
    const id = await this.store.tasks.latestSuccessId(instanceId, kind);
    if (id === undefined) return null;
    const cached = this.crossKeys.get(id);
    if (cached !== undefined) {
      // Most recently used last: the oldest entry goes first.
      this.crossKeys.delete(id);
      this.crossKeys.set(id, cached);
      return cached;
    }
    const task = await this.store.tasks.getById(id);
    if (task === undefined) return null;
    const keys: readonly ReportedKey[] =
      task.kind === 'big' ? (task.result?.keys ?? []) : task.kind === 'hot' ? [...(task.result?.keys ?? []), ...(task.result?.insights?.sampling?.sampled ?? [])] : [];
    const identities = new Set(keys.map(reportedIdentity));
    this.crossKeys.set(id, identities);
    if (this.crossKeys.size > CROSS_CACHE) this.crossKeys.delete(this.crossKeys.keys().next().value as string);
    return identities;
  }

  /**
   * The preflight, at most max_preflights_per_project of a project at once (429 beyond, before
   * any Redis is contacted), within preflight_timeout_ms, stopped when the client goes away.
   */
  private async limitedPreflight(instance: Instance, options: TaskOptions | null, kind: TaskKind, clientGone: AbortSignal | undefined): Promise<void> {
    const project = instance.projectId;
    const running = this.preflights.get(project) ?? 0;
    if (running >= this.preflightLimits.maxPerProject) {
      throw new KeyheatError('tooManyPreflights', {
        detail: `project ${project} already has ${running} task creations checking their instances (server.max_preflights_per_project); retry when one has answered`,
      });
    }
    this.preflights.set(project, running + 1);
    const deadline = new AbortController();
    const { timeoutMs } = this.preflightLimits;
    const timer = setTimeout(() => deadline.abort(), timeoutMs);
    timer.unref();
    const signals = [deadline.signal, ...(clientGone === undefined ? [] : [clientGone]), ...(this.lifetime === undefined ? [] : [this.lifetime])];
    // Why the preflight's connections were closed under it, when it was not the service stopping.
    const stoppedBy = (): RedisFailure | null => {
      const node = endpointAddress(instance.endpoint);
      if (deadline.signal.aborted) return new RedisFailure('timeout', node, `the instance's preflight did not finish within server.preflight_timeout_ms (${timeoutMs} ms): is every node answering?`);
      if (clientGone?.aborted === true) return new RedisFailure('cancelled', node, 'the client went away before the preflight finished');
      return null;
    };
    try {
      await this.preflight(instance, options, kind, AbortSignal.any(signals), stoppedBy);
    } finally {
      clearTimeout(timer);
      const left = (this.preflights.get(project) ?? 1) - 1;
      if (left > 0) this.preflights.set(project, left);
      else this.preflights.delete(project);
    }
  }

  private async rejectIfActive(instanceId: string, kind: TaskKind): Promise<void> {
    const active = await this.store.tasks.findActive(instanceId, kind);
    if (active !== undefined) throw new KeyheatError(kindSpec(kind).errors.active, { detail: `task ${active.id} of this instance is ${active.status}` });
  }

  /**
   * Hot keys: every primary must be reachable, run Redis >= 4.0 and use an LFU maxmemory-policy;
   * with a sampling phase, any policy will do but every node to watch must accept MONITOR.
   * Big keys: every primary reachable, any version and policy.
   */
  private async preflight(instance: Instance, options: TaskOptions | null, kind: TaskKind, signal: AbortSignal, stoppedBy: () => RedisFailure | null): Promise<void> {
    if (instance.secretUnreadable === true) throw new KeyheatError('instanceNotRunning', { detail: SECRET_UNREADABLE_REASON });
    try {
      const sampling = kind === 'hot' && options?.sampleSeconds !== undefined ? { replicas: options.sampleReplicas === true } : undefined;
      // Big key snapshots read replicas where big key scans would (bigkeys.prefer_replicas): the preflight checks the primaries of shards without one.
      const replicas = options?.snapshotReplicas === true || (kind === 'big' && this.snapshotSettings.bigPreferReplicas);
      const snapshot = options?.strategy === 'snapshot' ? { replicas, maxMemoryShare: this.snapshotSettings.maxMemoryShare } : undefined;
      const node = kind === 'offline' ? options?.nodeId : undefined;
      const offline = kind === 'offline' ? { replicas: false, maxMemoryShare: this.snapshotSettings.maxMemoryShare } : undefined;
      const facts = await preflightDeployment(instance.endpoint, this.redis, signal, { sampling, noLfu: !kindSpec(kind).needsLfu, snapshot: snapshot ?? offline, node });
      await this.store.instances.updateHealth(instance.id, 'RUNNING', { engine: facts.identity.engine, version: facts.identity.version }, new Date());
    } catch (caught) {
      if (!(caught instanceof RedisFailure)) throw caught;
      const error = caught.kind === 'cancelled' ? (stoppedBy() ?? caught) : caught;
      this.telemetry.redisFailure(error.kind, 'preflight');
      const meaning = meaningOf(error);
      if (meaning.health !== null && error === caught) await this.store.instances.updateHealth(instance.id, meaning.health, null, new Date());
      const detail = error === caught && error.kind === 'cancelled' ? 'keyheat is shutting down; try again on another keyheat process' : error.message;
      throw new KeyheatError(meaning.error === 'hotkeyUnsupported' ? kindSpec(kind).errors.unsupported : meaning.error, { detail });
    }
  }
}

export interface PreflightLimits {
  /** The preflight of one create (every node contacted, checked) ends within this. */
  readonly timeoutMs: number;
  /** Preflights one project may run at once; more get 429. */
  readonly maxPerProject: number;
}

export const PREFLIGHT_DEFAULTS: PreflightLimits = Object.freeze({ timeoutMs: 30_000, maxPerProject: 4 });

/** A saved RDB an offline analysis may read (GET .../backups, a keyheat addition). */
export interface BackupFile {
  readonly backupId: string;
  readonly sizeBytes: number;
  /** Its modification time, ISO UTC. */
  readonly createdAt: string;
}

const BACKUP_ID = new RegExp(BACKUP_ID_PATTERN);
/** Backups listed at most: a folder of thousands of files is not read whole. */
const MAX_BACKUPS_LISTED = 1000;

/** Finished results whose key identities are remembered for the cross flags (also_big, also_hot). */
const CROSS_CACHE = 256;

type ReportedKey = ReportedName & { readonly db: number };
