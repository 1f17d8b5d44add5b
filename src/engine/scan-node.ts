/**
 * The scan machine, one node at a time: the one walk over a node's keyspace that every paced
 * scan shares, whatever it does with the keys (hot keys: OBJECT FREQ into the top-K,
 * engine/hot-key-consumer.ts; the expired key scan: PTTL into a TTL report,
 * engine/expire-consumer.ts; big keys: TYPE and size into the big key summary,
 * engine/bigkey-consumer.ts). Per node: INFO, which the kind may refuse (a replica, an old
 * version, a policy without LFU); the kind's start hook; every non-empty database (a cluster
 * node has only db 0), paced by NodePacer (max_cpu_share, max_block_us, rate_limit), progress
 * after every page; keys answering MOVED/ASK (a slot migrated during the scan) handed back to
 * the kind to read where they went (redis/redirects.ts). engine/cluster-scan.ts runs it on every
 * shard of a cluster, with the failover wait and the re-reading of moved slots.
 *
 * The kind decides how a database's pages are read (`pages`): redis/node-scanner.ts with its key
 * command for hot keys and expiry; a reader of its own for a kind that needs more than one
 * command per key (the big key scan's TYPE then size, redis/bigkey-scanner.ts). Which node of a
 * cluster shard is read is the kind's too (`openNode`): the primary, or for big keys a replica.
 *
 * Memory: what the kind's reader keeps in flight (node-scanner: at most three pages of names per
 * node); the machine keeps no key.
 */
import type { NodePool } from '../redis/node-pool.js';
import type { ScanOptions, ScanPage } from '../redis/node-scanner.js';
import { readServerFacts } from '../redis/preflight.js';
import type { KeyTarget } from '../redis/redirects.js';
import type { RespConnection } from '../redis/resp-connection.js';
import type { ServerFacts } from '../redis/server-info.js';
import type { Shard } from '../redis/topology.js';
import type { AnalysisOptions } from './analysis-options.js';
import { NodePacer } from './node-pacer.js';
import type { ProgressBoard } from './progress-board.js';
import type { ScanCommands } from './traffic-monitor.js';

/** A page of keys as a kind's reader yields it: the names (views of socket buffers, valid during the page) and whatever was read of them. */
export interface KeyPage {
  readonly keys: readonly Buffer[];
}

/** What one kind of scan does with the keys the machine walks. One instance per analysis, shared by its nodes. */
export interface KeyConsumer<P extends KeyPage = ScanPage> {
  /** What the kind sends per key besides SCAN, for the pacing's accounting (engine/traffic-monitor.ts). */
  readonly commands: ScanCommands;
  /**
   * Opens the node of a cluster shard this kind reads, on a connection of its own (without it:
   * the shard's primary). The big key scan reads a usable replica of the shard here. Called
   * again after a failure, with the shard as the cluster is then (its new primary and replicas).
   */
  openNode?(shard: Shard, signal: AbortSignal): Promise<RespConnection>;
  /** INFO of a node about to be scanned: throws a RedisFailure ('unsupported') when this kind cannot read it. */
  check(facts: ServerFacts, node: string): void;
  /** A node's scan starts (again, after a failover), before its first page: the hot scan reads the LFU settings. */
  startNode?(connection: RespConnection, facts: ServerFacts): Promise<void>;
  /** A node's last page is through (not called for a scan that failed). */
  finishNode?(connection: RespConnection): Promise<void>;
  /** The pages of one database of the node, paced and sized as `scan` says (redis/node-scanner.ts scanDatabase with the kind's key command). */
  pages(connection: RespConnection, scan: ScanOptions): AsyncIterable<P>;
  /**
   * One page read on `connection` in `db`. Returns the keys that answered MOVED/ASK, names
   * copied: nothing may keep a view of the page's buffers past this call.
   */
  takePage(page: P, db: number, connection: RespConnection): KeyTarget<Buffer>[] | Promise<KeyTarget<Buffer>[]>;
  /** Reads keys where they went (redis/redirects.ts sendToOwners follows further hops). */
  readRedirected(targets: readonly KeyTarget<Buffer>[]): Promise<void>;
  /** A page and its redirects are through (the hot scan probes the long names it just kept). */
  afterPage?(): Promise<void>;
  /**
   * Keys of a slot that moved during a cluster scan, read again at its end on `target.node`
   * (after ASKING where `ask`): most were read during the scan already, so not counted twice.
   */
  recheck(targets: readonly KeyTarget<Buffer>[]): Promise<void>;
  /** How many nodes will be scanned (a cluster's primaries), before any key: bounded summaries share their room. */
  expectNodes(count: number): void;
  /**
   * A node failed and the shard is read again from the start (on the node that took it over, or
   * on the node openNode picks): drop what it contributed (`scannedKeys` of its pages went through).
   */
  forgetNode(node: string, scannedKeys: number): void;
}

export interface ScanContext<P extends KeyPage = ScanPage> {
  readonly options: AnalysisOptions;
  readonly consumer: KeyConsumer<P>;
  readonly progress: ProgressBoard;
  readonly pool: NodePool;
  readonly signal: AbortSignal;
}

export async function scanNode<P extends KeyPage>(connection: RespConnection, context: ScanContext<P>): Promise<void> {
  const { options, consumer, progress, signal } = context;
  const node = connection.address;
  const facts = await readServerFacts(connection);
  consumer.check(facts, node);
  await consumer.startNode?.(connection, facts);
  const databases = facts.mode === 'cluster' ? facts.keyspace.filter((db) => db.db === 0) : facts.keyspace;
  progress.start(node, databases.reduce((sum, db) => sum + db.keys, 0));
  const pacer = NodePacer.start(node, context.pool, options, signal, consumer.commands);
  let finished = false;
  try {
    for (const { db } of databases) {
      const pages = consumer.pages(connection, { db, pageSize: () => pacer.pageSize(), pattern: options.pattern, signal, pace: (keys) => pacer.pace(keys) });
      for await (const page of pages) {
        const redirects = await consumer.takePage(page, db, connection);
        if (redirects.length > 0) await consumer.readRedirected(redirects);
        await consumer.afterPage?.();
        progress.add(node, page.keys.length);
      }
    }
    await consumer.finishNode?.(connection);
    finished = true;
  } finally {
    // One last INFO commandstats says what the scan cost; a failed scan does not wait for it.
    const pacing = pacer.finish();
    if (finished) progress.paced(node, await pacing);
    else pacing.catch(() => undefined);
  }
}
