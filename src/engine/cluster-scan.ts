/**
 * The scan machine over a Redis Cluster (any kind of scan: the consumer of engine/scan-node.ts):
 * every shard (a primary that owns slots), each on its own connection and at its own pace, into
 * one consumer; at most `parallelPrimaries` at once, so a cluster of
 * hundreds of primaries never makes keyheat hold hundreds of connections. The node read of a
 * shard is its primary, or the one the consumer opens (`openNode`: the big key scan reads a
 * replica where one is usable). Topology changes during the scan:
 * - a slot migrated while scanning: keys answering MOVED/ASK are read where they went
 *   (redis/redirects.ts), and at the end every slot whose owner changed (or that was migrating
 *   at the start or the end) is read again, key by key, on every node that has keys in it, so a
 *   key that moved behind both nodes' SCAN cursors is not missed;
 * - a primary failed (or the node read of its shard): the analysis waits up to failoverWaitMs for
 *   a node (a promoted replica, or the same node back) to own its slots, and scans that shard
 *   from the start, as the cluster is then (the consumer forgets what the failed node gave);
 *   otherwise the whole analysis fails naming the node. A result never silently lacks a shard.
 */
import { setMaxListeners } from 'node:events';
import { forEachLimit } from '../domain/for-each-limit.js';
import { RedisFailure, type RedisFailureKind } from '../domain/redis-failure.js';
import { changedSlots, keyCountsInSlots, keysInSlot, readClusterTopology, slotOwners, type ClusterPrimary, type ClusterTopology } from '../redis/cluster-topology.js';
import type { RespConnection } from '../redis/resp-connection.js';
import type { Deployment, Shard } from '../redis/topology.js';
import { NodePacer } from './node-pacer.js';
import { sleep } from './rate-limiter.js';
import { scanNode, type KeyPage, type ScanContext } from './scan-node.js';

/** Failures after which a primary may come back or be replaced (failover), worth waiting for. */
const FAILOVER_KINDS: ReadonlySet<RedisFailureKind> = new Set(['unreachable', 'timeout', 'loading', 'cluster-down']);
const TOPOLOGY_POLL_MS = 250;

/** What reading the topology needs of a scan's context. */
type ClusterIo = Pick<ScanContext<KeyPage>, 'pool' | 'options' | 'signal'>;

/** Primaries scanned at once: two connections each (scan, shared), a few left for redirects. */
export function parallelPrimaries(maxConnections: number): number {
  return Math.max(1, Math.floor((maxConnections - 4) / 2));
}

/** `before`: the cluster as the deployment was opened (topology.ts), whose shards are the primaries to scan. */
export async function scanCluster<P extends KeyPage>(deployment: Deployment, before: ClusterTopology, context: ScanContext<P>): Promise<ClusterTopology> {
  const { seed, seedHost } = deployment;
  seed.close(); // its slot in the pool goes to a primary's scan
  const shards = new Map(deployment.shards.map((s) => [s.primary, s]));
  const primaries = before.primaries.filter((p) => shards.has(p.address));
  context.consumer.expectNodes(primaries.length);
  // One primary failing for good stops the others at once.
  const local = new AbortController();
  setMaxListeners(0, local.signal);
  const stop = (): void => local.abort(context.signal.reason);
  context.signal.addEventListener('abort', stop, { once: true });
  const scoped: ScanContext<P> = { ...context, signal: local.signal };
  /** Failed primary -> the node that took its slots and was then read from the start. */
  const replaced = new Map<string, string>();
  try {
    await forEachLimit(primaries, parallelPrimaries(context.options.redis.maxConnections), (primary) =>
      scanPrimary(primary, shards.get(primary.address) as Shard, before, seedHost, scoped, replaced).catch((error: unknown) => {
        local.abort(error);
        throw error;
      }),
    );
  } finally {
    context.signal.removeEventListener('abort', stop);
  }
  const addresses = primaries.map((p) => p.address);
  const after = await readTopologyFromAny(context, [seed.address, ...addresses], seedHost);
  // Slots that moved with a failover were read in full on their new owner after it took them.
  const ownersBefore = slotOwners(before);
  const ownersAfter = slotOwners(after);
  const slots = changedSlots(before, after).filter((slot) => {
    const failed = ownersBefore[slot];
    const migrating = before.migratingSlots.has(slot) || after.migratingSlots.has(slot);
    return migrating || failed === undefined || replaced.get(failed) !== ownersAfter[slot];
  });
  if (slots.length > 0) await recheckSlots(slots, after, context);
  return after;
}

