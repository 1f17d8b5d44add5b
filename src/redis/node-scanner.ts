/**
 * SCAN + one command per key (OBJECT FREQ for hot keys, PTTL for the expired key scan) over one
 * database of one node, kept busy without round-trip gaps: when a SCAN reply arrives, the next
 * SCAN goes out at once, followed by the key command batch of the page just received. The node
 * therefore always has the next page's work queued while the client digests the previous one.
 * At most `window + 1` pages are in flight, which bounds client memory to that many pages of
 * key names. While busy, a page is one batch of at most `batch` keys' commands (the block
 * budget, analysis/pace-controller.ts); a page SCAN returned bigger (COUNT is a hint: a page
 * ends at a bucket's end) has its key commands sent in several such batches, each when the
 * previous one's replies are in, so that the node never runs more than one batch of this
 * client's at a stretch.
 *
 * What the node executes: one SCAN COUNT n (blocks it for about 0.75 us per key on the
 * measured machine) and n key commands that it interleaves with other clients' commands at each
 * socket read; neither OBJECT FREQ nor PTTL counts as a key access. On a primary, SCAN and PTTL
 * delete the keys whose TTL has passed (Redis's lazy expiry); a replica only hides them.
 */
import { encodeKeyCommands, type Arg } from './resp-encoder.js';
import { RedisReplyError, type Reply } from './resp-parser.js';
import type { RespConnection } from './resp-connection.js';

export interface ScanPage {
  readonly keys: readonly Buffer[];
  /**
   * The key command's reply per key, in the same order: for OBJECT FREQ a counter, null (key
   * vanished), or an error reply; for PTTL milliseconds, -1 (no expiry), -2 (vanished) or an error.
   */
  readonly replies: readonly Reply[];
}

/** The key command of a hot key scan. */
export const OBJECT_FREQ: readonly string[] = Object.freeze(['OBJECT', 'FREQ']);

/** How much to ask for next (analysis/pace-controller.ts); read before every page, so it may change during the scan. */
export interface PageSize {
  /** SCAN COUNT hint: keys per page, and OBJECT FREQ commands per batch. */
  readonly count: number;
  /** OBJECT FREQ batches in flight besides the one just sent (0 = one page at a time). */
  readonly window: number;
  /**
   * The most keys whose commands go to the node in one go (the block budget): a page SCAN
   * returned bigger (COUNT is a hint) is sent in batches of at most this many, each after the
   * previous one's replies. Absent: a page's commands go in one batch.
   */
  readonly batch?: number;
}

interface InFlight {
  readonly keys: Buffer[];
  readonly replies: Promise<Reply[]>;
}

export interface ScanOptions {
  readonly db: number;
  readonly pageSize: () => PageSize;
  readonly pattern?: string | undefined;
  readonly signal?: AbortSignal | undefined;
  /**
   * Called before each batch of work is sent, with its key count (at least 1: an empty page
   * costs too): a page's first batch (with the next SCAN), and each further batch of a page
   * sent in several.
   */
  readonly pace?: ((keys: number) => Promise<void>) | undefined;
  /** The command sent for every key, the key appended (default OBJECT FREQ). */
  readonly keyCommand?: readonly string[] | undefined;
}

