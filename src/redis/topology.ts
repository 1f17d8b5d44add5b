/**
 * Which nodes a deployment has, worked out in one place for registration, the preflight of a
 * task and every analysis (hot keys, big keys, sampling, snapshots):
 * - a standalone server: one shard, the server itself, with the online replicas its INFO
 *   replication lists (a registered replica is a shard of its own, read as it is);
 * - a Redis Cluster: every primary that owns slots, with its healthy replicas (CLUSTER NODES of
 *   the registered node);
 * - a primary behind Redis Sentinel (redis+sentinel://): the primary the Sentinels name now, with
 *   the replicas they list as up (sentinel.ts); asked anew at every call, so a failover between
 *   two tasks needs nothing from the operator.
 * A Sentinel registered as a plain redis:// URL is refused here, once, pointing at
 * redis+sentinel://.
 *
 * Commands run: INFO on the node opened (the registered node, or the primary a Sentinel names),
 * CLUSTER NODES on a cluster node; the Sentinels' commands (sentinel.ts).
 */
import { serverText } from '../domain/display-text.js';
import { endpointAddress, type InstanceMode, type RedisEndpoint, type SentinelSettings } from '../domain/instance.js';
import type { DeploymentNode } from '../domain/offline-report.js';
import { RedisFailure } from '../domain/redis-failure.js';
import { readClusterTopology, scannablePrimaries, type ClusterTopology } from './cluster-topology.js';
import type { NodePool } from './node-pool.js';
import type { RespConnection } from './resp-connection.js';
import { askSentinels } from './sentinel.js';
import { parseInfo, serverFacts, serverIdentity, type InfoFields, type ServerFacts } from './server-info.js';

/** One shard: the node holding its data, and the replicas that could be read instead. */
export interface Shard {
  /** Cluster: the primary's address, which a key's `shard` names. */
  readonly shard?: string | undefined;
  /** The node read when no replica is: the primary, or the registered node itself. */
  readonly primary: string;
  /** The registered node is itself a replica (a standalone replica registered directly). */
  readonly primaryRole: 'primary' | 'replica';
  readonly replicas: readonly string[];
  /** Cluster nodes: replicas need READONLY before key commands, and only db 0 exists. */
  readonly cluster: boolean;
}

export interface Deployment {
  readonly mode: InstanceMode;
  /**
   * An open connection to the registered node (a cluster node, a standalone server) or to the
   * primary the Sentinels named; the caller closes it when done with it (the pool does at the end).
   */
  readonly seed: RespConnection;
  /** The seed's INFO, every section. */
  readonly info: InfoFields;
  readonly facts: ServerFacts;
  /** The host of the registered URL: cluster nodes that announce no address are on it. */
  readonly seedHost: string;
  readonly shards: readonly Shard[];
  /** The cluster as CLUSTER NODES showed it when the deployment was opened; null for other modes. */
  readonly cluster: ClusterTopology | null;
  /** With Sentinel: the Sentinel that named the primary. */
  readonly sentinel: string | null;
}

export interface TopologyLimits {
  readonly maxClusterPrimaries: number;
}

/**
 * Opens the deployment `endpoint` names: its seed connection, INFO and shards. Throws
 * RedisFailure: 'unsupported' for a Sentinel given as redis://, 'sentinel' when no Sentinel
 * names a primary, 'cluster-down' when no primary owns a slot, or the seed's own failure.
 */
export async function openDeployment(pool: NodePool, endpoint: RedisEndpoint, limits: TopologyLimits, signal?: AbortSignal): Promise<Deployment> {
  const sentinel = endpoint.sentinel ?? null;
  if (sentinel !== null) return openThroughSentinel(pool, { ...endpoint, sentinel }, signal);
  const seed = await pool.open(endpointAddress(endpoint));
  try {
    const info = await readInfo(seed);
    const facts = serverFacts(info);
    if (facts.mode === 'sentinel') throw sentinelGivenAsRedis(seed.address, info);
    if (facts.mode === 'cluster') {
      const cluster = await readClusterTopology(seed, endpoint.host, limits.maxClusterPrimaries);
      return { mode: 'cluster', seed, info, facts, seedHost: endpoint.host, shards: clusterShards(cluster, seed.address), cluster, sentinel: null };
    }
    const shards: Shard[] =
      facts.role === 'slave'
        ? [{ primary: seed.address, primaryRole: 'replica', replicas: [], cluster: false }]
        : [{ primary: seed.address, primaryRole: 'primary', replicas: facts.replicas, cluster: false }];
    return { mode: 'single', seed, info, facts, seedHost: endpoint.host, shards, cluster: null, sentinel: null };
  } catch (error) {
    seed.close();
    throw error;
  }
}

