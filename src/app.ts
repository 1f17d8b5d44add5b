/**
 * The composition root: opens the store, bootstraps authentication, syncs config instances,
 * wires the services, the task runner and the HTTP app. close() undoes it in reverse order.
 */
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { KeyheatConfig } from './config/config-schema.js';
import { databaseUrl } from './config/load-config.js';
import type { AnalysisOptions } from './engine/analysis-options.js';
import { analyzeDeployment } from './engine/analyze-deployment.js';
import { buildHttpApp } from './http/build-app.js';
import { TaskRunner, type Analyze } from './runner/task-runner.js';
import { AutoscanScheduler } from './scheduler/autoscan-scheduler.js';
import { AuthService, type Bootstrap } from './service/auth-service.js';
import { AutoscanService } from './service/autoscan-service.js';
import { InstanceService, type ConnectTimeouts } from './service/instance-service.js';
import { TaskService } from './service/task-service.js';
import { openStore, type Store } from './storage/store.js';

export interface Keyheat {
  readonly config: KeyheatConfig;
  readonly store: Store;
  readonly runner: TaskRunner;
  readonly scheduler: AutoscanScheduler;
  readonly http: FastifyInstance;
  readonly auth: AuthService;
  readonly bootstrap: Bootstrap;
  /** Starts the runner and the scheduler (the HTTP app is listened on by the caller, or injected into by tests). */
  start(): void;
  /**
   * Stops claiming and scheduling, lets running analyses finish for up to `graceMs` and hands
   * back the others, then closes HTTP and the store.
   */
  close(graceMs?: number): Promise<void>;
}

export interface KeyheatOverrides {
  /** Replaces the analysis engine; tests of the runner's bookkeeping use it. */
  readonly analyze?: Analyze;
  /** The scheduler's clock (tests drive schedules with their own). */
  readonly now?: () => Date;
}

export async function createKeyheat(config: KeyheatConfig, logger: Logger, overrides: KeyheatOverrides = {}): Promise<Keyheat> {
  const store = await openStore(databaseUrl(config), { maxTasksPerInstance: config.retention.max_tasks_per_instance });
  try {
    logger.info({ store: store.description }, 'store opened');
    if (store.capabilities.singleProcess) {
      const orphans = await store.tasks.expireAllLeases(new Date());
      if (orphans > 0) logger.warn({ tasks: orphans }, 'tasks left running by a previous run will be started again');
    }
    const auth = new AuthService(store, config.projects);
    const bootstrap = await auth.bootstrap(config.projects);

    const timeouts: ConnectTimeouts = {
      connectTimeoutMs: config.analysis.connect_timeout_ms,
      commandTimeoutMs: config.analysis.command_timeout_ms,
    };
    const runner = new TaskRunner(
      store,
      overrides.analyze ?? analyzeDeployment,
      {
        concurrency: config.runner.concurrency,
        pollIntervalMs: config.runner.poll_interval_ms,
        leaseMs: config.runner.lease_ms,
        maxAttempts: config.runner.max_attempts,
        analysis: analysisOptions(config),
      },
      logger.child({ component: 'runner' }),
    );
    const instances = new InstanceService(store, timeouts, async (instanceId) => {
      const active = await store.tasks.findActive(instanceId);
      if (active !== undefined) await runner.cancel(active.id);
    });
    await syncConfigInstances(config, instances, logger);
    const tasks = new TaskService(store, instances, runner, timeouts);
    const autoscan = new AutoscanService(store, instances);
    const http = await buildHttpApp({
      logger,
      authenticate: (token) => auth.authenticate(token),
      findAccessKey: (accessKey) => auth.findAccessKey(accessKey),
      instances,
      tasks,
      autoscan,
    });
    const scheduler = new AutoscanScheduler(
      store,
      () => runner.wake(),
      { intervalMs: config.scheduler.interval_ms, catchUpMs: config.scheduler.catch_up_minutes * 60_000 },
      logger.child({ component: 'scheduler' }),
      overrides.now,
    );

    return {
      config,
      store,
      runner,
      scheduler,
      http,
      auth,
      bootstrap,
      start: () => {
        runner.start();
        if (config.scheduler.enabled) scheduler.start();
      },
      close: async (graceMs = 0) => {
        // New requests go elsewhere at once (a load balancer sees the port closed); claiming and
        // scheduling stop; running analyses get the grace period, then are handed back.
        const httpClosed = http.close();
        await scheduler.stop();
        await runner.stop(graceMs);
        await httpClosed;
        await store.close();
      },
    };
  } catch (error) {
    await store.close();
    throw error;
  }
}

export function analysisOptions(config: KeyheatConfig): Omit<AnalysisOptions, 'signal' | 'onProgress'> {
  return {
    topK: config.analysis.top_k,
    batchSize: config.analysis.batch_size,
    busyBatchSize: config.analysis.busy_batch_size,
    rateLimit: config.analysis.rate_limit,
    failoverWaitMs: config.analysis.failover_wait_ms,
    connectTimeoutMs: config.analysis.connect_timeout_ms,
    commandTimeoutMs: config.analysis.command_timeout_ms,
  };
}

/**
 * Instances declared in the config file are (re)registered at every start. One that cannot be
 * reached is logged and skipped, not fatal: the service still starts for the others.
 */
async function syncConfigInstances(config: KeyheatConfig, instances: InstanceService, logger: Logger): Promise<void> {
  for (const declared of config.instances) {
    try {
      await instances.register(
        declared.project_id,
        { id: declared.instance_id, name: declared.name, url: declared.url, password: declared.password },
        { upsert: true },
      );
      logger.info({ instance_id: declared.instance_id, name: declared.name }, 'config instance registered');
    } catch (error) {
      logger.warn({ instance_id: declared.instance_id, err: error }, 'config instance could not be registered; it is skipped until the next start');
    }
  }
}
