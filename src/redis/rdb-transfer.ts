/**
 * Taking a live snapshot from a node the way a replica does, as `redis-cli --rdb` does: the node
 * forks, its child writes the RDB, and keyheat parses the bytes as they arrive (rdb/rdb-parser.ts),
 * never holding the RDB in memory or on disk.
 *
 * The exchange, every byte of it read as input from a stranger:
 *   REPLCONF rdb-only 1   Redis 7.0+: send the RDB alone, no replication stream after it (with
 *                         capa eof and repl-diskless-sync yes, straight to the socket; the
 *                         preflight refuses a node with repl-diskless-sync no).
 *                         Older servers answer "Unrecognized REPLCONF option": plain SYNC then.
 *   REPLCONF capa eof     the RDB may come framed by a 40-byte mark instead of a length.
 *   SYNC                  the reply: "\n" keepalives while the node waits to fork
 *                         (repl-diskless-sync-delay) or saves to disk, then either
 *                         `$EOF:<40 bytes>\r\n` RDB <the same 40 bytes>, or `$<length>\r\n` RDB.
 * After the RDB keyheat closes the connection: an older server would go on with its
 * replication stream, which keyheat never reads.
 *
 * Bounded: the header line is at most 128 bytes. Each phase has its deadline ('timeout'): the RDB
 * must begin within `maxWaitMs` of SYNC however many keepalives the node sends (and a node that
 * sends not even those for `stallMs` fails sooner); once it has begun, `stallMs` without an RDB
 * byte fails it. The parser holds at most its own caps and is fed in slices, yielding the event
 * loop (redis/paced-feed.ts): backpressure is TCP's, the socket paused while a backlog is parsed.
 */
import { RedisFailure } from '../domain/redis-failure.js';
import { PacedQueue } from './paced-feed.js';
import { RdbParseError, type RdbParser } from './rdb/rdb-parser.js';
import type { RespConnection } from './resp-connection.js';
import { RedisReplyError } from './resp-parser.js';
import { HOW_TO_ALLOW } from './snapshot-preflight.js';

export interface TransferReport {
  /** 'rdb-only': REPLCONF rdb-only was taken (Redis 7.0+); 'sync': a plain SYNC, the connection closed after the RDB. */
  readonly protocol: 'rdb-only' | 'sync';
  /** How the node framed the RDB: a 40-byte mark (diskless) or its length (saved to disk first). */
  readonly framing: 'eof-mark' | 'length';
  /** Bytes of the RDB. */
  readonly rdbBytes: number;
  /** From SYNC to the RDB's first byte: the fork, repl-diskless-sync-delay, or a save to disk. */
  readonly waitMs: number;
  /** From the RDB's first byte to its last. */
  readonly transferMs: number;
}

export interface TransferOptions {
  /** Before the RDB: no byte for this long (not even a keepalive) fails the transfer; during it: no RDB byte for this long. */
  readonly stallMs: number;
  /** The RDB must begin within this long of SYNC, keepalives or not. */
  readonly maxWaitMs: number;
  readonly signal: AbortSignal;
}

const MARK_LENGTH = 40;
const HEADER_MAX = 128;
const LF = 0x0a;


/**
 * Streams `connection`'s node's RDB into `parser`; the connection is the transfer's and is
 * closed when it ends, however it ends. Throws RedisFailure: 'no-permission' or 'unsupported'
 * for a refusal, 'protocol' for bytes that are not an RDB transfer, 'limit' or 'unsupported'
 * from the parser, 'timeout' for a stall, the connection's failure if it drops.
 */
export async function transferRdb(connection: RespConnection, parser: RdbParser, options: TransferOptions): Promise<TransferReport> {
  const node = connection.address;
  try {
    const [rdbOnly, capa] = await connection.pipeline([
      ['REPLCONF', 'rdb-only', '1'],
      ['REPLCONF', 'capa', 'eof'],
    ]);
    const protocol = replconfAccepted(connection, rdbOnly, /unrecognized REPLCONF option/i) ? 'rdb-only' : 'sync';
    // Without capa eof the node saves to its disk first and sends the file with its length.
    replconfAccepted(connection, capa, /./);
    options.signal.throwIfAborted();
    return await new Promise<TransferReport>((resolve, reject) => {
      const reader = new TransferReader(node, (reply) => connection.failureOf(reply), parser, protocol, options, connection, resolve, (error) => {
        reject(error);
        connection.close();
      });
      const onAbort = (): void => reader.fail(options.signal.reason as Error);
      options.signal.addEventListener('abort', onAbort, { once: true });
      reader.onSettled = () => {
        options.signal.removeEventListener('abort', onAbort);
        connection.close();
      };
      // Last: on a connection closed already it settles at once, and must find the cleanup set.
      connection.onClose(() => reader.closed(connection.closeReason));
      connection.stream(['SYNC'], (chunk) => reader.push(chunk));
    });
  } finally {
    connection.close();
  }
}

/**
 * True when REPLCONF answered +OK, false for the refusal `optional` matches (an older server);
 * a refusal by ACL or a renamed command throws, with how to allow it.
 */
