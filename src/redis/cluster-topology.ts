/**
 * Redis Cluster topology from CLUSTER NODES. Chosen over CLUSTER SHARDS (7.0+ only) and
 * CLUSTER SLOTS (no migration state) because it exists on every cluster version and is the
 * only one that shows slots being migrated ([slot->-target] / [slot-<-source]), which the
 * analysis needs to know what to look at again.
 */
import { replyToString } from './resp-parser.js';
import type { RespConnection } from './resp-connection.js';

export const SLOT_COUNT = 16384;

export interface ClusterPrimary {
  readonly id: string;
  /** `ip:port` as the cluster announces it: what a hot key's `shard` says. */
  readonly address: string;
  readonly host: string;
  readonly port: number;
  /** Slot ranges, inclusive. */
  readonly slots: readonly (readonly [number, number])[];
  /** The node is flagged fail or pfail by the node we asked. */
  readonly suspect: boolean;
}

export interface ClusterTopology {
  readonly primaries: readonly ClusterPrimary[];
  /** Slots that were being migrated (either side) when the topology was read. */
  readonly migratingSlots: ReadonlySet<number>;
}

export async function readClusterTopology(connection: RespConnection, seedHost: string): Promise<ClusterTopology> {
  return parseClusterNodes(replyToString(await connection.call(['CLUSTER', 'NODES'])), seedHost);
}

export function parseClusterNodes(text: string, seedHost: string): ClusterTopology {
  const primaries: ClusterPrimary[] = [];
  const migratingSlots = new Set<number>();
  for (const line of text.split('\n')) {
    const fields = line.trim().split(' ');
    if (fields.length < 8) continue;
    const [id, addressField, flagsField] = fields as [string, string, string];
    const flags = new Set(flagsField.split(','));
    if (!flags.has('master') || flags.has('noaddr') || flags.has('handshake')) continue;
    // ip:port@cport[,hostname]; a node that never learnt its own ip shows ":port".
    const hostPort = addressField.split('@')[0] ?? '';
    const colon = hostPort.lastIndexOf(':');
    const host = colon <= 0 ? seedHost : hostPort.slice(0, colon);
    const port = Number(hostPort.slice(colon + 1));
    const slots: [number, number][] = [];
    for (const token of fields.slice(8)) {
      if (token.startsWith('[')) {
        const slot = Number(/^\[(\d+)/.exec(token)?.[1]);
        if (Number.isInteger(slot)) migratingSlots.add(slot);
        continue;
      }
      const [start, end] = token.split('-').map(Number) as [number, number | undefined];
      if (Number.isInteger(start)) slots.push([start, end ?? start]);
    }
    primaries.push({
      id,
      address: `${host.includes(':') ? `[${host}]` : host}:${port}`,
      host,
      port,
      slots,
      suspect: flags.has('fail') || flags.has('fail?'),
    });
  }
  primaries.sort((a, b) => (a.slots[0]?.[0] ?? SLOT_COUNT) - (b.slots[0]?.[0] ?? SLOT_COUNT));
  return { primaries, migratingSlots };
}

/** Owner address of every slot (undefined where none). */
export function slotOwners(topology: ClusterTopology): (string | undefined)[] {
  const owners = new Array<string | undefined>(SLOT_COUNT).fill(undefined);
  for (const primary of topology.primaries) {
    for (const [start, end] of primary.slots) for (let slot = start; slot <= end; slot++) owners[slot] = primary.address;
  }
  return owners;
}

/** Slots whose owner differs between two readings, plus slots migrating in either. */
export function changedSlots(before: ClusterTopology, after: ClusterTopology): number[] {
  const a = slotOwners(before);
  const b = slotOwners(after);
  const changed = new Set<number>([...before.migratingSlots, ...after.migratingSlots]);
  for (let slot = 0; slot < SLOT_COUNT; slot++) if (a[slot] !== b[slot]) changed.add(slot);
  return [...changed].sort((x, y) => x - y);
}
