/**
 * The scan of one node: its preflight (INFO), then every non-empty database (a cluster node
 * has only db 0), paced, feeding the shared collector. Keys that answer MOVED/ASK (a slot
 * migrated during the scan) are read on the node that now has them.
 */
import { unexpectedReply } from '../redis/classify-redis-error.js';
import type { NodePool } from '../redis/node-pool.js';
import { scanDatabase } from '../redis/node-scanner.js';
import { readLfuSettings } from '../redis/lfu-config.js';
import { checkedFacts } from '../redis/preflight.js';
import { sendToOwners, type KeyTarget } from '../redis/redirects.js';
import type { RespConnection } from '../redis/resp-connection.js';
import type { AnalysisOptions } from './analysis-options.js';
import type { HotKeyCollector } from './hot-key-collector.js';
import { NodePacer } from './node-pacer.js';
import type { ProgressBoard } from './progress-board.js';

export interface ScanContext {
  readonly options: AnalysisOptions;
  readonly collector: HotKeyCollector;
  readonly progress: ProgressBoard;
  readonly pool: NodePool;
  readonly signal: AbortSignal;
}

export async function scanNode(connection: RespConnection, context: ScanContext): Promise<void> {
  const { options, collector, progress, signal } = context;
  const node = connection.address;
  const facts = await checkedFacts(connection);
  collector.setLfu(node, await readLfuSettings(connection));
  const databases = facts.mode === 'cluster' ? facts.keyspace.filter((db) => db.db === 0) : facts.keyspace;
  progress.start(node, databases.reduce((sum, db) => sum + db.keys, 0));
  const pacer = NodePacer.start(node, context.pool, options, signal);
  let finished = false;
  try {
    for (const { db } of databases) {
      const pages = scanDatabase(connection, { db, pageSize: () => pacer.pageSize(), pattern: options.pattern, signal, pace: (keys) => pacer.pace(keys) });
      for await (const page of pages) {
        const redirects = collector.collect(page.keys, page.freqs, db, connection);
        if (redirects.length > 0) await readRedirected(redirects, context);
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

/** Reads the counters of keys whose slot moved, where they went (redis/redirects.ts follows further hops). */
export async function readRedirected(targets: readonly KeyTarget<Buffer>[], context: ScanContext): Promise<void> {
  const replies = await sendToOwners(context.pool, targets, (t) => ['OBJECT', 'FREQ', t.key]);
  for (const { item, node, reply, failure } of replies) {
    if (failure !== null) throw failure;
    if (typeof reply === 'number') context.collector.offer(reply, 0, node, item);
    else if (reply === null) context.collector.vanishedKeys += 1;
    else throw unexpectedReply(node, reply, 'OBJECT FREQ');
  }
}
