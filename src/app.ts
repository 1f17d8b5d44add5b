/**
 * The composition root: opens the store, bootstraps authentication, syncs config instances,
 * wires the services, the task runner and the HTTP app. close() undoes it in reverse order.
 */
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { KeyheatConfig } from './config/config-schema.js';
import { tlsFromFiles } from './config/instance-tls.js';
import { backupDir, databaseUrl } from './config/load-config.js';
import { readServerTls } from './config/server-tls.js';
import { analyzeBigKeys } from './engine/analyze-bigkeys.js';
import { analyzeExpiredKeys } from './engine/expire-scan.js';
import { analyzeOfflineFile, analyzeOfflineNode } from './engine/offline-analysis.js';
import { analyzeDeployment } from './engine/analyze-deployment.js';
import { buildHttpApp } from './http/build-app.js';
import { analysisOptions, bigKeyOptions, FINDINGS_DEADLINE_MS, findingsServed, logMetricsProtection, poolSettings, redisAccessOf, webhookSettings } from './app-settings.js';
import { PrometheusMetrics } from './metrics/prometheus-metrics.js';
import { TaskRunner } from './runner/task-runner.js';
import { WebhookSender } from './notify/webhook-sender.js';
import { NetworkPolicy } from './redis/network-policy.js';
import { NO_TASK_EVENTS } from './domain/webhook-events.js';
import type { Analyze, AnalyzeBig } from './runner/kind-runs.js';
import { AutoscanScheduler } from './scheduler/autoscan-scheduler.js';
import { AuthService, type Bootstrap } from './service/auth-service.js';
import { AutoscanService } from './service/autoscan-service.js';
import { InstanceService } from './service/instance-service.js';
import { ReadinessService } from './service/readiness-service.js';
import { TaskService } from './service/task-service.js';
import { writePrivateFileDurably } from './storage/private-files.js';
import { GENERATED_KEY_FILE, readKeyFile, secretKeyForStore, type ResolvedSecretKey } from './storage/secret-key.js';
import { openStore, type Store } from './storage/store.js';

export interface Keyheat {
  readonly config: KeyheatConfig;
  readonly store: Store;
  readonly runner: TaskRunner;
  readonly scheduler: AutoscanScheduler;
  readonly http: FastifyInstance;
  readonly auth: AuthService;
  readonly bootstrap: Bootstrap;
  /** This app's metrics (served at /metrics); tests read them directly too. */
  readonly metrics: PrometheusMetrics;
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
  /** Replaces the big key analysis engine. */
  readonly analyzeBig?: AnalyzeBig;
  /** The scheduler's clock (tests drive schedules with their own). */
  readonly now?: () => Date;
  /** The runner's wall clock, for the lease expiry it writes (tests jump it). */
  readonly runnerNow?: () => Date;
}

export async function createKeyheat(config: KeyheatConfig, logger: Logger, overrides: KeyheatOverrides = {}): Promise<Keyheat> {
  // Unreadable or unusable certificate files stop the start before anything is opened.
  const tls = readServerTls(config);
  const secret = storeSecretKey(config);
  const store = await openStore(databaseUrl(config), {
    maxTasksPerInstance: config.retention.max_tasks_per_instance,
    maxResultBytes: config.retention.max_result_bytes,
    pool: poolSettings(config),
    secretKey: secret.key,
  });
  try {
    logger.info({ store: store.description }, 'store opened');
    await logSecretKey(secret, store, logger);
    if (store.capabilities.singleProcess) {
      const orphans = await store.queue.expireAllLeases(new Date());
      if (orphans > 0) logger.warn({ tasks: orphans }, 'tasks left running by a previous run will be started again');
    }
    const metrics = new PrometheusMetrics({
      readActiveTasks: () => store.queue.countActive(),
      logger: logger.child({ component: 'metrics' }),
      ...(findingsServed(config) ? { findings: { source: store.findings, settings: { hotKeys: config.metrics.hot_keys, bigKeys: config.metrics.big_keys, deadlineMs: FINDINGS_DEADLINE_MS } } } : {}),
    });
    const auth = new AuthService(store, config.projects);
    const bootstrap = await auth.bootstrap(config.projects);
    if (bootstrap.retiredProjectId !== null) {
      logger.warn(
        { project_id: bootstrap.retiredProjectId },
        'projects are configured: the admin token generated at the first start no longer works (only the tokens of projects: do)',
      );
    }

    const redis = redisAccessOf(config);
    const webhooks = config.notifications.webhooks.length === 0 ? null : new WebhookSender(webhookSettings(config), new NetworkPolicy(config.network.allow), metrics, logger.child({ component: 'webhooks' }));
    // Aborted when close() begins: registrations and preflights still talking to a Redis stop.
    const lifetime = new AbortController();
    const runner = new TaskRunner(
      store,
      {
        hot: overrides.analyze ?? analyzeDeployment,
        big: overrides.analyzeBig ?? analyzeBigKeys,
        expire: analyzeExpiredKeys,
        offline: (source, options) => ('file' in source ? analyzeOfflineFile(source.file, options) : analyzeOfflineNode(source.target, source.node, options)),
      },
      {
        concurrency: config.runner.concurrency,
        maxRunningPerProject: config.runner.max_running_per_project,
        pollIntervalMs: config.runner.poll_interval_ms,
        leaseMs: config.runner.lease_ms,
        maxAttempts: config.runner.max_attempts,
        analysis: analysisOptions(config, store.forkSlots),
        bigKeys: bigKeyOptions(config),
        backupDir: backupDir(config),
      },
      logger.child({ component: 'runner' }),
      metrics,
      overrides.runnerNow,
      webhooks ?? NO_TASK_EVENTS,
    );
    const instances = new InstanceService(
      store,
      redis,
      async (instanceId) => {
        for (const active of await store.tasks.activeOf(instanceId)) await runner.cancel(active.id);
      },
      metrics,
      lifetime.signal,
    );
    await syncConfigInstances(config, instances, logger);
    const tasks = new TaskService(
      store,
      instances,
      runner,
      redis,
      metrics,
      lifetime.signal,
      { maxMemoryShare: config.snapshot.max_memory_share, bigPreferReplicas: config.bigkeys.prefer_replicas },
      { timeoutMs: config.server.preflight_timeout_ms, maxPerProject: config.server.max_preflights_per_project },
      backupDir(config),
    );
    const autoscan = new AutoscanService(store, instances);
    const http = await buildHttpApp({
      logger,
      authenticate: (token) => auth.authenticate(token),
      findAccessKey: (accessKey) => auth.findAccessKey(accessKey),
      refuseReplays: config.auth.refuse_replays,
      instances,
      tasks,
      autoscan,
      metrics,
      metricsToken: config.metrics.token,
      readiness: new ReadinessService(store),
      server: {
        requestTimeoutMs: config.server.request_timeout_ms,
        keepAliveTimeoutMs: config.server.keep_alive_timeout_ms,
        idleTimeoutMs: config.server.idle_timeout_ms,
        maxBodyBytes: config.server.max_body_bytes,
        tls,
      },
    });
    logMetricsProtection(config, logger);
    const scheduler = new AutoscanScheduler(
      store,
      () => runner.wake(),
      { intervalMs: config.scheduler.interval_ms, catchUpMs: config.scheduler.catch_up_minutes * 60_000 },
      logger.child({ component: 'scheduler' }),
      metrics,
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
      metrics,
      start: () => {
        runner.start();
        if (config.scheduler.enabled) scheduler.start();
      },
      close: async (graceMs = 0) => {
        // New requests go elsewhere at once (a load balancer sees the port closed); claiming and
        // scheduling stop; running analyses get the grace period, then are handed back.
        lifetime.abort();
        const httpClosed = http.close();
        await scheduler.stop();
        await runner.stop(graceMs);
        webhooks?.close();
        await httpClosed;
        await store.close();
      },
    };
  } catch (error) {
    await store.close();
    throw error;
  }
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
        {
          id: declared.instance_id,
          name: declared.name,
          url: declared.url,
          password: declared.password,
          sentinelPassword: declared.sentinel_password,
          tls: declared.tls === undefined ? undefined : tlsFromFiles(declared.tls),
        },
        { upsert: true },
      );
      logger.info({ instance_id: declared.instance_id, name: declared.name }, 'config instance registered');
    } catch (error) {
      logger.warn({ instance_id: declared.instance_id, err: error }, 'config instance could not be registered; it is skipped until the next start');
    }
  }
}

