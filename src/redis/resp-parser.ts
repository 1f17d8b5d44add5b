/**
 * Incremental RESP2 reply parser for replies from a server keyheat does not trust.
 *
 * Invariants:
 * - Linear: every received byte is looked at once and copied at most once. An element cut by a
 *   chunk boundary keeps references to its pieces and is joined once, when its last byte arrives
 *   (a 32 MiB bulk string in 64 KiB chunks is one copy, not 512 growing ones).
 * - Bounded: a reply may not exceed `maxReplyBytes` in all, a bulk string `maxBulkBytes`, a
 *   status or error line `maxLineBytes`, an array `maxArrayLength` elements, or `maxDepth`
 *   nested arrays. Lengths are checked when their header arrives, before anything is kept.
 * - Strict: length and integer fields are decimal digits (a `-` only for -1 lengths and
 *   negative integers), at most 19 of them, ended by CRLF; bulk strings end with CRLF.
 * A breach throws RespProtocolError; the connection then fails (see resp-connection.ts).
 *
 * Bulk strings that arrive whole within one chunk come back as views of that chunk (no copy);
 * callers that keep one beyond the current batch must copy it.
 */
export class RedisReplyError extends Error {
  /** `message` is the server's raw text: classify it (classify-redis-error.ts) before showing it. */
  constructor(message: string) {
    super(message);
    this.name = 'RedisReplyError';
  }

  /** The first word of the reply: ERR, WRONGTYPE, MOVED, NOAUTH... */
  get prefix(): string {
    const space = this.message.indexOf(' ');
    return space === -1 ? this.message : this.message.slice(0, space);
  }
}

export type Reply = null | number | Buffer | RedisReplyError | Reply[];

export interface ReplyLimits {
  readonly maxReplyBytes: number;
  readonly maxBulkBytes: number;
  readonly maxLineBytes: number;
  readonly maxArrayLength: number;
  readonly maxDepth: number;
}

/** The server broke the protocol ('protocol') or one of the limits ('limit'). */
export class RespProtocolError extends Error {
  constructor(
    message: string,
    readonly reason: 'protocol' | 'limit',
  ) {
    super(message);
    this.name = 'RespProtocolError';
  }
}

const CR = 13;
const LF = 10;
const MINUS = 0x2d;
const PLUS = 0x2b;
const COLON = 0x3a;
const DOLLAR = 0x24;
const STAR = 0x2a;
/** int64 has 19 digits. */
const MAX_DIGITS = 19;
/** Type byte, sign, digits, CR, LF. */
const MAX_NUMBER_LINE = 1 + 1 + MAX_DIGITS + 2;

interface Frame {
  readonly items: Reply[];
  readonly count: number;
}

/** Bulk strings longer than this are copied into a buffer of their own as their bytes arrive. */
const COPY_AS_IT_COMES = 1024 * 1024;

export class RespParser {
  private readonly stack: Frame[] = [];
  /** Bytes of the top-level reply being assembled. */
  private replyBytes = 0;
  /** A header, status or error line cut by a chunk boundary. */
  private lineParts: Buffer[] | null = null;
  private lineLength = 0;
  /** A bulk string body (with its CRLF) cut by a chunk boundary. */
  private bulkParts: Buffer[] | null = null;
  private bulkLength = 0;
  private bulkNeeded = 0;
  /** A long bulk string's own buffer, filled as its chunks arrive (null: parts joined at the end). */
  private bulkInto: Buffer | null = null;
  private stopped = false;
  private readonly maxReplyBytes: number;
  private readonly maxBulkBytes: number;
  private readonly maxLineBytes: number;
  private readonly maxArrayLength: number;
  private readonly maxDepth: number;

  /** `onReply` gets every complete top-level reply in order, with its size on the wire. */
  constructor(
    private readonly onReply: (reply: Reply, bytes: number) => void,
    limits: ReplyLimits,
  ) {
    this.maxReplyBytes = limits.maxReplyBytes;
    this.maxBulkBytes = limits.maxBulkBytes;
    this.maxLineBytes = limits.maxLineBytes;
    this.maxArrayLength = limits.maxArrayLength;
    this.maxDepth = limits.maxDepth;
  }

