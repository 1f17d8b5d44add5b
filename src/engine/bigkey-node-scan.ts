/**
 * The nodes a big key analysis reads, and the read of one of them.
 *
 * Where it runs, like DCS: per shard (a standalone server, or a cluster primary that owns
 * slots) one of its online replicas when one can be used (reachable within network.allow with
 * the instance's credentials, a replica whose link to its primary is up, READONLY accepted on
 * a cluster), each tried in turn; else the primary itself, with the reason in replicaSkipped.
 *
 * The read of a node: CLIENT NO-TOUCH ON first (Redis 7.2+: the size commands then leave the
 * keys' LRU/LFU data alone; older servers answer an error, recorded as noTouch=false), then
 * every database (a cluster node has only db 0) through redis/bigkey-scanner.ts, paced by the
 * same budgets as a hot key scan (engine/node-pacer.ts).
 * Keys deleted between SCAN and TYPE, or between TYPE and MEMORY USAGE, count as vanished; a
 * key whose type changed between TYPE and its size command (WRONGTYPE) as changed. On a
 * cluster, a key answering MOVED/ASK (its slot is migrating) is counted as vanished and not
 * followed: a big key analysis of a resharding cluster may miss the keys of migrating slots.
 * A string deleted between TYPE and STRLEN reads as an empty string (STRLEN answers 0).
 */
import type { BigKeySummary } from '../analysis/bigkey-summary.js';
import { RedisFailure } from '../domain/redis-failure.js';
import { scanSizes, type SizedPage } from '../redis/bigkey-scanner.js';
import { unexpectedReply } from '../redis/classify-redis-error.js';
import { TYPE_NAME } from '../redis/key-probes.js';
import type { NodePool } from '../redis/node-pool.js';
import { readServerFacts } from '../redis/preflight.js';
import type { RespConnection } from '../redis/resp-connection.js';
import { RedisReplyError, type Reply } from '../redis/resp-parser.js';
import { openShardNode, type OpenedNode } from '../redis/shard-node.js';
import type { Shard } from '../redis/topology.js';
import type { BigKeyAnalysisOptions } from './analysis-options.js';
import { NodePacer } from './node-pacer.js';
import type { ProgressBoard } from './progress-board.js';

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

export interface BigKeyContext {
  readonly options: BigKeyAnalysisOptions;
  readonly summary: BigKeySummary;
  readonly progress: ProgressBoard;
  readonly pool: NodePool;
  readonly signal: AbortSignal;
  readonly counts: { scanned: number; vanished: number; changed: number };
  readonly nodes: ScannedNode[];
  /** The first node whose ACL denied MEMORY USAGE (checked before a --memory scan; the reported keys' memory after it). */
  memoryDenied: string | null;
}

/** Picks the node of a shard, reads it in full, closes its connection. */
export async function scanShard(plan: Shard, context: BigKeyContext): Promise<void> {
  const picked = await openShardNode(plan, context.pool, context.signal, context.options.preferReplicas);
  try {
    await scanPicked(picked, plan, context);
  } finally {
    picked.connection.close();
  }
}

async function scanPicked(picked: OpenedNode, plan: Shard, context: BigKeyContext): Promise<void> {
  const { options, progress, signal } = context;
  const { connection } = picked;
  const node = connection.address;
  const facts = await readServerFacts(connection);
  const databases = plan.cluster ? facts.keyspace.filter((db) => db.db === 0) : facts.keyspace;
  context.nodes.push({ node, role: picked.role, shard: plan.shard, noTouch: picked.noTouch === 'on', noTouchDenied: picked.noTouch === 'denied', replicaSkipped: picked.replicaSkipped });
  progress.start(node, databases.reduce((sum, db) => sum + db.keys, 0));
  // Every key costs one size command (and MEMORY USAGE with memoryUsage): keyheat's own, not traffic.
  const pacer = NodePacer.start(node, context.pool, options, signal, options.memoryUsage ? 2 : 1);
  let finished = false;
  try {
    for (const { db } of databases) {
      const pages = scanSizes(connection, {
        db,
        pageSize: () => pacer.pageSize(),
        pattern: options.pattern,
        signal,
        pace: (keys) => pacer.pace(keys),
        memory: options.memoryUsage,
      });
      for await (const page of pages) {
        readPage(page, db, connection, plan.shard, context);
        progress.add(node, page.keys.length);
      }
    }
    finished = true;
  } finally {
    // One last INFO commandstats says what the scan cost; a failed scan does not wait for it.
    const pacing = pacer.finish();
    if (finished) progress.paced(node, await pacing);
    else pacing.catch(() => undefined);
  }
}

function isRedirect(reply: RedisReplyError): boolean {
  return reply.prefix === 'MOVED' || reply.prefix === 'ASK';
}

/** Hands every sized key of a page to the summary; counts the vanished and changed ones. */
function readPage(page: SizedPage, db: number, connection: RespConnection, shard: string | undefined, context: BigKeyContext): void {
  const { counts, summary } = context;
  const node = connection.address;
  counts.scanned += page.keys.length;
  for (let i = 0; i < page.keys.length; i++) {
    const type = page.types[i] ?? null;
    if (type instanceof RedisReplyError) {
      if (!isRedirect(type)) throw connection.failureOf(type);
      counts.vanished += 1;
      continue;
    }
    if (!Buffer.isBuffer(type)) throw unexpectedReply(node, type, 'TYPE');
    const typeName = type.toString('latin1');
    if (typeName === 'none') {
      counts.vanished += 1;
      continue;
    }
    if (!TYPE_NAME.test(typeName)) throw new RedisFailure('protocol', node, `${node} answered TYPE with something that is not a type name`);
    const size = page.sizes[i] ?? null;
    if (size instanceof RedisReplyError) {
      if (size.prefix === 'WRONGTYPE') counts.changed += 1;
      else if (isRedirect(size)) counts.vanished += 1;
      else throw connection.failureOf(size);
      continue;
    }
    if (size === null) {
      counts.vanished += 1; // MEMORY USAGE (a module type's size) of a key deleted after TYPE
      continue;
    }
    if (typeof size !== 'number') throw unexpectedReply(node, size, 'the size command');
    const memory = memoryOf(page.memory[i], connection, context.options.memoryUsage);
    if (memory === null) {
      counts.vanished += 1;
      continue;
    }
    summary.add({ name: page.keys[i] as Buffer, db, node, shard, type: typeName, size, memoryBytes: memory });
  }
}

/** A MEMORY USAGE reply: bytes, undefined when not asked, null when the key vanished. */
function memoryOf(reply: Reply | undefined, connection: RespConnection, asked: boolean): number | undefined | null {
  if (!asked) return undefined;
  if (reply === null || reply === undefined) return null;
  if (reply instanceof RedisReplyError) {
    if (isRedirect(reply)) return null;
    throw connection.failureOf(reply);
  }
  if (typeof reply !== 'number') throw connection.unexpected(reply, 'MEMORY USAGE');
  return reply;
}
