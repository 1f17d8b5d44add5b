/**
 * Strings across chunks, for the RDB parser: a string is read whole when it is in the buffer,
 * waited for when short (its step rolls back and resumes with the next chunk), and otherwise
 * either skipped as it arrives (only its length matters: values) or collected up to a cap the
 * caller checked (key names, aux fields, compact blobs whose count needs a walk), then handed to
 * collected(). LZF strings are sized from their header; collected ones are decompressed here.
 */
import { LzfError, LzfLengthWalker, lzfCheckLength, lzfDecompress } from './lzf.js';
import { NEED, RdbCursor } from './rdb-cursor.js';
import { ENC_INT16, ENC_INT32, ENC_INT8, ENC_LZF, digits } from './rdb-format.js';
import { C_BLOB_LZF, C_LZF, C_NONE, INLINE_LIMIT, P_COLLECT, P_MAGIC, P_SKIP, P_TOP } from './rdb-phases.js';

export abstract class RdbStrings extends RdbCursor {
  protected phase = P_MAGIC;
  // SKIP / COLLECT.
  private skipLeft = 0;
  private skipReturn = P_TOP;
  private skipCheckEnd = false;
  /** LZF data being skipped: walked for its decompressed length as it passes (null: raw bytes). */
  private skipLzf: LzfLengthWalker | null = null;
  /** Stream offset of the step that started the skip (the string's header). */
  private skipFrom = 0;
  private lastByte = -1;
  private collectParts: Buffer[] = [];
  private collectLength = 0;
  private collectLeft = 0;
  /** What the collected bytes are (C_*), and for LZF data its uncompressed length. */
  private collectFor = 0;
  private collectUlen = 0;

  /** The key being read, for messages. */
  protected abstract keyName(): string;
  /** Collected bytes for `target` (C_*; decompressed unless C_BLOB_LZF, whose length once decompressed is `ulen`). */
  protected abstract collected(data: Buffer, target: number, ulen: number): void;

  /**
   * Reads a string header and skips the string's bytes, inline or by entering SKIP (returning to
   * `back`). Returns the string's length (STRLEN).
   */
  protected skipString(back: number): number {
    const length = this.rawLen();
    if (length === -1) {
      switch (this.special) {
        case ENC_INT8:
        case ENC_INT16:
        case ENC_INT32: {
          const size = digits(this.intAt(this.special === ENC_INT8 ? 1 : this.special === ENC_INT16 ? 2 : 4));
          this.phase = back;
          return size;
        }
        case ENC_LZF: {
          const clen = this.len('an LZF compressed length');
          const ulen = this.len('an LZF uncompressed length');
          if (clen === 0 || ulen === 0) this.fail(`an LZF string with compressed length ${clen} and length ${ulen}`);
          // Its size is the header's length only if the data really decompresses to it (Redis checks the same).
          this.skipBytes(clen, back, false, ulen);
          return ulen;
        }
        default:
          return this.fail(`unknown string encoding 0x${(0xc0 | this.special).toString(16)}`);
      }
    }
    this.skipBytes(length, back, false);
    return length;
  }

  /**
   * Consumes `n` bytes now or as they arrive; then the parser continues in phase `back`. With
   * `lzfUlen` >= 0, the bytes are LZF data that must decompress to that length: checked in one
   * pass when they are here whole, else walked as they pass.
   */
  protected skipBytes(n: number, back: number, checkEnd: boolean, lzfUlen = -1): void {
    const avail = this.lim - this.pos;
    if (n <= avail) {
      if (lzfUlen >= 0) lzfCheckLength(this.buf, this.pos, this.pos + n, lzfUlen);
      this.pos += n;
      if (checkEnd && this.buf[this.pos - 1] !== 0xff) this.fail(`a compact value of key ${this.keyName()} does not end with 0xff`);
      this.phase = back;
      return;
    }
    const lzf = lzfUlen >= 0 ? new LzfLengthWalker(lzfUlen) : null;
    lzf?.feed(this.buf, this.pos, this.lim);
    this.pos = this.lim;
    this.lastByte = avail > 0 ? (this.buf[this.lim - 1] as number) : this.lastByte;
    this.skipLeft = n - avail;
    this.skipReturn = back;
    this.skipCheckEnd = checkEnd;
    this.skipLzf = lzf;
    this.skipFrom = this.base + this.mark;
    this.phase = P_SKIP;
  }

