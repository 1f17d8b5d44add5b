/**
 * The lifecycle every analysis shares (hot keys, big keys): one pool of connections to the
 * deployment, a deadline (analysis.max_duration_ms), and the caller's abort relayed to both.
 * Aborting, by the caller or the deadline, closes every connection at once, including ones still
 * connecting or authenticating, so the analysis stops whatever the nodes do; the pool is closed
 * when the work ends, however it ends. Written once: each analysis only does its own work.
 */
import { setMaxListeners } from 'node:events';
import { endpointAddress, type RedisEndpoint } from '../domain/instance.js';
import { RedisFailure } from '../domain/redis-failure.js';
import { NodePool } from '../redis/node-pool.js';
import type { AnalysisOptions } from './analysis-options.js';

export interface AnalysisScope {
  readonly pool: NodePool;
  /** Aborted by the caller's signal or the deadline; every wait of the analysis listens to it. */
  readonly signal: AbortSignal;
  /** `host:port` of the registered node. */
  readonly address: string;
}

/**
 * Runs `work` in a scope. Throws what `work` throws, or, once the scope was aborted, the abort's
 * reason (a RedisFailure of kind 'deadline', or the caller's reason).
 */
export async function withAnalysisScope<T>(
  endpoint: RedisEndpoint,
  options: Pick<AnalysisOptions, 'maxDurationMs' | 'redis' | 'signal'>,
  work: (scope: AnalysisScope) => Promise<T>,
): Promise<T> {
  const address = endpointAddress(endpoint);
  const controller = new AbortController();
  // Every node's scan, pacer and wait listens to it.
  setMaxListeners(0, controller.signal);
  const deadline = setTimeout(() => {
    const hours = options.maxDurationMs / 3_600_000;
    const limit = hours >= 1 ? `${Math.round(hours * 10) / 10} h` : `${Math.round(options.maxDurationMs / 1000)} s`;
    controller.abort(new RedisFailure('deadline', address, `still running after analysis.max_duration_ms (${limit}); it was stopped`));
  }, options.maxDurationMs);
  deadline.unref();
  const onAbort = (): void => controller.abort(options.signal?.reason);
  if (options.signal?.aborted === true) onAbort();
  options.signal?.addEventListener('abort', onAbort, { once: true });
  const pool = new NodePool(endpoint, options.redis, controller.signal);
  try {
    return await work({ pool, signal: controller.signal, address });
  } catch (error) {
    if (controller.signal.aborted) throw controller.signal.reason;
    throw error;
  } finally {
    clearTimeout(deadline);
    options.signal?.removeEventListener('abort', onAbort);
    pool.closeAll();
  }
}