/** `keyheat token reset`: a new admin token for the generated project, on a stopped service's store. */
export async function resetAdminToken(config: KeyheatConfig): Promise<{ projectId: string; token: string }> {
  const store = await openStore(databaseUrl(config), { maxTasksPerInstance: config.retention.max_tasks_per_instance, pool: poolSettings(config) });
  try {
    return await new AuthService(store, config.projects).resetAdminToken();
  } finally {
    await store.close();
  }
}

/** The key sealing stored Redis passwords (storage/secret-key.ts says where it comes from). */
function storeSecretKey(config: KeyheatConfig): ResolvedSecretKey {
  return secretKeyForStore(databaseUrl(config), { key: config.secrets.key, keyFile: config.secrets.key_file, dataDir: config.data_dir });
}

/**
 * Says where the key came from, and names every instance whose password it cannot open: those
 * stay listed, their analyses fail with the reason, and the rest of keyheat runs.
 */
async function logSecretKey(secret: ResolvedSecretKey, store: Store, logger: Logger): Promise<void> {
  logger.info({ key_id: secret.key.id, source: secret.source, generated: secret.generated }, 'secret key for stored Redis passwords');
  const unreadable = await store.instances.unreadable();
  if (unreadable.length > 0) {
    logger.error(
      { instances: unreadable.map((instance) => ({ instance_id: instance.id, project_id: instance.projectId, name: instance.name })) },
      'stored Redis passwords cannot be decrypted with this secret key (lost or wrong key); these instances cannot be analysed until the key is restored or they are registered again',
    );
  }
}

/**
 * `keyheat secrets rotate`: re-seals every stored Redis password with the key in `newKeyFile`, in
 * one transaction, on a stopped service's store (or, with PostgreSQL, before every process
 * restarts with the new key). The current key comes from the usual places.
 */
export async function rotateSecretKey(
  config: KeyheatConfig,
  newKeyFile: string,
): Promise<{ resealed: number; already: number; oldKeyId: string; newKeyId: string; installed: string | null }> {
  const next = readKeyFile(newKeyFile);
  const current = storeSecretKey(config);
  const store = await openStore(databaseUrl(config), { maxTasksPerInstance: config.retention.max_tasks_per_instance, pool: poolSettings(config), secretKey: current.key });
  let counts: { resealed: number; already: number };
  try {
    counts = await store.instances.reseal(next);
  } finally {
    await store.close();
  }
  // The generated key of the embedded store is replaced by the new one, durably, once the
  // secrets are sealed with it: a run cut before this point is finished by running it again.
  const generated = current.source === path.join(config.data_dir, GENERATED_KEY_FILE) && current.key.id !== next.id;
  if (generated) writePrivateFileDurably(current.source, `${next.key.toString('base64')}\n`, { replace: true });
  return { ...counts, oldKeyId: current.key.id, newKeyId: next.id, installed: generated ? current.source : null };
}
