/**
 * The nodes an analysis reads per shard, when it may read a replica instead of the primary (big
 * keys by default, snapshots when asked): per shard (a standalone server, or a cluster primary
 * that owns slots) one of its online replicas when one can be used (reachable within
 * network.allow with the instance's credentials, its link to its primary up, READONLY accepted
 * on a cluster), each tried in turn; else the primary itself, with the reason in replicaSkipped.
 */
import { RedisFailure } from '../domain/redis-failure.js';
import { readClusterTopology, scannablePrimaries } from '../redis/cluster-topology.js';
import type { NodePool } from '../redis/node-pool.js';
import type { RespConnection } from '../redis/resp-connection.js';
import { RedisReplyError } from '../redis/resp-parser.js';
import type { ServerFacts } from '../redis/server-info.js';
import { parseInfo } from '../redis/server-info.js';

/** One shard to read: its primary, and the replicas that could be read instead. */
export interface ShardPlan {
  /** Cluster: the primary's address (a key's `shard`). */
  readonly shard?: string | undefined;
  /** The node read when no replica is: the primary, or the registered node itself. */
  readonly fallback: string;
  /** The registered node is itself a replica (a standalone replica registered directly). */
  readonly fallbackRole: 'primary' | 'replica';
  readonly replicas: readonly string[];
  /** Cluster replicas need READONLY before key commands. */
  readonly cluster: boolean;
}

export interface Picked {
  readonly connection: RespConnection;
  readonly role: 'primary' | 'replica';
  readonly noTouch: boolean;
  readonly replicaSkipped: string | null;
}

/**
 * Opens the node to read of a shard: a usable replica when `preferReplicas`, else the fallback.
 * `notPreferred` is the replicaSkipped reason when replicas exist but are not preferred.
 */
export async function pickNode(
  plan: ShardPlan,
  pool: NodePool,
  signal: AbortSignal,
  preferReplicas: boolean,
  notPreferred = 'replicas not preferred (prefer_replicas off): the primary was read',
): Promise<Picked> {
  const reasons: string[] = [];
  if (preferReplicas) {
    for (const replica of plan.replicas) {
      let connection: RespConnection | null = null;
      try {
        connection = await pool.open(replica);
        const noTouch = await clientNoTouch(connection);
        await checkReplica(connection, plan.cluster);
        return { connection, role: 'replica', noTouch, replicaSkipped: null };
      } catch (error) {
        connection?.close();
        if (signal.aborted || !(error instanceof RedisFailure)) throw error;
        reasons.push(error.message);
      }
    }
  }
  const replicaSkipped =
    plan.replicas.length === 0 ? null : !preferReplicas ? notPreferred : `no replica could be read: ${reasons.join('; ')}`;
  const connection = await pool.open(plan.fallback);
  try {
    return { connection, role: plan.fallbackRole, noTouch: await clientNoTouch(connection), replicaSkipped };
  } catch (error) {
    connection.close();
    throw error;
  }
}

/** CLIENT NO-TOUCH ON: true where the server has it (7.2+); an error reply (older servers) is not a failure. */
export async function clientNoTouch(connection: RespConnection): Promise<boolean> {
  const [reply] = await connection.pipeline([['CLIENT', 'NO-TOUCH', 'ON']]);
  return !(reply instanceof RedisReplyError);
}

/** A replica worth reading: its link to the primary is up; on a cluster it accepts READONLY. */
export async function checkReplica(connection: RespConnection, cluster: boolean): Promise<void> {
  const info = parseInfo(await connection.text(['INFO', 'replication']));
  const node = connection.address;
  if (info.get('role') !== 'slave') throw new RedisFailure('unsupported', node, `${node} is not a replica (any more)`);
  const link = info.get('master_link_status');
  if (link !== 'up') throw new RedisFailure('unsupported', node, `${node}: its link to the primary is ${link === undefined ? 'unknown' : 'down'}`);
  if (cluster) await connection.call(['READONLY']);
}


/** A standalone server: itself, or one of the online replicas its INFO replication lists. */
export function standalonePlans(address: string, facts: ServerFacts): ShardPlan[] {
  if (facts.role === 'slave') return [{ fallback: address, fallbackRole: 'replica', replicas: [], cluster: false }];
  return [{ fallback: address, fallbackRole: 'primary', replicas: facts.replicas, cluster: false }];
}

/** Every primary that owns slots, with its healthy replicas from CLUSTER NODES. */
export async function clusterPlans(seed: RespConnection, seedHost: string, maxClusterPrimaries: number): Promise<ShardPlan[]> {
  const topology = await readClusterTopology(seed, seedHost, maxClusterPrimaries);
  const primaries = scannablePrimaries(topology);
  if (primaries.length === 0) throw new RedisFailure('cluster-down', seed.address, `${seed.address}: no primary of the cluster owns a slot`);
  return primaries.map((primary) => ({
    shard: primary.address,
    fallback: primary.address,
    fallbackRole: 'primary',
    replicas: topology.replicas.filter((r) => r.primaryId === primary.id).map((r) => r.address),
    cluster: true,
  }));
}
