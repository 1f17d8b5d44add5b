/**
 * What must hold before an analysis is accepted: every primary reachable with the stored
 * credentials, Redis >= 4.0 and an LFU maxmemory-policy. Throws RedisFailure (cannot reach or
 * authenticate, naming the node) or AnalysisRefused (version or policy, naming the node).
 */
import { endpointAddress, type InstanceMode, type RedisEndpoint } from '../domain/instance.js';
import { classifyRedisError } from '../redis/classify-redis-error.js';
import { readClusterTopology } from '../redis/cluster-topology.js';
import { readServerFacts } from '../redis/preflight.js';
import { NodePool } from './node-pool.js';
import { checkedFacts, refuseUnsupported } from './scan-node.js';

export interface DeploymentFacts {
  readonly mode: InstanceMode;
  readonly version: string;
  /** `ip:port` of every primary checked. */
  readonly primaries: readonly string[];
}

export async function preflightDeployment(
  endpoint: RedisEndpoint,
  timeouts: { connectTimeoutMs: number; commandTimeoutMs: number },
): Promise<DeploymentFacts> {
  const pool = new NodePool(endpoint, timeouts);
  try {
    const seed = await pool.get(endpointAddress(endpoint));
    const facts = await readServerFacts(seed).catch((error: unknown) => {
      throw classifyRedisError(error, seed.address);
    });
    if (facts.mode !== 'cluster') {
      refuseUnsupported(facts, seed.address);
      return { mode: 'single', version: facts.version, primaries: [seed.address] };
    }
    const topology = await readClusterTopology(seed, endpoint.host).catch((error: unknown) => {
      throw classifyRedisError(error, seed.address);
    });
    await Promise.all(topology.primaries.map(async (primary) => checkedFacts(await pool.get(primary.address))));
    return { mode: 'cluster', version: facts.version, primaries: topology.primaries.map((p) => p.address) };
  } finally {
    pool.closeAll();
  }
}
