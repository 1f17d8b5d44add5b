/**
 * What a snapshot's fork costs its node, read on the node itself:
 * - nodeState, before: total_forks, whether the node has a replication backlog, and its clock
 *   (TIME: expiries are the node's to judge, as a scan's PTTL is);
 * - forkCost, after, on a fresh connection once the child exited.
 *
 * Commands run: TIME; after the transfer INFO persistence until the child exited, then INFO.
 */
import { RedisFailure } from '../domain/redis-failure.js';
import type { NodePool } from './node-pool.js';
import type { RespConnection } from './resp-connection.js';
import { parseInfo, type InfoFields } from './server-info.js';

/** What the node was before its snapshot: forks so far, whether it had a replication backlog, its clock. */
export interface NodeState {
  readonly forks: number;
  readonly backlogActive: boolean;
  /** The node's clock minus keyheat's, ms: expiries are judged by the node's clock, as a scan's PTTL is. */
  readonly clockOffsetMs: number;
}

/** From the node's INFO (already read: all sections) and its TIME. */
export async function nodeState(connection: RespConnection, info: InfoFields): Promise<NodeState> {
  const [time] = await connection.pipeline([['TIME']]);
  const local = Date.now();
  const seconds = Array.isArray(time) && Buffer.isBuffer(time[0]) ? Number(time[0].toString('latin1')) : NaN;
  const micros = Array.isArray(time) && Buffer.isBuffer(time[1]) ? Number(time[1].toString('latin1')) : NaN;
  const serverMs = seconds * 1000 + micros / 1000;
  return {
    forks: Number(info.get('total_forks')),
    backlogActive: info.get('repl_backlog_active') !== '0',
    // A node that refuses TIME (or answers nonsense) is taken to share keyheat's clock.
    clockOffsetMs: Number.isFinite(serverMs) && serverMs > 0 ? Math.round(serverMs - local) : 0,
  };
}

export interface ForkCost {
  readonly forkUsec: number | null;
  readonly cowBytes: number | null;
  readonly backlogBytes: number | null;
}

/**
 * The fork's cost, on a fresh connection once the node's child exited (waiting up to `waitMs`):
 * latest_fork_usec when total_forks moved (no new fork: the node sent a save already under way),
 * rdb_last_cow_size, and the replication backlog the SYNC made a node without one create. Best
 * effort: the RDB is read, so a node that cannot say any more leaves these unknown.
 */
export async function forkCost(pool: NodePool, node: string, before: NodeState, waitMs: number, signal: AbortSignal): Promise<ForkCost> {
  const unknown: ForkCost = { forkUsec: null, cowBytes: null, backlogBytes: null };
  let connection: RespConnection | null = null;
  try {
    connection = await pool.open(node);
    const deadline = performance.now() + waitMs;
    let persistence = parseInfo(await connection.text(['INFO', 'persistence']));
    while (persistence.get('rdb_bgsave_in_progress') === '1' && performance.now() < deadline) {
      signal.throwIfAborted();
      await new Promise((resolve) => setTimeout(resolve, 50));
      persistence = parseInfo(await connection.text(['INFO', 'persistence']));
    }
    const after = parseInfo(await connection.text(['INFO']));
    const usec = Number(after.get('latest_fork_usec'));
    const cow = Number(after.get('rdb_last_cow_size'));
    const forked = Number(after.get('total_forks')) > before.forks;
    const backlog = Number(after.get('repl_backlog_size'));
    return {
      forkUsec: forked && Number.isFinite(usec) ? usec : null,
      cowBytes: forked && after.get('rdb_bgsave_in_progress') === '0' && Number.isFinite(cow) ? cow : null,
      backlogBytes: !before.backlogActive && after.get('repl_backlog_active') === '1' && Number.isFinite(backlog) ? backlog : null,
    };
  } catch (error) {
    if (signal.aborted) throw signal.reason;
    if (!(error instanceof RedisFailure)) throw error;
    return unknown;
  } finally {
    connection?.close();
  }
}