/** Every primary that owns slots, with its healthy replicas; none owning a slot is a cluster that is down. */
export function clusterShards(topology: ClusterTopology, node: string): Shard[] {
  const primaries = scannablePrimaries(topology);
  if (primaries.length === 0) throw new RedisFailure('cluster-down', node, `${node}: no primary of the cluster owns a slot`);
  return primaries.map((primary) => ({
    shard: primary.address,
    primary: primary.address,
    primaryRole: 'primary',
    replicas: topology.replicas.filter((r) => r.primaryId === primary.id).map((r) => r.address),
    cluster: true,
  }));
}

async function openThroughSentinel(pool: NodePool, endpoint: RedisEndpoint & { readonly sentinel: SentinelSettings }, signal?: AbortSignal): Promise<Deployment> {
  return askSentinels(endpoint, pool.settings, signal, async (answer) => {
    const seed = await openNamedPrimary(pool, answer.sentinel, answer.primary);
    try {
      const info = await readInfo(seed);
      const facts = serverFacts(info);
      if (facts.role !== 'master' || facts.mode !== 'standalone') {
        // A Sentinel that has not seen a failover yet, or an address reused by something else.
        throw new RedisFailure('sentinel', answer.sentinel, `${answer.sentinel} names ${answer.primary} as the primary, but that node is ${facts.role === 'master' ? `in ${facts.mode} mode` : 'a replica'} (a failover in progress?)`);
      }
      const shards: Shard[] = [{ primary: seed.address, primaryRole: 'primary', replicas: answer.replicas, cluster: false }];
      return { mode: 'sentinel', seed, info, facts, seedHost: endpoint.host, shards, cluster: null, sentinel: answer.sentinel };
    } catch (error) {
      seed.close();
      throw error;
    }
  });
}

/**
 * The primary a Sentinel names. One that cannot be reached may be an old primary a Sentinel has
 * not seen fail over yet: that is this Sentinel's answer failing, and the next one is asked.
 */
async function openNamedPrimary(pool: NodePool, sentinel: string, primary: string): Promise<RespConnection> {
  try {
    return await pool.open(primary);
  } catch (error) {
    if (!(error instanceof RedisFailure) || !['unreachable', 'timeout', 'loading'].includes(error.kind)) throw error;
    throw new RedisFailure('sentinel', sentinel, `${sentinel} names ${primary} as the primary, which cannot be reached (${error.message})`, { cause: error });
  }
}

async function readInfo(connection: RespConnection): Promise<InfoFields> {
  return parseInfo(await connection.text(['INFO']));
}

/** A Sentinel's own address given as a Redis: refused, saying how to register what it monitors. */
function sentinelGivenAsRedis(address: string, info: InfoFields): RedisFailure {
  const names: string[] = [];
  for (const [field, value] of info) {
    const name = /^master\d{1,5}$/.test(field) ? /(?:^|,)name=([^,]{1,128})/.exec(value)?.[1] : undefined;
    if (name !== undefined && names.length < 5) names.push(serverText(name));
  }
  const example = `redis+sentinel://${address}/${names[0] ?? '<master_name>'}`;
  const monitors = names.length === 0 ? '' : ` (it monitors ${names.map((n) => `"${n}"`).join(', ')})`;
  const engine = serverIdentity(info).engine;
  return new RedisFailure('unsupported', address, `${address} is a ${engine} Sentinel${monitors}: register it as ${example}, and keyheat asks it for the current primary at every task`);
}

/** Nodes named in a refusal at most: a large cluster has thousands. */
const NODES_LISTED = 20;

/**
 * Every node of a deployment an RDB may be read from (DCS's offline analysis nodes): each shard's
 * primary (or the registered node itself) and its usable replicas, with their shard.
 */
export function nodesOfDeployment(deployment: Pick<Deployment, 'mode' | 'shards'>): DeploymentNode[] {
  return deployment.shards.flatMap((shard) => {
    const groupName = deployment.mode === 'cluster' ? (shard.shard ?? shard.primary) : 'single';
    const primary: DeploymentNode = { id: shard.primary, name: shard.primary, groupName, role: shard.primaryRole === 'primary' ? 'master' : 'slave' };
    return [primary, ...shard.replicas.map((replica): DeploymentNode => ({ id: replica, name: replica, groupName, role: 'slave' }))];
  });
}

/** `node` is not one of the deployment's nodes: named, with the nodes it has. */
export function notInDeployment(node: string, address: string, nodes: readonly DeploymentNode[]): RedisFailure {
  const shown = serverText(node);
  const listed = nodes.slice(0, NODES_LISTED).map((n) => `${n.id} (${n.role})`);
  const more = nodes.length > NODES_LISTED ? ` and ${nodes.length - NODES_LISTED} more` : '';
  return new RedisFailure('unsupported', shown, `${shown} is not a node of the deployment at ${address}: its nodes are ${listed.join(', ')}${more}`);
}
