/** Registering, listing and removing Redis deployments. */
import { randomUUID } from 'node:crypto';
import { invalidParameter, KeyheatError } from '../domain/errors.js';
import { endpointAddress, type Instance, type InstanceMode, type RedisEndpoint } from '../domain/instance.js';
import { wireTime } from '../domain/task.js';
import { connectEndpoint } from '../engine/node-pool.js';
import { classifyRedisError } from '../redis/classify-redis-error.js';
import { readServerFacts } from '../redis/preflight.js';
import { parseRedisUrl } from '../redis/redis-url.js';
import type { Store } from '../storage/store.js';

export interface RegisterInstance {
  readonly name: string;
  readonly url: string;
  readonly password?: string | undefined;
  /** Config-file instances bring their own id. */
  readonly id?: string;
}

export interface ConnectTimeouts {
  readonly connectTimeoutMs: number;
  readonly commandTimeoutMs: number;
}

export class InstanceService {
  constructor(
    private readonly store: Store,
    private readonly timeouts: ConnectTimeouts,
    /** Stops running analyses of an instance before it goes away. */
    private readonly cancelTasksOf: (instanceId: string) => Promise<void>,
  ) {}

  /** Connects, detects version and mode, and stores the instance. Refuses what it cannot reach. */
  async register(projectId: string, request: RegisterInstance, options: { upsert?: boolean } = {}): Promise<Instance> {
    let endpoint: RedisEndpoint;
    try {
      endpoint = parseRedisUrl(request.url, request.password ?? null);
    } catch (error) {
      throw invalidParameter('url', (error as Error).message);
    }
    const { version, mode } = await this.inspect(endpoint);
    const now = wireTime(new Date());
    const instance: Instance = {
      id: request.id ?? randomUUID(),
      projectId,
      name: request.name,
      endpoint,
      mode,
      engineVersion: version,
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

  private async inspect(endpoint: RedisEndpoint): Promise<{ version: string; mode: InstanceMode }> {
    let connection;
    try {
      connection = await connectEndpoint(endpoint, this.timeouts);
    } catch (error) {
      throw registrationError(error, endpoint);
    }
    try {
      const facts = await readServerFacts(connection);
      if (facts.mode === 'sentinel') {
        throw invalidParameter('url', `${connection.address} is a Redis Sentinel; register the primary it monitors instead`);
      }
      return { version: facts.version, mode: facts.mode === 'cluster' ? 'cluster' : 'single' };
    } catch (error) {
      if (error instanceof KeyheatError) throw error;
      throw registrationError(error, endpoint);
    } finally {
      connection.close();
    }
  }
}

function registrationError(error: unknown, endpoint: RedisEndpoint): KeyheatError {
  const address = endpointAddress(endpoint);
  const failure = classifyRedisError(error, address);
  if (failure.kind === 'auth') {
    const detail = endpoint.password === null ? `${address} requires a password (NOAUTH)` : `${address} refused the credentials (WRONGPASS)`;
    return invalidParameter('password', detail);
  }
  if (failure.kind === 'no-permission') return invalidParameter('url', `${address}: the user may not run INFO (${failure.message})`);
  return invalidParameter('url', `cannot reach Redis at ${address}: ${failure.message}`);
}
