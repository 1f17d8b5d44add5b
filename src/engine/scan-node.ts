/**
 * The scan of one node: its preflight (INFO), then every non-empty database (a cluster node
 * has only db 0), paced, feeding the shared collector. Keys that answer MOVED/ASK (a slot
 * migrated during the scan) are read on the node that now has them.
 */
import { unexpectedReply } from '../redis/classify-redis-error.js';
import type { NodePool } from '../redis/node-pool.js';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { isBigPage, scanDatabase, type ScanPage } from '../redis/node-scanner.js';
import { readLfuSettings } from '../redis/lfu-config.js';
import { checkedFacts } from '../redis/preflight.js';
import { sendToOwners, type KeyTarget } from '../redis/redirects.js';
import type { RespConnection } from '../redis/resp-connection.js';
import type { AnalysisOptions } from './analysis-options.js';
import type { HotKeyCollector } from './hot-key-collector.js';
import { NodePacer } from './node-pacer.js';
import { probeCandidates } from './probe-candidates.js';
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
        const redirects = await collectPage(collector, page, db, connection);
        if (redirects.length > 0) await readRedirected(redirects, context);
        await probeLongAdmissions(context);
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

/**
 * Type and size of the keys the top-K just kept under names too long to keep whole: read now,
 * while the page holds their whole names (once kept, a name is its beginning and its hash, and
 * cannot be named to the server again). Rare: only names over NAME_KEEP_BYTES.
 */
export async function probeLongAdmissions(context: ScanContext): Promise<void> {
  const admitted = context.collector.takeLongAdmissions();
  if (admitted.length === 0) return;
  const whole = new Map(admitted.map((a) => [a.candidate, a.fullName]));
  const probed = await probeCandidates(context.pool, [...whole.keys()], (candidate) => whole.get(candidate) as Buffer);
  const found = new Map(probed.keys.map((key) => [key.candidate, key]));
  for (const candidate of whole.keys()) {
    const key = found.get(candidate);
    context.collector.setDetail(candidate, key === undefined ? 'vanished' : { type: key.type, size: key.size, unit: key.unit });
  }
}

/** Name bytes the collector takes in one turn of the event loop (long names are hashed when kept). */
const COLLECT_SLICE_BYTES = 2 * 1024 * 1024;

/**
 * A page into the collector: at once when its names are short (nearly always), else a slice of
 * names at a time, yielding the event loop between slices, and counted when all of it is through.
 */
export async function collectPage(collector: HotKeyCollector, page: ScanPage, db: number, connection: RespConnection): Promise<KeyTarget<Buffer>[]> {
  if (!isBigPage(page.keys)) return collector.collect(page.keys, page.freqs, db, connection);
  const redirects: KeyTarget<Buffer>[] = [];
  for (let from = 0; from < page.keys.length; ) {
    let to = from;
    for (let bytes = 0; to < page.keys.length && (to === from || bytes < COLLECT_SLICE_BYTES); to++) bytes += (page.keys[to] as Buffer).length;
    redirects.push(...collector.collect(page.keys.slice(from, to), page.freqs.slice(from, to), db, connection, false));
    from = to;
    await nextTurn();
  }
  collector.countPage(connection.address, db, page.keys.length);
  return redirects;
}
