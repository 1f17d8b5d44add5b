/**
 * Incremental RESP2 reply parser. Bulk strings come back as Buffers that share memory with the
 * socket chunk (zero copy); callers that keep one beyond the current batch must copy it.
 */
export class RedisReplyError extends Error {
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

const CR = 13;
const INCOMPLETE = Symbol('incomplete');

/** An array whose elements are still arriving. */
interface OpenArray {
  readonly items: Reply[];
  filled: number;
}

/**
 * A resumable parser: completed elements of a partly received array are kept on a stack, and
 * only the bytes of the one incomplete element are carried over to the next chunk. Work and
 * copying are linear in the reply size however many chunks it spans.
 */
export class RespParser {
  private buffer: Buffer = Buffer.alloc(0);
  private pos = 0;
  private readonly open: OpenArray[] = [];

  constructor(private readonly onReply: (reply: Reply) => void) {}

  /** Feeds one socket chunk; calls onReply for every complete reply in order. */
  push(chunk: Buffer): void {
    this.buffer = this.buffer.length === this.pos ? chunk : Buffer.concat([this.buffer.subarray(this.pos), chunk]);
    this.pos = 0;
    while (this.pos < this.buffer.length) {
      const start = this.pos;
      const element = this.element();
      if (element === INCOMPLETE) {
        this.pos = start;
        return;
      }
      if (element instanceof Opened) {
        if (element.count === 0) this.deliver([]);
        else this.open.push({ items: new Array<Reply>(element.count), filled: 0 });
        continue;
      }
      this.deliver(element);
    }
  }

  reset(): void {
    this.buffer = Buffer.alloc(0);
    this.pos = 0;
    this.open.length = 0;
  }

  /** Puts a complete value in its array, closing every array it completes, or hands it out. */
  private deliver(value: Reply): void {
    let current = value;
    for (;;) {
      const top = this.open[this.open.length - 1];
      if (top === undefined) {
        this.onReply(current);
        return;
      }
      top.items[top.filled] = current;
      top.filled += 1;
      if (top.filled < top.items.length) return;
      this.open.pop();
      current = top.items;
    }
  }

  /** One element at pos: a scalar value, the header of a non-null array, or INCOMPLETE. */
  private element(): Reply | Opened | typeof INCOMPLETE {
    const buf = this.buffer;
    const type = buf[this.pos];
    this.pos += 1;
    switch (type) {
      case 0x2b /* + */: {
        const line = this.readLine();
        return line === INCOMPLETE ? INCOMPLETE : buf.subarray(line, this.pos - 2);
      }
      case 0x2d /* - */: {
        const line = this.readLine();
        return line === INCOMPLETE ? INCOMPLETE : new RedisReplyError(buf.toString('utf8', line, this.pos - 2));
      }
      case 0x3a /* : */:
        return this.readInteger();
      case 0x24 /* $ */: {
        const length = this.readInteger();
        if (length === INCOMPLETE) return INCOMPLETE;
        if (length < 0) return null;
        const end = this.pos + length;
        if (end + 2 > buf.length) return INCOMPLETE;
        this.pos = end + 2;
        return buf.subarray(end - length, end);
      }
      case 0x2a /* * */: {
        const count = this.readInteger();
        if (count === INCOMPLETE) return INCOMPLETE;
        return count < 0 ? null : new Opened(count);
      }
      default:
        throw new Error(`RESP protocol error: unexpected type byte 0x${(type ?? 0).toString(16)}`);
    }
  }

  /** Returns the start of the line and moves past its CRLF. */
  private readLine(): number | typeof INCOMPLETE {
    const start = this.pos;
    const cr = this.buffer.indexOf(CR, start);
    if (cr === -1 || cr + 1 >= this.buffer.length) return INCOMPLETE;
    this.pos = cr + 2;
    return start;
  }

  private readInteger(): number | typeof INCOMPLETE {
    const buf = this.buffer;
    let i = this.pos;
    let negative = false;
    if (buf[i] === 0x2d) {
      negative = true;
      i += 1;
    }
    let value = 0;
    for (; i < buf.length; i++) {
      const c = buf[i] as number;
      if (c === CR) {
        if (i + 1 >= buf.length) return INCOMPLETE;
        this.pos = i + 2;
        return negative ? -value : value;
      }
      value = value * 10 + (c - 48);
    }
    return INCOMPLETE;
  }
}

/** The header of an array with `count` elements to come. */
class Opened {
  constructor(readonly count: number) {}
}

/** Encodes one command as a RESP array of bulk strings. */
export function encodeCommand(args: readonly (string | Buffer | number)[]): Buffer {
  const parts: Buffer[] = [Buffer.from(`*${args.length}\r\n`)];
  for (const arg of args) {
    const bytes = Buffer.isBuffer(arg) ? arg : Buffer.from(String(arg));
    parts.push(Buffer.from(`$${bytes.length}\r\n`), bytes, CRLF);
  }
  return Buffer.concat(parts);
}
const CRLF = Buffer.from('\r\n');

export function replyToString(reply: Reply): string {
  if (Buffer.isBuffer(reply)) return reply.toString('utf8');
  if (reply === null) return '';
  if (typeof reply === 'number') return String(reply);
  if (reply instanceof RedisReplyError) throw reply;
  throw new TypeError('expected a string reply, got an array');
}

/**
 * Encodes the same command over many keys (`OBJECT FREQ k1`, `OBJECT FREQ k2`...) into one
 * buffer: one allocation per batch instead of several per command.
 */
export function encodeKeyCommands(prefix: readonly string[], keys: readonly Buffer[]): Buffer {
  const head = Buffer.from(`*${prefix.length + 1}\r\n${prefix.map((p) => `$${Buffer.byteLength(p)}\r\n${p}\r\n`).join('')}`);
  let size = 0;
  for (const key of keys) size += head.length + 1 + decimalLength(key.length) + 2 + key.length + 2;
  const out = Buffer.allocUnsafe(size);
  let pos = 0;
  for (const key of keys) {
    pos += head.copy(out, pos);
    out[pos++] = 0x24; // $
    pos += out.write(String(key.length), pos, 'latin1');
    out[pos++] = 0x0d;
    out[pos++] = 0x0a;
    pos += key.copy(out, pos);
    out[pos++] = 0x0d;
    out[pos++] = 0x0a;
  }
  return out;
}

function decimalLength(n: number): number {
  return n < 10 ? 1 : n < 100 ? 2 : n < 1000 ? 3 : String(n).length;
}
