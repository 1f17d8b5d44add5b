/**
 * The nodes a sampling phase watches: every primary that owns slots (a cluster) or the server
 * itself, plus, when asked, their online replicas (reads served by replicas are traffic too).
 * Also the preflight check that a node accepts MONITOR.
 */
import type { ServerFacts } from './server-info.js';
import { readClusterTopology, scannablePrimaries } from './cluster-topology.js';
import { MonitorStream } from './monitor-stream.js';
import type { NodePool } from './node-pool.js';
import type { RespConnection } from './resp-connection.js';

export interface SampleTarget {
  readonly address: string;
  readonly role: 'primary' | 'replica';
  /** Cluster: the address of the primary of the node's shard (a hot key's `shard`). */
  readonly shard?: string;
}

/** The nodes to watch, from the seed's INFO facts (and CLUSTER NODES on a cluster). */
export async function sampleTargets(seed: RespConnection, facts: ServerFacts, seedHost: string, maxPrimaries: number, replicas: boolean): Promise<SampleTarget[]> {
  if (facts.mode !== 'cluster') {
    const targets: SampleTarget[] = [{ address: seed.address, role: 'primary' }];
    if (replicas) for (const address of facts.replicas) targets.push({ address, role: 'replica' });
    return targets;
  }
  const topology = await readClusterTopology(seed, seedHost, maxPrimaries);
  const primaries = scannablePrimaries(topology);
  const targets: SampleTarget[] = primaries.map((p) => ({ address: p.address, role: 'primary', shard: p.address }));
  if (replicas) {
    const byId = new Map(primaries.map((p) => [p.id, p.address]));
    for (const replica of topology.replicas) {
      const shard = byId.get(replica.primaryId);
      if (shard !== undefined) targets.push({ address: replica.address, role: 'replica', shard });
    }
  }
  return targets;
}

/**
 * Whether the node accepts MONITOR: sends it on a connection of its own and closes that as soon
 * as the node acknowledges (a few microseconds of MONITOR). Throws the refusal, with how to allow it.
 */
export async function probeMonitor(pool: NodePool, address: string): Promise<void> {
  const connection = await pool.open(address);
  try {
    await MonitorStream.start(connection, { onCommand: () => undefined, onMalformed: () => undefined }, pool.settings.commandTimeoutMs);
  } finally {
    connection.close();
  }
}