export async function* scanDatabase(connection: RespConnection, options: ScanOptions): AsyncGenerator<ScanPage> {
  const keyCommand = options.keyCommand ?? OBJECT_FREQ;
  const scanArgs = (cursor: Buffer | string): Arg[] => {
    const { count } = options.pageSize();
    return options.pattern === undefined ? ['SCAN', cursor, 'COUNT', count] : ['SCAN', cursor, 'MATCH', options.pattern, 'COUNT', count];
  };
  try {
    await connection.call(['SELECT', options.db]);
    let scan: Promise<Reply> = connection.call(scanArgs('0'));
    const inflight: InFlight[] = [];
    for (;;) {
      options.signal?.throwIfAborted();
      const page = parseScanReply(await scan, connection);
      const done = page.cursor.length === 1 && page.cursor[0] === 0x30; // "0"
      // A page of long names is worked through before the next is asked for: one at a time in memory.
      const big = isBigPage(page.keys);
      const limit = batchLimit(options.pageSize());
      const split = page.keys.length > limit;
      if (!done || page.keys.length > 0) await options.pace?.(Math.max(1, Math.min(limit, page.keys.length)));
      if (!done && !big) scan = awaitedLater(connection.call(scanArgs(page.cursor)));
      if (page.keys.length > 0) inflight.push({ keys: page.keys, replies: awaitedLater(sendKeyCommands(connection, keyCommand, page.keys, limit, options)) });
      // A page sent in several batches is through before the next one's work goes out.
      const window = big || split ? 0 : options.pageSize().window;
      while (inflight.length > window || (done && inflight.length > 0)) {
        const oldest = inflight.shift() as InFlight;
        yield { keys: oldest.keys, replies: await oldest.replies };
      }
      if (done) return;
      if (big) scan = awaitedLater(connection.call(scanArgs(page.cursor)));
    }
  } catch (error) {
    if (options.signal?.aborted === true) throw options.signal.reason;
    throw error;
  }
}

function batchLimit(size: PageSize): number {
  return size.batch === undefined ? Number.POSITIVE_INFINITY : Math.max(1, Math.floor(size.batch));
}

/**
 * A page's key commands: the first `limit` keys at once (the caller paced them), the rest in
 * batches of `limit`, each paced and sent when the previous one's replies are in, so that the
 * node never runs more than one batch of this client's in one go. The replies of the whole
 * page, in order.
 */
function sendKeyCommands(connection: RespConnection, command: readonly string[], keys: readonly Buffer[], limit: number, options: ScanOptions): Promise<Reply[]> {
  if (keys.length <= limit) return connection.sendEncoded(encodeKeyCommands(command, keys), keys.length);
  const first = connection.sendEncoded(encodeKeyCommands(command, keys.slice(0, limit)), limit);
  return (async () => {
    const replies = await first;
    for (let from = limit; from < keys.length; from += limit) {
      const part = keys.slice(from, from + limit);
      options.signal?.throwIfAborted();
      await options.pace?.(part.length);
      replies.push(...(await connection.sendEncoded(encodeKeyCommands(command, part), part.length)));
    }
    return replies;
  })();
}

/**
 * Requests run ahead of the one being awaited. If the connection fails, every one of them
 * rejects, but only the awaited one is observed: mark the others handled here; the error still
 * surfaces wherever the promise is awaited.
 */
export function awaitedLater<T>(promise: Promise<T>): Promise<T> {
  promise.catch(ignoreUntilAwaited);
  return promise;
}

function ignoreUntilAwaited(): void {
  // The rejection is observed (and rethrown) by whoever awaits the promise.
}

/** A SCAN reply is [cursor digits, [key, ...]]; anything else is a server that is not Redis. Shared with bigkey-scanner.ts. */
export function parseScanReply(reply: Reply, connection: RespConnection): { cursor: Buffer; keys: Buffer[] } {
  if (reply instanceof RedisReplyError) throw connection.failureOf(reply);
  const [cursor, keys] = Array.isArray(reply) && reply.length === 2 ? reply : [];
  if (!Buffer.isBuffer(cursor) || !/^\d{1,20}$/.test(cursor.toString('latin1')) || !Array.isArray(keys) || !keys.every((key) => Buffer.isBuffer(key))) {
    throw connection.unexpected(reply, 'SCAN');
  }
  return { cursor, keys: keys as Buffer[] };
}

/** Key name bytes past which a page is big: it is not pipelined with the next (names up to redis.max_bulk_bytes each). */
export const BIG_PAGE_BYTES = 4 * 1024 * 1024;

/** Whether a page's key names weigh more than BIG_PAGE_BYTES. */
export function isBigPage(keys: readonly Buffer[]): boolean {
  let bytes = 0;
  for (const key of keys) {
    bytes += key.length;
    if (bytes > BIG_PAGE_BYTES) return true;
  }
  return false;
}
