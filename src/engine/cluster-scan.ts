/**
 * The scan of a Redis Cluster: every primary in parallel, each on its own connection and at its
 * own pace, into one collector. Topology changes during the scan:
 * - a slot migrated while scanning: keys answering MOVED/ASK are read where they went
 *   (scan-node.ts), and at the end every slot whose owner changed (or that was migrating at the
 *   start or the end) is read again, key by key, on every node that has keys in it, so a key
 *   that moved behind both nodes' SCAN cursors is not missed;
 * - a primary failed: the analysis waits up to failoverWaitMs for a node (a promoted replica,
 *   or the same node back) to own its slots, and scans that node from the start; otherwise the
 *   whole analysis fails naming the node. A result never silently lacks a shard.
 */
import { classifyRedisError, RedisFailure, type RedisFailureKind } from '../redis/classify-redis-error.js';
import { changedSlots, readClusterTopology, slotOwners, type ClusterPrimary, type ClusterTopology } from '../redis/cluster-topology.js';
import type { Arg, RespConnection } from '../redis/resp-connection.js';
import { AnalysisRefused } from './analysis-errors.js';
import { NodePacer } from './node-pacer.js';
import { sleep } from './rate-limiter.js';
import { scanNode, type ScanContext } from './scan-node.js';

/** Failures after which a primary may come back or be replaced (failover), worth waiting for. */
const FAILOVER_KINDS: ReadonlySet<RedisFailureKind> = new Set(['unreachable', 'timeout', 'loading', 'cluster-down']);
const TOPOLOGY_POLL_MS = 250;

export async function scanCluster(seed: RespConnection, seedHost: string, context: ScanContext): Promise<ClusterTopology> {
  const before = await readClusterTopology(seed, seedHost);
  if (before.primaries.length === 0) throw new RedisFailure('cluster-down', `${seed.address}: the cluster has no primary`);
  // One primary failing for good stops the others at once.
  const local = new AbortController();
  const stop = (): void => local.abort(context.signal.reason);
  context.signal.addEventListener('abort', stop, { once: true });
  const scoped: ScanContext = { ...context, signal: local.signal };
  /** Failed primary -> the node that took its slots and was then read from the start. */
  const replaced = new Map<string, string>();
  try {
    await Promise.all(
      before.primaries.map((primary) =>
        scanPrimary(primary, before, seedHost, scoped, replaced).catch((error: unknown) => {
          local.abort(error);
          throw error;
        }),
      ),
    );
  } finally {
    context.signal.removeEventListener('abort', stop);
  }
  const addresses = before.primaries.map((p) => p.address);
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

async function scanPrimary(
  primary: ClusterPrimary,
  topology: ClusterTopology,
  seedHost: string,
  context: ScanContext,
  replaced: Map<string, string>,
): Promise<void> {
  let address = primary.address;
  for (;;) {
    let connection: RespConnection | null = null;
    try {
      connection = await context.pool.open(address);
      await scanNode(connection, context);
      return;
    } catch (error) {
      if (context.signal.aborted || error instanceof AnalysisRefused) throw error;
      const failure = classifyRedisError(error, address);
      if (!FAILOVER_KINDS.has(failure.kind)) throw failure;
      const replacement = await waitForTakeover(primary, address, topology, seedHost, context);
      if (replacement === null) {
        throw new RedisFailure(
          failure.kind,
          `primary ${address} failed during the scan (${failure.message}) and no node took over its slots within ` +
            `${Math.round(context.options.failoverWaitMs / 1000)} s; the analysis cannot be complete`,
          { cause: failure },
        );
      }
      context.collector.forgetNode(address, context.progress.scannedOf(address));
      replaced.set(primary.address, replacement);
      address = replacement;
    } finally {
      connection?.close();
    }
  }
}

/** The reachable node that owns the failed primary's slots, once there is one; null after the wait. */
async function waitForTakeover(
  primary: ClusterPrimary,
  failed: string,
  topology: ClusterTopology,
  seedHost: string,
  context: ScanContext,
): Promise<string | null> {
  const slot = primary.slots[0]?.[0];
  if (slot === undefined) return null;
  const others = topology.primaries.map((p) => p.address).filter((a) => a !== failed);
  const deadline = Date.now() + context.options.failoverWaitMs;
  while (Date.now() < deadline) {
    await sleep(TOPOLOGY_POLL_MS, context.signal);
    const current = await readTopologyFromAny(context, [...others, failed], seedHost).catch(() => null);
    const owner = current === null ? undefined : slotOwners(current)[slot];
    if (owner === undefined) continue;
    try {
      const connection = await context.pool.get(owner);
      await connection.call(['PING']);
      return owner;
    } catch (error) {
      if (context.signal.aborted) throw error;
    }
  }
  return null;
}

async function readTopologyFromAny(context: ScanContext, addresses: readonly string[], seedHost: string): Promise<ClusterTopology> {
  let lastError: unknown = null;
  for (const address of new Set(addresses)) {
    try {
      return await readClusterTopology(await context.pool.get(address), seedHost);
    } catch (error) {
      if (context.signal.aborted) throw error;
      lastError = error;
    }
  }
  throw classifyRedisError(lastError ?? new Error('no node to ask'), addresses[0] ?? 'cluster');
}

/**
 * Reads again, on every primary, the keys of slots whose owner changed during the scan. Keys of
 * a slot a node does not own (it is importing it) are read after ASKING. Paced like a scan.
 * CLUSTER GETKEYSINSLOT has no cursor: a slot's key names are fetched in one reply.
 */
async function recheckSlots(slots: readonly number[], topology: ClusterTopology, context: ScanContext): Promise<void> {
  const owners = slotOwners(topology);
  // A primary flagged failed holds nothing anyone can read; its slots went elsewhere or the
  // failover wait above already failed the analysis.
  for (const primary of topology.primaries.filter((p) => !p.suspect)) {
    const connection = await context.pool.get(primary.address);
    const pacer = await NodePacer.start(primary.address, context.pool, context.options, context.signal);
    try {
      const counts = await connection.pipeline(slots.map((slot) => ['CLUSTER', 'COUNTKEYSINSLOT', slot]));
      for (let i = 0; i < slots.length; i++) {
        const count = counts[i];
        const slot = slots[i] as number;
        if (typeof count !== 'number' || count === 0) continue;
        const keys = await connection.call(['CLUSTER', 'GETKEYSINSLOT', slot, count]);
        if (!Array.isArray(keys)) continue;
        const names = keys.filter((k): k is Buffer => Buffer.isBuffer(k));
        const owned = owners[slot] === primary.address;
        for (let at = 0; at < names.length; ) {
          const page = names.slice(at, at + pacer.pageSize().count);
          at += page.length;
          await pacer.pace(page.length);
          const replies = await connection.pipeline(page.flatMap((name): Arg[][] => (owned ? [['OBJECT', 'FREQ', name]] : [['ASKING'], ['OBJECT', 'FREQ', name]])));
          page.forEach((name, j) => {
            const freq = replies[owned ? j : 2 * j + 1];
            // A MOVED here means the key is served elsewhere, and read there.
            if (typeof freq === 'number') context.collector.offer(freq, 0, primary.address, name);
          });
        }
      }
    } finally {
      pacer.stop();
    }
  }
}