function replconfAccepted(connection: RespConnection, reply: unknown, optional: RegExp): boolean {
  if (!(reply instanceof RedisReplyError)) return true;
  const failure = connection.failureOf(reply);
  if (failure.kind === 'no-permission' || failure.kind === 'unsupported') throw refused(failure, 'REPLCONF');
  if (optional.test(reply.message)) return false;
  throw failure;
}

function refused(failure: RedisFailure, command: string): RedisFailure {
  const kind = failure.kind === 'no-permission' ? 'no-permission' : 'unsupported';
  return new RedisFailure(kind, failure.node, `${failure.node} refused ${command}, which a snapshot needs (${failure.message}): ${HOW_TO_ALLOW}. Without strategy "snapshot" the task needs neither.`);
}

/** The failure an RDB parse error is, on the node that sent the bytes. */
export function rdbFailure(error: RdbParseError, node: string): RedisFailure {
  const kind = error.reason === 'limit' ? 'limit' : error.reason === 'unsupported' ? 'unsupported' : 'protocol';
  return new RedisFailure(kind, node, `${node} sent an RDB keyheat cannot read: ${error.message}`, { cause: error });
}

const S_HEADER = 0;
const S_BODY = 1;
const S_MARK = 2;
const S_DONE = 3;

class TransferReader {
  private state = S_HEADER;
  private header: number[] = [];
  private framing: 'eof-mark' | 'length' = 'length';
  private mark: Buffer = Buffer.alloc(0);
  /** Length framing: RDB bytes still to come. */
  private left = 0;
  private trailer: Buffer[] = [];
  private trailerLength = 0;
  private readonly started = performance.now();
  private firstByteAt = 0;
  /** No byte before the RDB, or no RDB byte during it, for stallMs. */
  private stallTimer: NodeJS.Timeout | null = null;
  /** The RDB has not begun maxWaitMs after SYNC. */
  private waitTimer: NodeJS.Timeout | null = null;
  private readonly queue: PacedQueue;
  onSettled: (() => void) | null = null;

  constructor(
    private readonly node: string,
    /** The connection's classification of an error reply (secrets removed, kind decided). */
    private readonly classify: (reply: RedisReplyError) => RedisFailure,
    private readonly parser: RdbParser,
    private readonly protocol: 'rdb-only' | 'sync',
    private readonly options: TransferOptions,
    source: { pause(): void; resume(): void },
    private readonly resolve: (report: TransferReport) => void,
    private readonly reject: (error: Error) => void,
  ) {
    this.queue = new PacedQueue(
      (slice) => this.process(slice),
      (error) => this.fail(error instanceof RdbParseError ? rdbFailure(error, this.node) : (error as Error)),
      source,
    );
    this.arm();
    this.waitTimer = setTimeout(() => {
      this.fail(
        new RedisFailure(
          'timeout',
          this.node,
          `${this.node} had not begun sending its RDB ${this.options.maxWaitMs} ms after SYNC (snapshot.max_wait_ms); keepalives alone do not count: is its fork or save stuck, or repl-diskless-sync-delay longer than that?`,
        ),
      );
    }, this.options.maxWaitMs);
    this.waitTimer.unref();
  }

  /** Bytes of the connection, as they arrive: parsed in slices, a turn of the event loop at a time. */
  push(chunk: Buffer): void {
    if (this.state === S_DONE) return;
    this.queue.push(chunk);
  }

  private process(chunk: Buffer): void {
    if (this.state === S_DONE) return;
    // Before the RDB any byte shows the node alive (its keepalives; maxWaitMs bounds that phase);
    // during it only the RDB's own bytes come, and are progress.
    this.arm();
    let from = 0;
    if (this.state === S_HEADER) from = this.readHeader(chunk);
    if (this.state === S_BODY && from < chunk.length) from = this.readBody(chunk, from);
    if (this.state === S_MARK && from < chunk.length) this.readMark(chunk, from);
  }

  /** The connection closed: the end of the transfer only if the RDB was whole (once what arrived before is parsed). */
  closed(reason: RedisFailure | null): void {
    if (this.state === S_DONE) return;
    this.queue.whenIdle(() => this.closedNow(reason));
  }

  private closedNow(reason: RedisFailure | null): void {
    if (this.state === S_DONE) return;
    if (this.state === S_BODY && this.framing === 'eof-mark') {
      try {
        this.parser.end();
      } catch (error) {
        if (error instanceof RdbParseError) {
          this.fail(new RedisFailure('unreachable', this.node, `${this.node} closed the connection after ${this.parser.bytes} bytes of RDB: ${error.message}`));
          return;
        }
      }
    }
    const received = this.state === S_HEADER ? 'before sending the RDB' : `after ${this.parser.bytes} bytes of RDB`;
    const why = reason?.kind === 'cancelled' ? reason : new RedisFailure('unreachable', this.node, `${this.node} closed the connection ${received}`);
    this.fail(why);
  }