  /** Feeds one socket chunk. Throws RespProtocolError on a breach; the parser is then unusable. */
  push(chunk: Buffer): void {
    if (this.stopped) return;
    let pos = 0;
    if (this.lineParts !== null) {
      pos = this.continueLine(chunk);
      if (pos < 0) return;
    }
    while (pos < chunk.length && !this.stopped) {
      pos = this.bulkParts !== null ? this.continueBulk(chunk, pos) : this.element(chunk, pos);
      if (pos < 0) return;
    }
  }

  /** Drops everything pending; later chunks are ignored (the connection is gone). */
  stop(): void {
    this.stopped = true;
    this.stack.length = 0;
    this.lineParts = null;
    this.bulkParts = null;
    this.bulkInto = null;
  }

  /** Parses the element starting at `start`; returns where the next one starts, or -1 once the chunk is used up. */
  private element(buf: Buffer, start: number): number {
    const type = buf[start];
    if (type === COLON || type === DOLLAR || type === STAR) return this.numberLine(buf, start, type);
    if (type === PLUS || type === MINUS) return this.textLine(buf, start, type);
    throw new RespProtocolError(`unexpected byte 0x${(type ?? 0).toString(16).padStart(2, '0')} where a reply should start`, 'protocol');
  }

  private numberLine(buf: Buffer, start: number, type: number): number {
    const length = buf.length;
    let i = start + 1;
    let negative = false;
    if (i < length && buf[i] === MINUS) {
      negative = true;
      i += 1;
    }
    const digitsStart = i;
    let value = 0;
    for (; i < length; i++) {
      const c = buf[i] as number;
      if (c === CR) break;
      if (c < 48 || c > 57) throw new RespProtocolError(`invalid character 0x${c.toString(16).padStart(2, '0')} in a ${fieldName(type)}`, 'protocol');
      value = value * 10 + (c - 48);
    }
    // Checked once the digits are read (a cut field is bounded by continueLine's cap).
    if (i - digitsStart > MAX_DIGITS) throw new RespProtocolError(`a ${fieldName(type)} has more than ${MAX_DIGITS} digits`, 'protocol');
    if (i + 1 >= length) return this.saveLine(buf, start);
    if (buf[i + 1] !== LF) throw new RespProtocolError(`a ${fieldName(type)} is not ended by CRLF`, 'protocol');
    if (i === digitsStart) throw new RespProtocolError(`an empty ${fieldName(type)}`, 'protocol');
    const next = i + 2;
    const number = negative ? -value : value;
    if (type === COLON) {
      this.account(next - start);
      this.deliver(number);
      return next;
    }
    if (number < 0) {
      if (number !== -1) throw new RespProtocolError(`negative ${fieldName(type)} ${number}`, 'protocol');
      this.account(next - start);
      this.deliver(null);
      return next;
    }
    return type === DOLLAR ? this.bulk(buf, start, next, number) : this.array(start, next, number);
  }

  private bulk(buf: Buffer, start: number, next: number, length: number): number {
    if (length > this.maxBulkBytes) {
      throw new RespProtocolError(`a bulk string of ${length} bytes exceeds redis.max_bulk_bytes (${this.maxBulkBytes})`, 'limit');
    }
    this.account(next - start + length + 2);
    const end = next + length;
    if (end + 2 <= buf.length) {
      if (buf[end] !== CR || buf[end + 1] !== LF) throw new RespProtocolError('a bulk string is longer than its length says', 'protocol');
      this.deliver(buf.subarray(next, end));
      return end + 2;
    }
    this.bulkParts = [];
    this.bulkLength = length;
    this.bulkNeeded = length + 2;
    // A long one is copied into its own buffer as it arrives: no join of megabytes in one step.
    this.bulkInto = length > COPY_AS_IT_COMES ? Buffer.allocUnsafe(length + 2) : null;
    return this.continueBulk(buf, next);
  }

