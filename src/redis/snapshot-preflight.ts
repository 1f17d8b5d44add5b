/**
 * What must hold before keyheat asks a node for a snapshot (redis/rdb-transfer.ts), checked on
 * the node that will fork:
 * - its RDB is a format keyheat reads (rdb-versions.ts): a server that would send one keyheat
 *   cannot read is never forked;
 * - SYNC and REPLCONF exist (not renamed away: COMMAND INFO) and keyheat's user may run them
 *   (ACL DRYRUN, Redis 7.0+; where keyheat may not run ACL DRYRUN, the transfer itself says);
 * - diskless replication is on (CONFIG GET repl-diskless-sync, where CONFIG is allowed): with it
 *   off, even an rdb-only SYNC makes Redis 7.0 save the RDB to its disk first, which keyheat never
 *   asks of a node;
 * - the fork's worst case fits: copy-on-write can duplicate every page a write touches while the
 *   child runs, up to the whole dataset, and a primary without a replication backlog creates one
 *   (repl-backlog-size) for the SYNC. The node must not need more than `maxMemoryShare` of the
 *   memory it reports free (total_system_memory - used_memory_rss: an upper bound, as it cannot
 *   see other processes or a container's limit). 0 turns the memory check off.
 */
import { RedisFailure } from '../domain/redis-failure.js';
import type { RespConnection } from './resp-connection.js';
import { refuseUnreadableRdb } from './rdb-versions.js';
import { parseInfo, serverIdentity, type InfoFields } from './server-info.js';

/** How SYNC/REPLCONF refused by an ACL or a rename can be allowed (also the transfer's refusals). */
export const HOW_TO_ALLOW = "allow them for keyheat's user (ACL SETUSER <user> +sync +replconf), or undo their rename-command; managed services often disable them";

/** `info`: the node's INFO (server, memory and replication sections at least) when the caller has it; else read here. */
export async function checkSnapshotAllowed(connection: RespConnection, maxMemoryShare: number, known?: InfoFields): Promise<void> {
  const node = connection.address;
  const info = known ?? parseInfo(await connection.text(['INFO']));
  refuseUnreadableRdb(serverIdentity(info), node);
  await checkCommands(connection);
  await checkDiskless(connection);
  if (maxMemoryShare <= 0) return;
  // A node with no backlog yet allocates repl-backlog-size for the SYNC, and keeps it for repl-backlog-ttl.
  const backlog = info.get('repl_backlog_active') === '0' ? Number(info.get('repl_backlog_size') ?? 0) || 0 : 0;
  const used = Number(info.get('used_memory')) + backlog;
  const rss = Number(info.get('used_memory_rss'));
  const total = Number(info.get('total_system_memory'));
  if (!(total > 0) || !Number.isFinite(used) || !Number.isFinite(rss)) {
    throw new RedisFailure(
      'unsupported',
      node,
      `${node} does not report its memory (used_memory, used_memory_rss, total_system_memory), so keyheat cannot tell whether a fork is safe; ` +
        'set snapshot.max_memory_share: 0 to take snapshots without this check',
    );
  }
  const free = Math.max(0, total - rss);
  if (used > maxMemoryShare * free) {
    throw new RedisFailure(
      'unsupported',
      node,
      `${node} uses ${mib(used - backlog)} with ${mib(free)} free (total_system_memory - used_memory_rss): a snapshot's fork could need up to ${mib(used)} more ` +
        `by copy-on-write while writes go on${backlog > 0 ? ` (a new replication backlog of ${mib(backlog)} included)` : ''}, over snapshot.max_memory_share (${maxMemoryShare}) of the free memory. Use the scan strategy, ` +
        'or take the snapshot from a replica (snapshot_replicas)',
    );
  }
}

/** repl-diskless-sync yes, where CONFIG GET says; a node that refuses CONFIG is taken as it comes. */
async function checkDiskless(connection: RespConnection): Promise<void> {
  const [reply] = await connection.pipeline([['CONFIG', 'GET', 'repl-diskless-sync']]);
  if (!Array.isArray(reply) || !Buffer.isBuffer(reply[1])) return;
  if (reply[1].toString('latin1') === 'no') {
    const node = connection.address;
    throw new RedisFailure(
      'unsupported',
      node,
      `${node} has repl-diskless-sync no: it would write the snapshot to its own disk before sending it (a BGSAVE). ` +
        'keyheat never makes a node write to its disk: set repl-diskless-sync yes (the default since Redis 7.0; CONFIG SET repl-diskless-sync yes), or use the scan strategy',
    );
  }
}

/** SYNC and REPLCONF present and, where the node can say, permitted. */
async function checkCommands(connection: RespConnection): Promise<void> {
  const node = connection.address;
  const [info, whoami] = await connection.pipeline([['COMMAND', 'INFO', 'SYNC', 'REPLCONF'], ['ACL', 'WHOAMI']]);
  if (Array.isArray(info)) {
    const missing = ['SYNC', 'REPLCONF'].filter((_, i) => info[i] === null || info[i] === undefined);
    if (missing.length > 0) throw new RedisFailure('unsupported', node, `${node} does not offer ${missing.join(' and ')} (renamed or disabled), which a snapshot needs: ${HOW_TO_ALLOW}`);
  }
  if (!Buffer.isBuffer(whoami)) return; // before Redis 6, or ACL refused: the transfer will tell
  const user = whoami.toString('utf8');
  const dry = await connection.pipeline([
    ['ACL', 'DRYRUN', user, 'SYNC'],
    ['ACL', 'DRYRUN', user, 'REPLCONF', 'rdb-only', '1'],
  ]);
  const denied: string[] = [];
  dry.forEach((reply, i) => {
    // "OK" when permitted, a bulk string saying why not when denied; an error reply: DRYRUN itself is unavailable.
    if (Buffer.isBuffer(reply) && reply.toString('latin1') !== 'OK') denied.push(i === 0 ? 'SYNC' : 'REPLCONF');
  });
  if (denied.length > 0) {
    throw new RedisFailure('no-permission', node, `${node} does not permit ${denied.join(' and ')} to keyheat's user, which a snapshot needs: ${HOW_TO_ALLOW}`);
  }
}

function mib(bytes: number): string {
  return `${(bytes / 1048576).toFixed(1)} MiB`;
}
