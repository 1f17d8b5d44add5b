/**
 * SCAN + OBJECT FREQ over one database of one node. The OBJECT FREQ commands for a page and the
 * SCAN for the next page go out in one write, so the server never waits for a round trip
 * between pages. Each pipelined batch is `count` cheap commands: the server interleaves other
 * clients between them, it is not one blocking call.
 */
import { RedisReplyError, type Reply } from './resp-parser.js';
import type { Arg, RespConnection } from './resp-connection.js';
import { classifyRedisError, RedisFailure } from './classify-redis-error.js';

export interface ScanPage {
  readonly keys: readonly Buffer[];
  /** OBJECT FREQ per key, in the same order; null when the key vanished after SCAN. */
  readonly freqs: readonly (number | null)[];
}

export interface ScanOptions {
  readonly db: number;
  /** SCAN COUNT hint: how many keys per page. */
  readonly count: number;
  readonly pattern?: string;
  readonly signal?: AbortSignal;
}

export async function* scanDatabase(connection: RespConnection, options: ScanOptions): AsyncGenerator<ScanPage> {
  const address = connection.address;
  try {
    await connection.call(['SELECT', options.db]);
    const scanArgs = (cursor: Buffer | string): Arg[] =>
      options.pattern === undefined
        ? ['SCAN', cursor, 'COUNT', options.count]
        : ['SCAN', cursor, 'MATCH', options.pattern, 'COUNT', options.count];

    let page = parseScanReply(await connection.call(scanArgs('0')), address);
    for (;;) {
      options.signal?.throwIfAborted();
      const done = page.cursor.length === 1 && page.cursor[0] === 0x30; // "0"
      const commands: Arg[][] = page.keys.map((key) => ['OBJECT', 'FREQ', key]);
      if (!done) commands.push(scanArgs(page.cursor));
      const replies = await connection.pipeline(commands);
      const freqs = page.keys.map((_key, i) => freqFrom(replies[i] ?? null, address));
      yield { keys: page.keys, freqs };
      if (done) return;
      page = parseScanReply(replies[replies.length - 1] ?? null, address);
    }
  } catch (error) {
    if (options.signal?.aborted === true) throw options.signal.reason;
    throw classifyRedisError(error, address);
  }
}

function freqFrom(reply: Reply, address: string): number | null {
  if (typeof reply === 'number') return reply;
  if (reply === null) return null;
  if (reply instanceof RedisReplyError) throw classifyRedisError(reply, address);
  throw new RedisFailure('other', `${address}: unexpected OBJECT FREQ reply`);
}

function parseScanReply(reply: Reply, address: string): { cursor: Buffer; keys: Buffer[] } {
  if (reply instanceof RedisReplyError) throw classifyRedisError(reply, address);
  if (!Array.isArray(reply) || !Buffer.isBuffer(reply[0]) || !Array.isArray(reply[1])) {
    throw new RedisFailure('other', `${address}: unexpected SCAN reply`);
  }
  return { cursor: reply[0], keys: reply[1].filter((key): key is Buffer => Buffer.isBuffer(key)) };
}
