/**
 * The node a big key analysis reads of each shard, and the reading of keys where they live.
 *
 * Where it reads, like DCS: per shard (a standalone server, or a cluster primary that owns
 * slots) one of its online replicas when one can be used (reachable within network.allow with
 * the instance's credentials, a replica whose link to its primary is up, READONLY accepted on
 * a cluster), each tried in turn; else the primary itself, with the reason in replicaSkipped.
 * CLIENT NO-TOUCH ON goes first on the connection (Redis 7.2+: the size commands then leave
 * the keys' LRU/LFU data alone; older servers answer an error, recorded as noTouch=false). The
 * scan machine (engine/scan-node.ts, engine/cluster-scan.ts) asks for that node through the
 * consumer (engine/bigkey-consumer.ts openNode), again for a shard read anew after a failure.
 *
 * Keys read elsewhere than on the node scanned (readAtOwners): keys answering MOVED/ASK (their
 * slot is migrating), keys a cluster replica no longer has (its primary may have moved them: a
 * replica knows nothing of a migration), and the keys of moved slots read again at the end of a
 * cluster scan; TYPE and the size command on the node that holds each now.
 */
import { RedisFailure } from '../domain/redis-failure.js';
import { isWrongType, unexpectedReply } from '../redis/classify-redis-error.js';
import { sizeProbeFor, TYPE_NAME } from '../redis/key-probes.js';
import type { NodePool } from '../redis/node-pool.js';
import { sendToOwners, type KeyTarget } from '../redis/redirects.js';
import type { Arg } from '../redis/resp-encoder.js';
import { RedisReplyError } from '../redis/resp-parser.js';
import { openShardNode, type OpenedNode } from '../redis/shard-node.js';
import type { Shard } from '../redis/topology.js';

/** What the report says of a node read. */
export interface ScannedNode {
  readonly node: string;
  readonly role: 'primary' | 'replica';
  readonly shard?: string | undefined;
  readonly noTouch: boolean;
  /** CLIENT NO-TOUCH exists but the ACL user may not run it. */
  readonly noTouchDenied?: boolean;
  readonly replicaSkipped: string | null;
}

/** Opens the node to read of a shard (a usable replica when `preferReplicas`, else the primary) and says what the report will say of it. */
export async function openBigKeyNode(shard: Shard, pool: NodePool, signal: AbortSignal, preferReplicas: boolean): Promise<{ picked: OpenedNode; scanned: ScannedNode }> {
  const picked = await openShardNode(shard, pool, signal, preferReplicas);
  const scanned: ScannedNode = {
    node: picked.connection.address,
    role: picked.role,
    shard: shard.shard,
    noTouch: picked.noTouch === 'on',
    noTouchDenied: picked.noTouch === 'denied',
    replicaSkipped: picked.replicaSkipped,
  };
  return { picked, scanned };
}

/** What a key read where it went came to (readAtOwners). */
export const SIZED = 0;
export const VANISHED = 1;
export const CHANGED = 2;
export type Outcome = typeof SIZED | typeof VANISHED | typeof CHANGED;

/** A MOVED or ASK reply: the key is read where it points. */
export function isRedirect(reply: RedisReplyError): boolean {
  return reply.prefix === 'MOVED' || reply.prefix === 'ASK';
}

/** A key read where it went: the node that answered, and what its replies said. */
export interface OwnerReading {
  readonly name: Buffer;
  readonly db: number;
  readonly node: string;
  readonly outcome: Outcome;
  readonly type: string;
  readonly size: number;
  readonly memory: number | undefined;
}

const NO_TOUCH = { prelude: [['CLIENT', 'NO-TOUCH', 'ON']] } as const;

interface Typed extends KeyTarget<Buffer> {
  readonly type: string;
}

interface Asked {
  readonly key: Typed;
  readonly memory: boolean;
}

/**
 * TYPE, then the size command of the type (and MEMORY USAGE when `memory`), of keys on the node
 * each target names, following MOVED/ASK (redis/redirects.ts): keys whose slot moved during a
 * cluster scan, and the keys of moved slots read again at its end. Two pipelined rounds per node,
 * CLIENT NO-TOUCH ON first (the owner a redirect names is a primary).
 */
export async function readAtOwners(pool: NodePool, targets: readonly KeyTarget<Buffer>[], memory: boolean): Promise<OwnerReading[]> {
  const readings: OwnerReading[] = [];
  const dbOf = new Map(targets.map((t) => [t.item, t.db]));
  const typed: Typed[] = [];
  for (const { item, node, ask, reply, failure } of await sendToOwners(pool, targets, (t) => ['TYPE', t.key], NO_TOUCH)) {
    const db = dbOf.get(item) ?? 0;
    if (failure !== null) throw failure;
    if (!Buffer.isBuffer(reply)) throw unexpectedReply(node, reply, 'TYPE');
    const type = reply.toString('latin1');
    if (type === 'none') readings.push({ name: item, db, node, outcome: VANISHED, type, size: 0, memory: undefined });
    else if (!TYPE_NAME.test(type)) throw new RedisFailure('protocol', node, `${node} answered TYPE with something that is not a type name`);
    else typed.push({ item, key: item, db, node, ask, type });
  }
  if (typed.length === 0) return readings;
  const asks: KeyTarget<Asked>[] = [];
  for (const key of typed) {
    asks.push({ item: { key, memory: false }, key: key.key, db: key.db, node: key.node, ask: key.ask });
    if (memory) asks.push({ item: { key, memory: true }, key: key.key, db: key.db, node: key.node, ask: key.ask });
  }
  const command = (t: KeyTarget<Asked>): Arg[] => (t.item.memory ? ['MEMORY', 'USAGE', t.key] : sizeProbeFor(t.item.key.type).command(t.key));
  const replies = new Map<Typed, { node: string; changed: boolean; gone: boolean; size: number | undefined; memory: number | undefined }>();
  for (const key of typed) replies.set(key, { node: key.node, changed: false, gone: false, size: undefined, memory: undefined });
  for (const { item, node, reply, failure } of await sendToOwners(pool, asks, command, NO_TOUCH)) {
    const entry = replies.get(item.key);
    if (entry === undefined) continue;
    if (!item.memory && reply instanceof RedisReplyError && isWrongType(reply)) entry.changed = true;
    else if (failure !== null) throw failure;
    else if (reply === null) entry.gone = true; // MEMORY USAGE of a key deleted after TYPE
    else if (typeof reply !== 'number') throw unexpectedReply(node, reply, item.memory ? 'MEMORY USAGE' : 'the size command');
    else if (item.memory) entry.memory = reply;
    else {
      entry.size = reply;
      entry.node = node;
    }
  }
  for (const key of typed) {
    const { node, changed, gone, size, memory: bytes } = replies.get(key) as NonNullable<ReturnType<typeof replies.get>>;
    const outcome = changed ? CHANGED : gone || size === undefined || (memory && bytes === undefined) ? VANISHED : SIZED;
    readings.push({ name: key.item, db: key.db, node, outcome, type: key.type, size: size ?? 0, memory: memory ? bytes : undefined });
  }
  return readings;
}