  protected skip(): void {
    const take = Math.min(this.skipLeft, this.lim - this.pos);
    this.skipLzf?.feed(this.buf, this.pos, this.pos + take);
    this.pos += take;
    this.skipLeft -= take;
    if (take > 0) this.lastByte = this.buf[this.pos - 1] as number;
    if (this.skipLeft > 0) return;
    if (this.skipCheckEnd && this.lastByte !== 0xff) this.fail(`a compact value of key ${this.keyName()} does not end with 0xff`, 'corrupt', this.pos);
    const lzf = this.skipLzf;
    this.skipLzf = null;
    if (lzf !== null) {
      try {
        lzf.end();
      } catch (error) {
        if (!(error instanceof LzfError)) throw error;
        this.fail(`corrupt data in the value of key ${this.keyName()}: ${error.message}`, 'corrupt', this.skipFrom - this.base);
      }
    }
    this.phase = this.skipReturn;
  }

  /** Starts gathering `n` bytes (n <= a cap the caller checked) as they arrive; they are joined once, then handed to collected(). */
  protected startCollect(n: number, target: number, ulen = 0): void {
    this.collectParts = [];
    this.collectLength = n;
    this.collectLeft = n;
    this.collectFor = target;
    this.collectUlen = ulen;
    this.phase = P_COLLECT;
  }

  protected collect(): void {
    const take = Math.min(this.collectLeft, this.lim - this.pos);
    // Copied: the chunk is the caller's and may be reused once push() returns.
    this.collectParts.push(Buffer.from(this.buf.subarray(this.pos, this.pos + take)));
    this.pos += take;
    this.collectLeft -= take;
    if (this.collectLeft > 0) return;
    let data = this.collectParts.length === 1 ? (this.collectParts[0] as Buffer) : Buffer.concat(this.collectParts, this.collectLength);
    this.collectParts = [];
    const target = this.collectFor;
    if ((target & C_LZF) !== 0 && target !== C_BLOB_LZF) data = lzfDecompress(data, 0, data.length, this.collectUlen);
    this.collected(data, target, this.collectUlen);
  }

  /**
   * Reads a whole string (keys, aux fields) of at most `cap` bytes: returns it when it is here
   * (a view when raw), waits for it when short, else starts collecting it for `target` (C_*)
   * and returns null.
   */
  protected readString(cap: number, what: string, target: number): Buffer | null {
    const length = this.rawLen();
    const avail = this.lim - this.pos;
    if (length === -1) {
      if (this.special === ENC_LZF) {
        const clen = this.len('an LZF compressed length');
        const ulen = this.len('an LZF uncompressed length');
        if (ulen > cap) this.fail(`${what} of ${ulen} bytes exceeds the limit of ${cap} bytes`, 'limit');
        // LZF's worst case is a control byte per 32 literal bytes.
        if (clen === 0 || clen > ulen + Math.ceil(ulen / 32)) this.fail(`${what} has an LZF compressed length of ${clen} for ${ulen} bytes`);
        const at = this.pos;
        if (clen <= this.lim - at) {
          this.pos += clen;
          return lzfDecompress(this.buf, at, at + clen, ulen);
        }
        if (clen <= INLINE_LIMIT || target === C_NONE) throw NEED;
        this.startCollect(clen, target | C_LZF, ulen);
        return null;
      }
      if (this.special > ENC_INT32) this.fail(`unknown string encoding 0x${(0xc0 | this.special).toString(16)}`);
      const value = this.intAt(this.special === ENC_INT8 ? 1 : this.special === ENC_INT16 ? 2 : 4);
      return Buffer.from(String(value), 'latin1');
    }
    if (length > cap) this.fail(`${what} of ${length} bytes exceeds the limit of ${cap} bytes`, 'limit');
    if (length <= avail) {
      const at = this.pos;
      this.pos += length;
      return this.buf.subarray(at, at + length);
    }
    if (length <= INLINE_LIMIT || target === C_NONE) throw NEED;
    this.startCollect(length, target);
    return null;
  }

  // ---- top level ----

  /** A short string skipped inline (it must be entirely in the buffer or the step waits). */
  protected skipSmall(what: string): void {
    const before = this.phase;
    const length = this.skipString(before);
    if (this.phase !== before) {
      if (length > INLINE_LIMIT) this.fail(`${what} of ${length} bytes`, 'limit');
      this.phase = before;
      throw NEED;
    }
  }
}
