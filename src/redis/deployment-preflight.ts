/**
 * Checks of a deployment before keyheat accepts it: what registration reads (version, mode)
 * and what must hold before a task is accepted (every primary reachable with the stored
 * credentials, Redis >= 4.0, an LFU maxmemory-policy). Throws RedisFailure naming the node.
 * Primaries are checked a few at a time, each connection closed when its node is checked.
 */
import { forEachLimit } from '../domain/for-each-limit.js';
import { endpointAddress, type InstanceMode, type RedisEndpoint } from '../domain/instance.js';
import { RedisFailure } from '../domain/redis-failure.js';
import { readClusterTopology, scannablePrimaries } from './cluster-topology.js';
import { NodePool } from './node-pool.js';
import { checkedFacts, readServerFacts, refuseUnsupported } from './preflight.js';
import type { RedisAccess } from './redis-access.js';
import { probeMonitor, sampleTargets } from './sample-targets.js';
import { checkSnapshotAllowed } from './snapshot-preflight.js';

export interface DeploymentFacts {
  readonly mode: InstanceMode;
  readonly version: string;
  /** `ip:port` of every primary checked. */
  readonly primaries: readonly string[];
}

/** Primaries checked at once: enough to be quick, few enough to be gentle. */
const PREFLIGHT_PARALLEL = 8;

/** Version and mode, for registration. A Sentinel is refused ('unsupported'). */
export async function inspectDeployment(endpoint: RedisEndpoint, access: RedisAccess, signal?: AbortSignal): Promise<{ version: string; mode: InstanceMode }> {
  const pool = new NodePool(endpoint, access, signal);
  const address = endpointAddress(endpoint);
  try {
    const connection = await pool.open(address);
    const facts = await readServerFacts(connection);
    if (facts.mode === 'sentinel') throw new RedisFailure('unsupported', address, `${address} is a Redis Sentinel; register the primary it monitors instead`);
    return { version: facts.version, mode: facts.mode === 'cluster' ? 'cluster' : 'single' };
  } finally {
    pool.closeAll();
  }
}

/** What a task asks of the deployment beyond the LFU scan. */
export interface PreflightNeeds {
  /** A sampling phase: MONITOR must be accepted (on the replicas too when they are watched); LFU is then optional. */
  readonly sampling?: { readonly replicas: boolean } | undefined;
  /** No LFU scan at all (a big key analysis): reachable nodes of any version and policy, a registered replica included. */
  readonly noLfu?: boolean;
  /**
   * A snapshot (strategy "snapshot"): SYNC and REPLCONF permitted and the memory check passed on
   * the node that will fork: each primary, or, with `replicas`, the primaries of shards without one.
   */
  readonly snapshot?: { readonly replicas: boolean; readonly maxMemoryShare: number } | undefined;
}

/**
 * Every primary reachable and analysable; throws the first failure. With a sampling phase, a
 * non-LFU policy is accepted (the task then only samples) and every node to watch must accept
 * MONITOR, so a refusal is a 400 DCS.4922 at creation rather than a failed task.
 */
export async function preflightDeployment(endpoint: RedisEndpoint, access: RedisAccess, signal?: AbortSignal, needs: PreflightNeeds = {}): Promise<DeploymentFacts> {
  const pool = new NodePool(endpoint, access, signal);
  const lfuOptional = needs.noLfu === true ? 'big' : needs.sampling !== undefined;
  try {
    const seed = await pool.open(endpointAddress(endpoint));
    const facts = await readServerFacts(seed);
    if (facts.mode !== 'cluster') {
      refuseUnsupported(facts, seed.address, lfuOptional);
      if (needs.sampling !== undefined) {
        const targets = await sampleTargets(seed, facts, endpoint.host, access.maxClusterPrimaries, needs.sampling.replicas);
        await forEachLimit(targets, PREFLIGHT_PARALLEL, (target) => probeMonitor(pool, target.address));
      }
      if (needs.snapshot !== undefined && !(needs.snapshot.replicas && facts.replicas.length > 0)) await checkSnapshotAllowed(seed, needs.snapshot.maxMemoryShare);
      return { mode: 'single', version: facts.version, primaries: [seed.address] };
    }
    const topology = await readClusterTopology(seed, endpoint.host, access.maxClusterPrimaries);
    const primaries = scannablePrimaries(topology);
    const snapshot = needs.snapshot;
    const forking = new Set(
      snapshot === undefined ? [] : primaries.filter((p) => !(snapshot.replicas && topology.replicas.some((r) => r.primaryId === p.id))).map((p) => p.address),
    );
    const targets = needs.sampling === undefined ? [] : await sampleTargets(seed, facts, endpoint.host, access.maxClusterPrimaries, needs.sampling.replicas);
    seed.close();
    if (primaries.length === 0) throw new RedisFailure('cluster-down', seed.address, `${seed.address}: no primary of the cluster owns a slot`);
    await forEachLimit(primaries, PREFLIGHT_PARALLEL, async (primary) => {
      const connection = await pool.open(primary.address);
      try {
        await checkedFacts(connection, lfuOptional);
        if (snapshot !== undefined && forking.has(primary.address)) await checkSnapshotAllowed(connection, snapshot.maxMemoryShare);
      } finally {
        connection.close();
      }
    });
    await forEachLimit(targets, PREFLIGHT_PARALLEL, (target) => probeMonitor(pool, target.address));
    return { mode: 'cluster', version: facts.version, primaries: primaries.map((p) => p.address) };
  } finally {
    pool.closeAll();
  }
}
