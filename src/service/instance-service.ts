/** Registering, listing and removing Redis deployments. */
import { randomUUID } from 'node:crypto';
import { invalidParameter, KeyheatError } from '../domain/errors.js';
import { meaningOf } from '../domain/failure-map.js';
import { endpointAddress, type Instance, type RedisEndpoint, type RedisTls } from '../domain/instance.js';
import { RedisFailure } from '../domain/redis-failure.js';
import type { Telemetry } from '../domain/telemetry.js';
import { wireTime } from '../domain/task.js';
import { inspectDeployment } from '../redis/deployment-preflight.js';
import type { RedisAccess } from '../redis/redis-access.js';
import { CredentialError, parseRedisUrl } from '../redis/redis-url.js';
import { tlsMaterialProblem } from '../redis/tls-material.js';
import type { Store } from '../storage/store.js';

export interface RegisterInstance {
  readonly name: string;
  readonly url: string;
  readonly password?: string | undefined;
  /** The Sentinels' own password, for a redis+sentinel:// URL. */
  readonly sentinelPassword?: string | undefined;
  /** TLS settings (PEM text); with a redis:// URL they turn TLS on. */
  readonly tls?: RedisTls | undefined;
  /** Config-file instances bring their own id. */
  readonly id?: string;
}

export class InstanceService {
  constructor(
    private readonly store: Store,
    private readonly redis: RedisAccess,
    /** Stops running analyses of an instance before it goes away. */
    private readonly cancelTasksOf: (instanceId: string) => Promise<void>,
    private readonly telemetry: Telemetry,
    /** Aborted when keyheat shuts down: checks of a Redis in progress stop then. */
    private readonly lifetime?: AbortSignal,
  ) {}

  /** Connects, detects version and mode, and stores the instance. Refuses what it cannot reach. */
  async register(projectId: string, request: RegisterInstance, options: { upsert?: boolean } = {}): Promise<Instance> {
    let endpoint: RedisEndpoint;
    try {
      endpoint = parseRedisUrl(request.url, { password: request.password, sentinelPassword: request.sentinelPassword, tls: request.tls });
    } catch (error) {
      throw invalidParameter(error instanceof CredentialError ? (/Sentinel/.test((error as Error).message) ? 'sentinel_password' : 'password') : 'url', (error as Error).message);
    }
    if (endpoint.tls !== null) {
      const problem = tlsMaterialProblem(endpoint.tls);
      if (problem !== null) throw invalidParameter('tls', problem);
    }
    let inspected;
    try {
      inspected = await inspectDeployment(endpoint, this.redis, this.lifetime);
    } catch (error) {
      if (error instanceof RedisFailure) this.telemetry.redisFailure(error.kind, 'registration');
      throw registrationError(error, endpoint);
    }
    const now = wireTime(new Date());
    const instance: Instance = {
      id: request.id ?? randomUUID(),
      projectId,
      name: request.name,
      endpoint,
      mode: inspected.mode,
      engine: inspected.identity.engine,
      engineVersion: inspected.identity.version,
      status: 'RUNNING',
      createdAt: now,
    };
    if (options.upsert === true) await this.store.instances.upsert(instance);
    else await this.store.instances.insert(instance);
    return instance;
  }

  async list(projectId: string): Promise<Instance[]> {
    return this.store.instances.list(projectId);
  }

  async get(projectId: string, instanceId: string): Promise<Instance> {
    const instance = await this.store.instances.get(projectId, instanceId);
    if (instance === undefined) throw new KeyheatError('instanceNotFound');
    return instance;
  }

  async delete(projectId: string, instanceId: string): Promise<void> {
    await this.get(projectId, instanceId);
    await this.cancelTasksOf(instanceId);
    if (!(await this.store.instances.delete(projectId, instanceId))) throw new KeyheatError('instanceNotFound');
  }
}

/** Failures that say only that no Redis answered: registration tells none of them apart. */
const SPEAKS_NO_REDIS: ReadonlySet<string> = new Set(['unreachable', 'timeout', 'protocol']);

/**
 * Registration answers DCS.4800 naming `url` or `password`, or, where keyheat cannot get through
 * to a deployment that is there (TLS, Sentinel), the failure's own DCS error (failure-map.ts),
 * with the node's reason.
 */
function registrationError(error: unknown, endpoint: RedisEndpoint): KeyheatError {
  if (!(error instanceof RedisFailure)) throw error;
  if (error.kind === 'cancelled') return new KeyheatError('serviceStopping', { detail: 'keyheat is shutting down; try again on another keyheat process' });
  // A closed port, a timeout and a service that is not Redis answer alike: registration is no port scanner.
  if (SPEAKS_NO_REDIS.has(error.kind) && error.node === endpointAddress(endpoint)) {
    const tls = endpoint.tls === null ? '' : '; over TLS, a port that does not speak TLS gives no answer either';
    return invalidParameter('url', `cannot reach Redis: no Redis answered at ${endpointAddress(endpoint)} (nothing listening, no answer in time, or not a Redis${tls})`);
  }
  const meaning = meaningOf(error);
  const detail = `${meaning.summary}: ${error.message}`;
  return meaning.registerParam === null ? new KeyheatError(meaning.error, { detail }) : invalidParameter(meaning.registerParam, detail);
}