  fail(error: Error): void {
    if (this.state === S_DONE) return;
    this.state = S_DONE;
    this.queue.stop();
    this.settle();
    this.reject(error);
  }

  private settle(): void {
    if (this.stallTimer !== null) clearTimeout(this.stallTimer);
    if (this.waitTimer !== null) clearTimeout(this.waitTimer);
    this.stallTimer = null;
    this.waitTimer = null;
    this.onSettled?.();
    this.onSettled = null;
  }

  private arm(): void {
    if (this.stallTimer !== null) clearTimeout(this.stallTimer);
    this.stallTimer = setTimeout(() => {
      const what =
        this.state === S_HEADER
          ? `sent nothing for ${this.options.stallMs} ms while its RDB was being prepared (not even a keepalive)`
          : `sent no RDB byte for ${this.options.stallMs} ms after ${this.parser.bytes} bytes of RDB`;
      this.fail(new RedisFailure('timeout', this.node, `${this.node} ${what} (snapshot.stall_timeout_ms)`));
    }, this.options.stallMs);
    this.stallTimer.unref();
  }

  /** Keepalive newlines, then one line: `$EOF:<mark>`, `$<length>`, or an error. Returns where the body starts. */
  private readHeader(chunk: Buffer): number {
    for (let i = 0; i < chunk.length; i++) {
      const byte = chunk[i] as number;
      if (byte === LF) {
        if (this.header.length === 0) continue; // a keepalive
        this.headerLine();
        return i + 1;
      }
      if (this.header.length >= HEADER_MAX) throw new RedisFailure('protocol', this.node, `${this.node} answered SYNC with a line longer than ${HEADER_MAX} bytes`);
      this.header.push(byte);
    }
    return chunk.length;
  }

  private headerLine(): void {
    const bytes = Buffer.from(this.header);
    const line = bytes.toString('latin1', 0, bytes[bytes.length - 1] === 0x0d ? bytes.length - 1 : bytes.length);
    if (line.startsWith('-')) {
      const failure = this.classify(new RedisReplyError(line.slice(1)));
      throw failure.kind === 'no-permission' || failure.kind === 'unsupported' ? refused(failure, 'SYNC') : failure;
    }
    this.firstByteAt = performance.now();
    // The RDB begins: from here only its bytes keep the transfer alive.
    if (this.waitTimer !== null) clearTimeout(this.waitTimer);
    this.waitTimer = null;
    this.arm();
    if (line.startsWith('$EOF:')) {
      const mark = bytes.subarray(5, 5 + MARK_LENGTH);
      if (line.length !== 5 + MARK_LENGTH) throw new RedisFailure('protocol', this.node, `${this.node} answered SYNC with an EOF mark of ${line.length - 5} bytes instead of ${MARK_LENGTH}`);
      this.framing = 'eof-mark';
      this.mark = Buffer.from(mark);
      this.state = S_BODY;
      return;
    }
    const length = /^\$(\d{1,15})$/.exec(line);
    if (length === null) throw new RedisFailure('protocol', this.node, `${this.node} answered SYNC with something that is not an RDB transfer (${bytes.length} bytes)`);
    this.framing = 'length';
    this.left = Number(length[1]);
    this.state = S_BODY;
  }

  private readBody(chunk: Buffer, from: number): number {
    const slice = from === 0 ? chunk : chunk.subarray(from);
    if (this.framing === 'length') {
      const take = Math.min(this.left, slice.length);
      const used = this.parser.push(take === slice.length ? slice : slice.subarray(0, take));
      this.left -= take;
      if (used < take) throw new RedisFailure('protocol', this.node, `${this.node} sent ${take - used} bytes after the RDB's end within the length it announced`);
      if (this.left === 0) {
        if (!this.parser.done) this.parser.end(); // throws: the RDB is shorter than its checksum says
        this.finish();
      }
      return from + take;
    }
    const used = this.parser.push(slice);
    if (this.parser.done) {
      this.state = S_MARK;
      return from + used;
    }
    return chunk.length;
  }

  private readMark(chunk: Buffer, from: number): void {
    const part = chunk.subarray(from);
    this.trailer.push(Buffer.from(part));
    this.trailerLength += part.length;
    if (this.trailerLength < MARK_LENGTH) return;
    const trailer = Buffer.concat(this.trailer, this.trailerLength);
    // rdb-only: nothing follows the mark; SYNC on an older server: its replication stream does, which is never read.
    if (!trailer.subarray(0, MARK_LENGTH).equals(this.mark)) throw new RedisFailure('protocol', this.node, `${this.node} sent an RDB that does not end with the EOF mark it announced`);
    this.finish();
  }

  private finish(): void {
    if (this.state === S_DONE) return;
    this.state = S_DONE;
    const now = performance.now();
    this.settle();
    this.resolve({
      protocol: this.protocol,
      framing: this.framing,
      rdbBytes: this.parser.bytes,
      waitMs: Math.round(this.firstByteAt - this.started),
      transferMs: Math.round(now - this.firstByteAt),
    });
  }
}
