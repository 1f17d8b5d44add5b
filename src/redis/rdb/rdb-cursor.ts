/**
 * The byte side of the RDB parser (rdb-parser.ts holds the format's state machine): chunks in,
 * the carry-over of a step that ran out of bytes, the CRC-64 of every byte up to the EOF opcode,
 * and the primitive reads (a byte, the length encodings, little-endian integers). A read past the
 * available bytes throws NEED; push() then rolls the step back to `mark` and keeps its bytes for
 * the next chunk, so a step is parsed whole or not at all, whatever the chunk boundaries.
 */
import { BlobError } from './blobs.js';
import { Crc64 } from './crc64.js';
import { LzfError } from './lzf.js';
import { RdbParseError, type RdbErrorReason } from './rdb-error.js';

/** Thrown by reads past the available bytes; the current step is rolled back and retried with more. */
export const NEED = { need: true };

export abstract class RdbCursor {
  /** Current buffer: the carried-over bytes followed by the newest chunk. */
  protected buf: Buffer = Buffer.alloc(0);
  protected pos = 0;
  protected lim = 0;
  /** Start of the step being parsed, where a step that runs out of bytes resumes. */
  protected mark = 0;
  /** Stream offset of buf[0]. */
  protected base = 0;
  private carry: Buffer | null = null;
  private readonly crc = new Crc64();
  /** buf index from which bytes are not yet in the CRC; -1 once the EOF opcode froze it. */
  private crcFrom = 0;
  private failed: RdbParseError | null = null;
  /** Special-encoding code of the last length read, -1 for a plain length. */
  protected special = -1;

  /** The whole RDB, checksum included, was read. */
  abstract get done(): boolean;
  /** Parses steps until the bytes run out (NEED) or the RDB is done. */
  protected abstract run(): void;
  /** A breach found while parsing, as the RdbParseError to report. */
  protected abstract wrap(error: unknown): RdbParseError;
  /** What the parser was reading when the input ended, for a human. */
  protected abstract stoppedIn(): string;
  /** Copies what the parser keeps of the chunk, which the caller may reuse once push() returns. */
  protected abstract keepViews(): void;

  /** Bytes of the RDB received so far (progress; the RDB's size once done). */
  get bytes(): number {
    return this.base + this.pos + (this.carry?.length ?? 0);
  }

  /**
   * Feeds the next bytes. Returns how many bytes of `chunk` belong to the RDB: all of them until
   * the EOF trailer, fewer in the chunk where it ends (what follows, e.g. the replication stream
   * after SYNC or an AOF tail, is the caller's), 0 after. Throws RdbParseError on a breach; the
   * parser is then unusable.
   */
  push(chunk: Buffer): number {
    if (this.failed !== null) throw this.failed;
    if (this.done) return 0;
    const carried = this.carry === null ? 0 : this.carry.length;
    this.buf = carried === 0 ? chunk : Buffer.concat([this.carry as Buffer, chunk], carried + chunk.length);
    this.carry = null;
    this.pos = 0;
    this.lim = this.buf.length;
    if (this.crcFrom !== -1) this.crcFrom = carried;
    try {
      this.run();
    } catch (error) {
      if (error !== NEED) {
        this.failed = this.wrap(error);
        // A handler's own error goes back to the caller as it was; the parser stays stopped.
        throw error instanceof BlobError || error instanceof LzfError ? this.failed : error;
      }
      this.pos = this.mark;
    }
    if (this.crcFrom !== -1) this.crc.update(this.buf, this.crcFrom, this.lim);
    if (this.done) {
      const used = this.pos - carried;
      this.base += this.pos;
      this.buf = Buffer.alloc(0);
      this.pos = 0;
      this.lim = 0;
      return Math.max(used, 0);
    }
    this.keepViews();
    if (this.pos < this.lim) {
      // Only a step shorter than INLINE_LIMIT (plus headers) can be waiting here.
      this.carry = Buffer.from(this.buf.subarray(this.pos, this.lim));
    }
    this.base += this.pos;
    this.buf = Buffer.alloc(0);
    this.pos = 0;
    this.lim = 0;
    return chunk.length;
  }

