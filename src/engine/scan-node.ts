/**
 * The scan of one node: its preflight (INFO), then every non-empty database (a cluster node
 * has only db 0), paced, feeding the shared collector. Keys that answer MOVED/ASK (a slot
 * migrated during the scan) are read on the node that now has them.
 */
import { groupBy } from '../analysis/group-by.js';
import type { Arg, RespConnection } from '../redis/resp-connection.js';
import { classifyRedisError } from '../redis/classify-redis-error.js';
import { scanDatabase } from '../redis/node-scanner.js';
import { hotkeyUnsupportedReason, readServerFacts } from '../redis/preflight.js';
import { RedisReplyError } from '../redis/resp-parser.js';
import type { ServerFacts } from '../redis/server-info.js';
import { AnalysisRefused } from './analysis-errors.js';
import type { AnalysisOptions } from './analysis-options.js';
import type { HotKeyCollector, Redirect } from './hot-key-collector.js';
import type { NodePool } from './node-pool.js';
import type { ProgressBoard } from './progress-board.js';
import { NodePacer } from './node-pacer.js';

export interface ScanContext {
  readonly options: AnalysisOptions;
  readonly collector: HotKeyCollector;
  readonly progress: ProgressBoard;
  readonly pool: NodePool;
  readonly signal: AbortSignal;
}

/** INFO, and the refusal reason if this node cannot be analysed. */
export async function checkedFacts(connection: RespConnection): Promise<ServerFacts> {
  const facts = await readServerFacts(connection).catch((error: unknown) => {
    throw classifyRedisError(error, connection.address);
  });
  refuseUnsupported(facts, connection.address);
  return facts;
}

/** Throws AnalysisRefused when facts already read show the node cannot be analysed. */
export function refuseUnsupported(facts: ServerFacts, address: string): void {
  const reason = hotkeyUnsupportedReason(facts, address);
  if (reason !== null) throw new AnalysisRefused(reason);
}

export async function scanNode(connection: RespConnection, context: ScanContext): Promise<void> {
  const { options, collector, progress, signal } = context;
  const node = connection.address;
  const facts = await checkedFacts(connection);
  const databases = facts.mode === 'cluster' ? facts.keyspace.filter((db) => db.db === 0) : facts.keyspace;
  progress.start(node, databases.reduce((sum, db) => sum + db.keys, 0));
  const pacer = await NodePacer.start(node, context.pool, options, signal);
  try {
    for (const { db } of databases) {
      const pages = scanDatabase(connection, {
        db,
        pageSize: () => pacer.pageSize(),
        pattern: options.pattern,
        signal,
        pace: options.rateLimit > 0 ? (keys) => pacer.pace(keys) : undefined,
      });
      for await (const page of pages) {
        const redirects = collector.collect(page.keys, page.freqs, db, node);
        if (redirects.length > 0) await followRedirects(redirects, context);
        progress.add(node, page.keys.length);
      }
    }
  } finally {
    pacer.stop();
  }
}

/** Reads the counters of keys whose slot moved, on their new node (a few hops at most). */
export async function followRedirects(redirects: readonly Redirect[], context: ScanContext): Promise<void> {
  let pending = redirects;
  for (let hop = 0; hop < 3 && pending.length > 0; hop++) {
    const next: Redirect[] = [];
    for (const [address, group] of groupBy(pending, (r) => r.address)) {
      const connection = await context.pool.get(address);
      // ASK: the slot is being imported there; ASKING lets the next command read it.
      const replies = await connection.pipeline(group.flatMap((r): Arg[][] => (r.ask ? [['ASKING'], ['OBJECT', 'FREQ', r.key]] : [['OBJECT', 'FREQ', r.key]])));
      let at = 0;
      for (const redirect of group) {
        at += redirect.ask ? 2 : 1;
        const freq = replies[at - 1] ?? null;
        if (typeof freq === 'number') context.collector.offer(freq, 0, address, redirect.key);
        else if (freq === null) context.collector.vanishedKeys += 1;
        else if (freq instanceof RedisReplyError) next.push(context.collector.redirectOf(freq, redirect.key, address));
      }
    }
    pending = next;
  }
  if (pending.length > 0) throw classifyRedisError(new RedisReplyError(`MOVED loop for ${pending.length} keys`), pending[0]?.address ?? '?');
}
