/**
 * Checks of a deployment before keyheat accepts it: what registration reads (engine, version,
 * mode) and what must hold before a task is accepted (every primary reachable with the stored
 * credentials, Redis >= 4.0, an LFU maxmemory-policy). Throws RedisFailure naming the node.
 * Which nodes there are is topology.ts's to say; primaries are checked a few at a time, each
 * connection closed when its node is checked.
 */
import { forEachLimit } from '../domain/for-each-limit.js';
import type { InstanceMode, RedisEndpoint } from '../domain/instance.js';
import { NodePool } from './node-pool.js';
import { checkedFacts, refuseUnsupported } from './preflight.js';
import type { RedisAccess } from './redis-access.js';
import { probeMonitor, sampleTargets } from './sample-targets.js';
import type { ServerIdentity } from './server-info.js';
import { checkSnapshotAllowed } from './snapshot-preflight.js';
import { nodesOfDeployment, notInDeployment, openDeployment } from './topology.js';
import type { DeploymentNode } from '../domain/offline-report.js';

export interface DeploymentFacts {
  readonly mode: InstanceMode;
  /** The registered node's (or, with Sentinel, the current primary's) engine and version. */
  readonly identity: ServerIdentity;
  /** `ip:port` of every primary checked. */
  readonly primaries: readonly string[];
}

/** Primaries checked at once: enough to be quick, few enough to be gentle. */
const PREFLIGHT_PARALLEL = 8;

/** Engine, version and mode, for registration. A Sentinel given as redis:// is refused ('unsupported'). */
export async function inspectDeployment(endpoint: RedisEndpoint, access: RedisAccess, signal?: AbortSignal): Promise<{ identity: ServerIdentity; mode: InstanceMode }> {
  const pool = new NodePool(endpoint, access, signal);
  try {
    const deployment = await openDeployment(pool, endpoint, access, signal);
    return { identity: deployment.facts, mode: deployment.mode };
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
  /**
   * One node's RDB (an offline key analysis of a fresh backup): the node must be one of the
   * deployment's, and with `snapshot` it is the one checked for forking, not the primaries.
   */
  readonly node?: string | undefined;
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
    const deployment = await openDeployment(pool, endpoint, access, signal);
    const { seed, shards } = deployment;
    if (needs.node !== undefined) {
      const nodes = nodesOfDeployment(deployment);
      if (!nodes.some((n) => n.id === needs.node)) throw notInDeployment(needs.node, seed.address, nodes);
      if (needs.snapshot !== undefined) {
        const own = needs.node === seed.address;
        const connection = own ? seed : await pool.open(needs.node);
        try {
          await checkSnapshotAllowed(connection, needs.snapshot.maxMemoryShare, own ? deployment.info : undefined);
        } finally {
          connection.close();
        }
      }
      return { mode: deployment.mode, identity: deployment.facts, primaries: shards.map((s) => s.primary) };
    }
    const snapshot = needs.snapshot;
    await forEachLimit(shards, PREFLIGHT_PARALLEL, async (shard) => {
      const own = shard.primary === seed.address;
      const connection = own ? seed : await pool.open(shard.primary);
      try {
        if (own) refuseUnsupported(deployment.facts, seed.address, lfuOptional);
        else await checkedFacts(connection, lfuOptional);
        // The node that will fork: the primary, unless a replica of the shard will be read instead.
        if (snapshot !== undefined && !(snapshot.replicas && shard.replicas.length > 0)) {
          await checkSnapshotAllowed(connection, snapshot.maxMemoryShare, own ? deployment.info : undefined);
        }
      } finally {
        connection.close();
      }
    });
    if (needs.sampling !== undefined) {
      await forEachLimit(sampleTargets(shards, needs.sampling.replicas), PREFLIGHT_PARALLEL, (target) => probeMonitor(pool, target.address));
    }
    return { mode: deployment.mode, identity: deployment.facts, primaries: shards.map((s) => s.primary) };
  } finally {
    pool.closeAll();
  }
}

/** The nodes of the deployment an RDB may be read from (topology.ts nodesOfDeployment), through a pool closed at the end. */
export async function listDeploymentNodes(endpoint: RedisEndpoint, access: RedisAccess, signal?: AbortSignal): Promise<DeploymentNode[]> {
  const pool = new NodePool(endpoint, access, signal);
  try {
    return nodesOfDeployment(await openDeployment(pool, endpoint, access, signal));
  } finally {
    pool.closeAll();
  }
}