/** Reads a shard (`plan`: the primary of `primary` with its replicas) until it is read in full, waiting out a failover. */
async function scanPrimary<P extends KeyPage>(
  primary: ClusterPrimary,
  plan: Shard,
  topology: ClusterTopology,
  seedHost: string,
  context: ScanContext<P>,
  replaced: Map<string, string>,
): Promise<void> {
  let shard = plan;
  for (;;) {
    let connection: RespConnection | null = null;
    try {
      connection = await (context.consumer.openNode?.(shard, context.signal) ?? context.pool.open(shard.primary));
      await scanNode(connection, context);
      return;
    } catch (error) {
      if (context.signal.aborted || !(error instanceof RedisFailure) || !FAILOVER_KINDS.has(error.kind)) throw error;
      const address = shard.primary;
      // The node read: the primary, or the replica the consumer opened.
      const node = connection?.address ?? address;
      const takeover = await waitForTakeover(primary, address, topology, seedHost, context);
      if (takeover === null) {
        const what = node === address ? `primary ${address}` : `${node} (read for the shard of primary ${address})`;
        throw new RedisFailure(
          error.kind,
          node,
          `${what} failed during the scan (${error.message}) and no node took over its slots within ` +
            `${Math.round(context.options.failoverWaitMs / 1000)} s; the analysis cannot be complete`,
        );
      }
      context.consumer.forgetNode(node, context.progress.scannedOf(node));
      replaced.set(primary.address, takeover.owner);
      shard = shardOf(takeover.owner, takeover.topology);
    } finally {
      connection?.close();
    }
  }
}

/** The shard of a primary as `topology` shows it: the primary, its healthy replicas. */
function shardOf(owner: string, topology: ClusterTopology): Shard {
  const primary = topology.primaries.find((p) => p.address === owner);
  const replicas = primary === undefined ? [] : topology.replicas.filter((r) => r.primaryId === primary.id).map((r) => r.address);
  return { shard: owner, primary: owner, primaryRole: 'primary', replicas, cluster: true };
}

interface Takeover {
  /** The node owning the failed primary's slots now (a promoted replica, or the same node). */
  readonly owner: string;
  /** The cluster as it was read when that node answered. */
  readonly topology: ClusterTopology;
}

/** The reachable node that owns the failed primary's slots, once there is one; null after the wait. */
async function waitForTakeover(primary: ClusterPrimary, failed: string, topology: ClusterTopology, seedHost: string, context: ClusterIo): Promise<Takeover | null> {
  const slot = primary.slots[0]?.[0];
  if (slot === undefined) return null;
  const others = topology.primaries.map((p) => p.address).filter((a) => a !== failed);
  const deadline = performance.now() + context.options.failoverWaitMs;
  while (performance.now() < deadline) {
    await sleep(TOPOLOGY_POLL_MS, context.signal);
    const current = await readTopologyFromAny(context, [...others, failed], seedHost).catch((error: unknown) => {
      if (context.signal.aborted) throw error;
      return null;
    });
    const owner = current === null ? undefined : slotOwners(current)[slot];
    if (owner === undefined || current === null) continue;
    try {
      await context.pool.withShared(owner, (connection) => connection.call(['PING']));
      return { owner, topology: current };
    } catch (error) {
      if (context.signal.aborted) throw error;
    }
  }
  return null;
}

/** CLUSTER NODES from the first of `addresses` that answers; a 'limit' or 'denied' failure is final. */
async function readTopologyFromAny(context: ClusterIo, addresses: readonly string[], seedHost: string): Promise<ClusterTopology> {
  let lastError: unknown = null;
  for (const address of new Set(addresses)) {
    try {
      return await context.pool.withShared(address, (connection) => readClusterTopology(connection, seedHost, context.options.redis.maxClusterPrimaries));
    } catch (error) {
      if (context.signal.aborted || (error instanceof RedisFailure && (error.kind === 'limit' || error.kind === 'protocol'))) throw error;
      lastError = error;
    }
  }
  throw lastError instanceof RedisFailure ? lastError : new RedisFailure('cluster-down', addresses[0] ?? '', 'no node of the cluster answered CLUSTER NODES');
}

/**
 * Reads again, on every primary, the keys of slots whose owner changed during the scan (the
 * consumer's recheck: a key answering MOVED there is read where it lives). Keys of a slot a node
 * does not own (it is importing it) are read after ASKING. Paced like a scan.
 * CLUSTER GETKEYSINSLOT has no cursor: a slot's key names come in one reply (redis.max_array_length).
 */
async function recheckSlots<P extends KeyPage>(slots: readonly number[], topology: ClusterTopology, context: ScanContext<P>): Promise<void> {
  const owners = slotOwners(topology);
  // A primary flagged failed holds nothing anyone can read; its slots went elsewhere or the
  // failover wait above already failed the analysis.
  for (const primary of topology.primaries.filter((p) => !p.suspect)) {
    const counts = await context.pool.withShared(primary.address, (connection) => keyCountsInSlots(connection, slots));
    const pacer = NodePacer.start(primary.address, context.pool, context.options, context.signal, context.consumer.commands);
    try {
      for (const [slot, count] of counts) {
        const names = await context.pool.withShared(primary.address, (connection) => keysInSlot(connection, slot, count, context.options.redis.limits.maxArrayLength));
        const ask = owners[slot] !== primary.address;
        for (let at = 0; at < names.length; ) {
          const page = names.slice(at, at + pacer.pageSize().count);
          at += page.length;
          await pacer.pace(page.length);
          await context.consumer.recheck(page.map((name) => ({ item: name, key: name, db: 0, node: primary.address, ask })));
        }
      }
    } finally {
      pacer.finish().catch(() => undefined);
    }
  }
}
