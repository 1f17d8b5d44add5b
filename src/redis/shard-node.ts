/**
 * Opening the node to read of a shard (topology.ts says which shards there are): one of its
 * online replicas when the analysis prefers them (big keys by default, snapshots when asked) and
 * one can be used (reachable within network.allow with the instance's credentials, its link to
 * its primary up, READONLY accepted on a cluster), each tried in turn; else the primary itself,
 * with the reason in replicaSkipped.
 *
 * Commands run on the node opened: CLIENT NO-TOUCH ON (Redis 7.2+: key commands then leave the
 * keys' LRU/LFU data alone), and on a replica INFO replication and, in a cluster, READONLY.
 */
import { RedisFailure } from '../domain/redis-failure.js';
import type { NodePool } from './node-pool.js';
import type { RespConnection } from './resp-connection.js';
import { RedisReplyError, type Reply } from './resp-parser.js';
import { parseInfo, serverIdentity } from './server-info.js';
import type { Shard } from './topology.js';

/**
 * CLIENT NO-TOUCH on a connection: 'on'; 'unavailable' where the server has no such command
 * (before Redis 7.2); 'denied' where the ACL user may not run it (it lacks +client|no-touch).
 */
export type NoTouch = 'on' | 'unavailable' | 'denied';

export interface OpenedNode {
  readonly connection: RespConnection;
  readonly role: 'primary' | 'replica';
  readonly noTouch: NoTouch;
  readonly replicaSkipped: string | null;
}

/**
 * Opens the node to read of a shard: a usable replica when `preferReplicas`, else the primary.
 * `notPreferred` is the replicaSkipped reason when replicas exist but are not preferred.
 */
export async function openShardNode(
  shard: Shard,
  pool: NodePool,
  signal: AbortSignal,
  preferReplicas: boolean,
  notPreferred = 'replicas not preferred (prefer_replicas off): the primary was read',
): Promise<OpenedNode> {
  const reasons: string[] = [];
  if (preferReplicas) {
    for (const replica of shard.replicas) {
      let connection: RespConnection | null = null;
      try {
        connection = await pool.open(replica);
        const noTouch = await clientNoTouch(connection);
        await checkReplica(connection, shard.cluster);
        return { connection, role: 'replica', noTouch, replicaSkipped: null };
      } catch (error) {
        connection?.close();
        if (signal.aborted || !(error instanceof RedisFailure)) throw error;
        reasons.push(error.message);
      }
    }
  }
  const replicaSkipped = shard.replicas.length === 0 ? null : !preferReplicas ? notPreferred : `no replica could be read: ${reasons.join('; ')}`;
  const connection = await pool.open(shard.primary);
  try {
    return { connection, role: shard.primaryRole, noTouch: await clientNoTouch(connection), replicaSkipped };
  } catch (error) {
    connection.close();
    throw error;
  }
}

/** CLIENT NO-TOUCH ON; an error reply is not a failure: the server lacks it, or the ACL denies it. */
export async function clientNoTouch(connection: RespConnection): Promise<NoTouch> {
  const [reply] = await connection.pipeline([['CLIENT', 'NO-TOUCH', 'ON']]);
  return noTouchOf(reply ?? null, (error) => connection.failureOf(error));
}

/**
 * What a reply to CLIENT NO-TOUCH ON says. A refusal is 'denied' only where the server names
 * client|no-touch (7.2+): Redis 6.2 checks the ACL before it looks the subcommand up, and
 * refuses "the 'client' command or its subcommand" for one it does not even have.
 */
export function noTouchOf(reply: Reply, failureOf: (reply: RedisReplyError) => RedisFailure): NoTouch {
  if (!(reply instanceof RedisReplyError)) return 'on';
  return failureOf(reply).kind === 'no-permission' && /no-touch/i.test(reply.message) ? 'denied' : 'unavailable';
}

/** A replica worth reading: its link to the primary is up; on a cluster it accepts READONLY. */
export async function checkReplica(connection: RespConnection, cluster: boolean): Promise<void> {
  const info = parseInfo(await connection.text(['INFO', 'replication']));
  const node = connection.address;
  if (serverIdentity(info).role !== 'slave') throw new RedisFailure('unsupported', node, `${node} is not a replica (any more)`);
  const link = info.get('master_link_status');
  if (link !== 'up') throw new RedisFailure('unsupported', node, `${node}: its link to the primary is ${link === undefined ? 'unknown' : 'down'}`);
  if (cluster) await connection.call(['READONLY']);
}
