/**
 * The nodes a sampling phase watches: every shard's primary (every primary that owns slots of a
 * cluster, or the server itself), plus, when asked, their online replicas (reads served by
 * replicas are traffic too).
 * Also the preflight check that a node accepts MONITOR.
 */
import { MonitorStream } from './monitor-stream.js';
import type { NodePool } from './node-pool.js';
import type { Shard } from './topology.js';

export interface SampleTarget {
  readonly address: string;
  readonly role: 'primary' | 'replica';
  /** Cluster: the address of the primary of the node's shard (a hot key's `shard`). */
  readonly shard?: string;
}

/** The nodes to watch: every shard's primary, and its replicas when asked (topology.ts). */
export function sampleTargets(shards: readonly Shard[], replicas: boolean): SampleTarget[] {
  return shards.flatMap((s) => {
    const label = s.shard === undefined ? {} : { shard: s.shard };
    const primary: SampleTarget = { address: s.primary, role: 'primary', ...label };
    return replicas ? [primary, ...s.replicas.map((address): SampleTarget => ({ address, role: 'replica', ...label }))] : [primary];
  });
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
