/**
 * SCAN + TYPE + size over one database of one node, for big key analysis (the pages of
 * engine/bigkey-consumer.ts on the scan machine, engine/scan-node.ts), kept busy without
 * round-trip gaps like node-scanner.ts: when a SCAN reply arrives, the next SCAN goes out at
 * once, followed by the TYPE batch of the page just received; when a page's TYPE replies are
 * in, its size batch goes out (STRLEN, LLEN, SCARD, ZCARD, HLEN, XLEN, or MEMORY USAGE for a
 * module type: key-probes.ts, grouped by type), with MEMORY USAGE of every key after them when asked. The node
 * therefore always has the next page's work queued while the client digests the previous one.
 * At most `window + 1` pages are between their TYPE and their size replies, and as many
 * between SCAN and TYPE, which bounds client memory to that many pages of key names.
 *
 * What the node executes per key: TYPE (no LRU/LFU update), the size command (an access on
 * Redis < 7.2, or on any version without CLIENT NO-TOUCH ON on the connection), and with
 * `memory` MEMORY USAGE (no access on any version).
 */
import { encodeKeyCommands, type Arg } from './resp-encoder.js';
import { sizeProbeFor } from './key-probes.js';
import type { Reply } from './resp-parser.js';
import type { RespConnection } from './resp-connection.js';
import { awaitedLater, isBigPage, parseScanReply, type PageSize, type ScanOptions } from './node-scanner.js';

export interface SizedPage {
  readonly keys: readonly Buffer[];
  /** TYPE reply per key: a type name, 'none' (vanished; on a cluster replica, maybe migrated away), or an error reply (MOVED/ASK on a cluster). */
  readonly types: readonly Reply[];
  /** Size reply per key: a number, null (vanished after TYPE), an error (WRONGTYPE: changed); null where TYPE was not a type. */
  readonly sizes: readonly Reply[];
  /** MEMORY USAGE per key when asked, else empty. */
  readonly memory: readonly Reply[];
}

export interface SizeScanOptions extends ScanOptions {
  /** Also MEMORY USAGE of every key (its default sampling). */
  readonly memory: boolean;
}

export type { PageSize };

interface Typed {
  readonly keys: Buffer[];
  readonly types: Promise<Reply[]>;
}

interface Sized {
  readonly keys: Buffer[];
  readonly types: Reply[];
  /** Index in the batch's replies of each key's size reply (-1: none sent), and of its MEMORY USAGE. */
  readonly at: Int32Array;
  readonly memoryAt: Int32Array;
  readonly replies: Promise<Reply[]>;
}

export async function* scanSizes(connection: RespConnection, options: SizeScanOptions): AsyncGenerator<SizedPage> {
  const scanArgs = (cursor: Buffer | string): Arg[] => {
    const { count } = options.pageSize();
    return options.pattern === undefined ? ['SCAN', cursor, 'COUNT', count] : ['SCAN', cursor, 'MATCH', options.pattern, 'COUNT', count];
  };
  try {
    await connection.call(['SELECT', options.db]);
    let scan: Promise<Reply> = connection.call(scanArgs('0'));
    const typing: Typed[] = [];
    const sizing: Sized[] = [];
    for (;;) {
      options.signal?.throwIfAborted();
      const page = parseScanReply(await scan, connection);
      const done = page.cursor.length === 1 && page.cursor[0] === 0x30; // "0"
      // A page of long names is worked through before the next is asked for: one at a time in memory.
      const big = isBigPage(page.keys);
      if (!done || page.keys.length > 0) await options.pace?.(Math.max(1, page.keys.length));
      if (!done && !big) scan = awaitedLater(connection.call(scanArgs(page.cursor)));
      if (page.keys.length > 0) {
        const types = connection.sendEncoded(encodeKeyCommands(['TYPE'], page.keys), page.keys.length);
        typing.push({ keys: page.keys, types: awaitedLater(types) });
      }
      const window = big ? 0 : options.pageSize().window;
      while (typing.length > window || (done && typing.length > 0)) {
        const oldest = typing.shift() as Typed;
        sizing.push(sendSizes(connection, oldest.keys, await oldest.types, options.memory));
      }
      while (sizing.length > window || (done && sizing.length > 0)) {
        const oldest = sizing.shift() as Sized;
        yield splitReplies(oldest, await oldest.replies, options.memory);
      }
      if (done) return;
      if (big) scan = awaitedLater(connection.call(scanArgs(page.cursor)));
    }
  } catch (error) {
    if (options.signal?.aborted === true) throw options.signal.reason;
    throw error;
  }
}

/**
 * One batch: the size commands grouped by type (each group encoded into one buffer, like the
 * scanner's OBJECT FREQ batches), then MEMORY USAGE of every key with a type when asked.
 * Replies are matched back to keys by index.
 */
function sendSizes(connection: RespConnection, keys: Buffer[], types: Reply[], memory: boolean): Sized {
  const byType = new Map<string, number[]>();
  keys.forEach((_, i) => {
    const type = types[i];
    if (!Buffer.isBuffer(type) || isNone(type)) return;
    const name = type.toString('latin1');
    const group = byType.get(name);
    if (group === undefined) byType.set(name, [i]);
    else group.push(i);
  });
  const parts: Buffer[] = [];
  const at = new Int32Array(keys.length).fill(-1);
  const memoryAt = new Int32Array(keys.length).fill(-1);
  let count = 0;
  const send = (prefix: readonly string[], indexes: readonly number[], into: Int32Array): void => {
    const encoded = encodeKeyCommands(prefix, indexes.map((i) => keys[i] as Buffer));
    if (Buffer.isBuffer(encoded)) parts.push(encoded);
    else parts.push(...encoded);
    for (const i of indexes) into[i] = count++;
  };
  for (const [type, indexes] of byType) send(probePrefix(type), indexes, at);
  if (memory) send(['MEMORY', 'USAGE'], [...byType.values()].flat(), memoryAt);
  const replies = count === 0 ? Promise.resolve([]) : connection.sendEncoded(parts.length === 1 ? (parts[0] as Buffer) : parts, count);
  return { keys, types, at, memoryAt, replies: awaitedLater(replies) };
}

/** The size command of a type without its key: ['STRLEN'], ['MEMORY', 'USAGE'] (key-probes.ts). */
function probePrefix(type: string): string[] {
  return sizeProbeFor(type)
    .command(Buffer.alloc(0))
    .slice(0, -1)
    .map((arg) => String(arg));
}

function splitReplies(sized: Sized, replies: Reply[], memory: boolean): SizedPage {
  const sizes: Reply[] = [];
  const usage: Reply[] = [];
  for (let i = 0; i < sized.keys.length; i++) {
    const at = sized.at[i] as number;
    sizes.push(at < 0 ? null : (replies[at] ?? null));
    if (memory) {
      const memoryAt = sized.memoryAt[i] as number;
      usage.push(memoryAt < 0 ? null : (replies[memoryAt] ?? null));
    }
  }
  return { keys: sized.keys, types: sized.types, sizes, memory: usage };
}

function isNone(type: Buffer): boolean {
  return type.length === 4 && type.toString('latin1') === 'none';
}