  /** The input ended: throws unless the whole RDB, checksum included, was read. */
  end(): void {
    if (this.failed !== null) throw this.failed;
    if (this.done) return;
    const received = this.base + (this.carry?.length ?? 0);
    this.failed = new RdbParseError(`the RDB ended while reading ${this.stoppedIn()}: ${received} bytes received`, 'truncated', received);
    throw this.failed;
  }

  /** The EOF opcode was read: the checksum covers the bytes up to here. */
  protected freezeCrc(): void {
    if (this.crcFrom === -1) return;
    this.crc.update(this.buf, this.crcFrom, this.pos);
    this.crcFrom = -1;
  }

  /** The 8 bytes at pos must be the CRC-64 of the RDB up to its EOF opcode. */
  protected checkCrc(): void {
    if (!this.crc.matches(this.buf, this.pos)) {
      this.fail(`checksum mismatch: the RDB says ${this.buf.subarray(this.pos, this.pos + 8).toString('hex')} (little-endian), its bytes give ${this.crc.hex()}`, 'checksum');
    }
  }

  protected fail(message: string, reason: RdbErrorReason = 'corrupt', at = this.mark): never {
    throw new RdbParseError(message, reason, this.base + at);
  }

  // ---- primitive reads (throw NEED when the bytes are not there yet) ----

  protected ensure(n: number): void {
    if (this.lim - this.pos < n) throw NEED;
  }

  protected u8(): number {
    if (this.pos >= this.lim) throw NEED;
    return this.buf[this.pos++] as number;
  }

  /** A length field; special encodings (11xxxxxx) set `special` and return -1. */
  protected rawLen(): number {
    const b = this.u8();
    const top = b >> 6;
    this.special = -1;
    if (top === 0) return b;
    if (top === 1) return ((b & 0x3f) << 8) | this.u8();
    if (top === 3) {
      this.special = b & 0x3f;
      return -1;
    }
    const buf = this.buf;
    if (b === 0x80) {
      this.ensure(4);
      const v = buf.readUInt32BE(this.pos);
      this.pos += 4;
      return v;
    }
    if (b === 0x81) {
      this.ensure(8);
      const hi = buf.readUInt32BE(this.pos);
      const lo = buf.readUInt32BE(this.pos + 4);
      if (hi >= 0x200000) this.fail(`a 64-bit length of 0x${hi.toString(16)}${lo.toString(16).padStart(8, '0')} is beyond any real RDB`);
      this.pos += 8;
      return hi * 0x100000000 + lo;
    }
    return this.fail(`invalid length encoding byte 0x${b.toString(16)}`);
  }

  /** A plain length (no special encoding allowed). */
  protected len(what: string): number {
    const v = this.rawLen();
    if (v === -1) this.fail(`${what} uses the string special encoding 0x${(0xc0 | this.special).toString(16)}`);
    return v;
  }

  /**
   * A length field whose value is not needed and may use all 64 bits (stream IDs, entries_read
   * -1 stored as 2^64-1, module integers): only its encoding is checked.
   */
  protected skipLen(what: string): void {
    const b = this.u8();
    if (b < 0x80) {
      if (b >= 0x40) this.u8();
      return;
    }
    if (b === 0x80 || b === 0x81) {
      const n = b === 0x80 ? 4 : 8;
      this.ensure(n);
      this.pos += n;
      return;
    }
    this.fail(`${what} has the invalid length encoding byte 0x${b.toString(16)}`);
  }

  /** A 64-bit length as a BigInt (module ids use all 64 bits). */
  protected lenBig(what: string): bigint {
    const b = this.u8();
    if (b === 0x81) {
      this.ensure(8);
      const v = this.buf.readBigUInt64BE(this.pos);
      this.pos += 8;
      return v;
    }
    this.pos -= 1;
    return BigInt(this.len(what));
  }

  protected intAt(width: number): number {
    this.ensure(width);
    const buf = this.buf;
    const v = width === 1 ? buf.readInt8(this.pos) : width === 2 ? buf.readInt16LE(this.pos) : buf.readInt32LE(this.pos);
    this.pos += width;
    return v;
  }
}