  private continueBulk(buf: Buffer, from: number): number {
    const parts = this.bulkParts as Buffer[];
    const take = Math.min(buf.length - from, this.bulkNeeded);
    const into = this.bulkInto;
    if (take > 0) {
      if (into === null) parts.push(buf.subarray(from, from + take));
      else buf.copy(into, into.length - this.bulkNeeded, from, from + take);
    }
    this.bulkNeeded -= take;
    if (this.bulkNeeded > 0) return -1;
    this.bulkInto = null;
    const whole = into ?? (parts.length === 1 ? (parts[0] as Buffer) : Buffer.concat(parts, this.bulkLength + 2));
    if (whole[this.bulkLength] !== CR || whole[this.bulkLength + 1] !== LF) {
      throw new RespProtocolError('a bulk string is longer than its length says', 'protocol');
    }
    this.bulkParts = null;
    this.deliver(whole.subarray(0, this.bulkLength));
    return from + take;
  }

  private array(start: number, next: number, count: number): number {
    if (count > this.maxArrayLength) {
      throw new RespProtocolError(`an array of ${count} elements exceeds redis.max_array_length (${this.maxArrayLength})`, 'limit');
    }
    this.account(next - start);
    if (count === 0) {
      this.deliver([]);
      return next;
    }
    if (this.stack.length >= this.maxDepth) {
      throw new RespProtocolError(`arrays nested more than redis.max_depth (${this.maxDepth}) deep`, 'limit');
    }
    this.stack.push({ items: [], count });
    return next;
  }

  private textLine(buf: Buffer, start: number, type: number): number {
    const lf = buf.indexOf(LF, start + 1);
    if (lf === -1) {
      if (buf.length - start > this.maxLineBytes + 3) throw this.lineTooLong();
      return this.saveLine(buf, start);
    }
    if (lf - 1 <= start || buf[lf - 1] !== CR) throw new RespProtocolError('a status or error line is not ended by CRLF', 'protocol');
    if (lf - 1 - (start + 1) > this.maxLineBytes) throw this.lineTooLong();
    this.account(lf + 1 - start);
    this.deliver(type === PLUS ? buf.subarray(start + 1, lf - 1) : new RedisReplyError(buf.toString('utf8', start + 1, lf - 1)));
    return lf + 1;
  }

  private saveLine(buf: Buffer, start: number): number {
    this.lineParts = [buf.subarray(start)];
    this.lineLength = buf.length - start;
    return -1;
  }

  /** Completes a cut line with the start of the next chunk; returns where parsing resumes, or -1. */
  private continueLine(chunk: Buffer): number {
    const parts = this.lineParts as Buffer[];
    const numeric = (parts[0] as Buffer)[0] !== PLUS && (parts[0] as Buffer)[0] !== MINUS;
    const cap = numeric ? MAX_NUMBER_LINE : this.maxLineBytes + 3;
    const lf = chunk.indexOf(LF);
    const added = lf === -1 ? chunk.length : lf + 1;
    if (this.lineLength + added > cap) {
      if (numeric) throw new RespProtocolError('a length or integer field is not ended by CRLF', 'protocol');
      throw this.lineTooLong();
    }
    if (lf === -1) {
      parts.push(chunk);
      this.lineLength += chunk.length;
      return -1;
    }
    parts.push(chunk.subarray(0, lf + 1));
    const line = Buffer.concat(parts, this.lineLength + lf + 1);
    this.lineParts = null;
    // The line is complete, so this parses it in full (or opens a bulk string whose body follows).
    this.element(line, 0);
    return lf + 1;
  }

  private lineTooLong(): RespProtocolError {
    return new RespProtocolError(`a status or error line exceeds redis.max_line_bytes (${this.maxLineBytes})`, 'limit');
  }

  private account(bytes: number): void {
    this.replyBytes += bytes;
    if (this.replyBytes > this.maxReplyBytes) {
      throw new RespProtocolError(`a reply exceeds redis.max_reply_bytes (${this.maxReplyBytes})`, 'limit');
    }
  }

  /** Puts a complete value in its array, closing every array it completes, or hands it out. */
  private deliver(value: Reply): void {
    let current = value;
    for (;;) {
      const top = this.stack[this.stack.length - 1];
      if (top === undefined) {
        const bytes = this.replyBytes;
        this.replyBytes = 0;
        this.onReply(current, bytes);
        return;
      }
      top.items.push(current);
      if (top.items.length < top.count) return;
      this.stack.pop();
      current = top.items;
    }
  }
}

function fieldName(type: number): string {
  return type === COLON ? 'integer reply' : type === DOLLAR ? 'bulk string length' : 'array length';
}
