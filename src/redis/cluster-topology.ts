/**
 * Redis Cluster topology from CLUSTER NODES. Chosen over CLUSTER SHARDS (7.0+ only) and
 * CLUSTER SLOTS (no migration state) because it exists on every cluster version and is the
 * only one that shows slots being migrated ([slot->-target] / [slot-<-source]), which the
 * analysis needs to know what to look at again.
 */
import net from 'node:net';
import { RedisFailure } from '../domain/redis-failure.js';
import type { RespConnection } from './resp-connection.js';
import { RedisReplyError } from './resp-parser.js';

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

/** A replica as CLUSTER NODES shows it: reads sent to it are traffic too (sampling). */
export interface ClusterReplica {
  readonly address: string;
  /** Node id of the primary it replicates. */
  readonly primaryId: string;
}

export interface ClusterTopology {
  readonly primaries: readonly ClusterPrimary[];
  /** Healthy replicas (not failing, with an address). */
  readonly replicas: readonly ClusterReplica[];
  /** Slots that were being migrated (either side) when the topology was read. */
  readonly migratingSlots: ReadonlySet<number>;
}

/**
 * CLUSTER NODES of `connection`'s node. More than `maxPrimaries` primaries owning slots fails
 * with a 'limit' failure (redis.max_cluster_primaries): a node may announce anything, and each
 * primary costs connections that carry the password.
 */
export async function readClusterTopology(connection: RespConnection, seedHost: string, maxPrimaries: number): Promise<ClusterTopology> {
  let topology: ClusterTopology;
  try {
    topology = parseClusterNodes(await connection.text(['CLUSTER', 'NODES']), seedHost);
  } catch (error) {
    if (error instanceof TypeError) throw new RedisFailure('protocol', connection.address, `${connection.address} sent a malformed CLUSTER NODES reply (${error.message})`);
    throw error;
  }
  const owning = topology.primaries.filter((p) => p.slots.length > 0).length;
  if (owning > maxPrimaries) {
    throw new RedisFailure('limit', connection.address, `${connection.address} announces ${owning} primaries, more than redis.max_cluster_primaries (${maxPrimaries})`);
  }
  return topology;
}

/** Primaries that own slots: the ones holding keys, the ones a scan reads. */
export function scannablePrimaries(topology: ClusterTopology): ClusterPrimary[] {
  return topology.primaries.filter((p) => p.slots.length > 0);
}

/** Parses CLUSTER NODES; throws TypeError on a line that is not what Redis writes. */
export function parseClusterNodes(text: string, seedHost: string): ClusterTopology {
  const primaries: ClusterPrimary[] = [];
  const replicas: ClusterReplica[] = [];
  const migratingSlots = new Set<number>();
  for (const line of text.split('\n')) {
    const fields = line.trim().split(' ');
    if (fields.length < 8) continue;
    const [id, addressField, flagsField, primaryId] = fields as [string, string, string, string];
    const flags = new Set(flagsField.split(','));
    if (flags.has('noaddr') || flags.has('handshake')) continue;
    if (flags.has('slave')) {
      if (!flags.has('fail') && !flags.has('fail?') && /^[0-9a-f]{1,64}$/.test(primaryId)) replicas.push({ address: nodeAddress(addressField, seedHost).address, primaryId });
      continue;
    }
    if (!flags.has('master')) continue;
    const { host, port } = nodeAddress(addressField, seedHost);
    const slots: [number, number][] = [];
    for (const token of fields.slice(8)) {
      const migrating = /^\[(\d{1,5})-[<>]-[0-9a-f]{1,64}\]$/.exec(token);
      if (migrating !== null) {
        migratingSlots.add(checkedSlot(migrating[1]));
        continue;
      }
      const range = /^(\d{1,5})(?:-(\d{1,5}))?$/.exec(token);
      if (range === null) throw new TypeError('a slot range is not start-end');
      const start = checkedSlot(range[1]);
      const end = range[2] === undefined ? start : checkedSlot(range[2]);
      if (end < start) throw new TypeError('a slot range ends before it starts');
      slots.push([start, end]);
    }
    primaries.push({
      id,
      address: nodeAddress(addressField, seedHost).address,
      host,
      port,
      slots,
      suspect: flags.has('fail') || flags.has('fail?'),
    });
  }
  primaries.sort((a, b) => (a.slots[0]?.[0] ?? SLOT_COUNT) - (b.slots[0]?.[0] ?? SLOT_COUNT));
  return { primaries, replicas, migratingSlots };
}

/** `ip:port@cport[,hostname]`; a node that never learnt its own ip shows ":port". */
function nodeAddress(field: string, seedHost: string): { host: string; port: number; address: string } {
  const hostPort = field.split('@')[0] ?? '';
  const colon = hostPort.lastIndexOf(':');
  const host = colon <= 0 ? seedHost : hostPort.slice(0, colon);
  const port = Number(hostPort.slice(colon + 1));
  if (!Number.isInteger(port) || port < 1 || port > 65_535 || !validHost(host)) throw new TypeError('a node address is not host:port');
  return { host, port, address: `${host.includes(':') ? `[${host}]` : host}:${port}` };
}

function checkedSlot(text: string | undefined): number {
  const slot = Number(text);
  if (!Number.isInteger(slot) || slot >= SLOT_COUNT) throw new TypeError('a slot number is out of range');
  return slot;
}

/** An IP literal, or a host name of the usual characters (cluster-announce-hostname). */
function validHost(host: string): boolean {
  return net.isIP(host) !== 0 || /^[A-Za-z0-9][A-Za-z0-9.-]{0,252}$/.test(host);
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

/** Slots of `slots` that hold keys on the connection's node, with their key count (one pipeline of CLUSTER COUNTKEYSINSLOT). */
export async function keyCountsInSlots(connection: RespConnection, slots: readonly number[]): Promise<Map<number, number>> {
  const replies = await connection.pipeline(slots.map((slot) => ['CLUSTER', 'COUNTKEYSINSLOT', slot]));
  const counts = new Map<number, number>();
  replies.forEach((reply, i) => {
    if (reply instanceof RedisReplyError) throw connection.failureOf(reply);
    if (typeof reply !== 'number') throw connection.unexpected(reply, 'CLUSTER COUNTKEYSINSLOT');
    if (reply > 0) counts.set(slots[i] as number, reply);
  });
  return counts;
}

/**
 * The key names of one slot on the connection's node. CLUSTER GETKEYSINSLOT has no cursor: they
 * come in one reply, so a slot holding more than `maxArrayLength` keys fails with 'limit'.
 */
export async function keysInSlot(connection: RespConnection, slot: number, count: number, maxArrayLength: number): Promise<Buffer[]> {
  const node = connection.address;
  if (count > maxArrayLength) throw new RedisFailure('limit', node, `${node}: slot ${slot} holds ${count} keys, more than redis.max_array_length (${maxArrayLength}) allows to re-read`);
  const keys = await connection.call(['CLUSTER', 'GETKEYSINSLOT', slot, count]);
  if (!Array.isArray(keys) || !keys.every((key) => Buffer.isBuffer(key))) throw connection.unexpected(keys, 'CLUSTER GETKEYSINSLOT');
  return keys as Buffer[];
}
