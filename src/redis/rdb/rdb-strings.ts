/**
 * Strings across chunks, for the RDB parser: a string is read whole when it is in the buffer,
 * waited for when short (its step rolls back and resumes with the next chunk), and otherwise
 * skipped as it arrives (only its length matters: values), fed as it arrives to a consumer that
 * keeps what it needs (a long key name: its beginning and its hash; a blob to walk: its count),
 * or, for AUX values a handler asked for, collected up to a cap. LZF strings are sized from
 * their header and checked without being inflated when skipped; what is materialised is
 * inflated under the RDB's decompression budget, in spans (lzf.ts LzfStream), never whole.
 */
import { createHash } from 'node:crypto';
import { utf8Cut } from '../../domain/kept-name.js';
import { LzfError, LzfLengthWalker, LzfStream, lzfCheckLength, lzfDecompress } from './lzf.js';
import { BlobError } from './blobs.js';
import { NEED, RdbCursor } from './rdb-cursor.js';
import { ENC_INT16, ENC_INT32, ENC_INT8, ENC_LZF, digits } from './rdb-format.js';
import { C_LZF, C_NONE, INLINE_LIMIT, LZF_WAIT_LIMIT, P_COLLECT, P_FEED, P_MAGIC, P_SKIP, P_TOP } from './rdb-phases.js';

/** Takes a string's bytes (inflated, when it was compressed) as they arrive. */
export interface StringConsumer {
  feed(data: Uint8Array, start: number, end: number): void;
}

/** A key name as the parser hands it on: whole, or its beginning and the hash of all of it. */
export interface ReadName {
  readonly key: Buffer;
  readonly sha1: string | null;
  readonly length: number;
}

/** A long name's beginning (one byte more than kept, to cut at a character) and the hash of all of it. */
class NameKeeper implements StringConsumer {
  private readonly head: Buffer;
  private filled = 0;
  private readonly hash = createHash('sha1');

  constructor(private readonly keep: number) {
    this.head = Buffer.allocUnsafe(keep + 1);
  }

  feed(data: Uint8Array, start: number, end: number): void {
    if (this.filled < this.head.length) {
      const take = Math.min(this.head.length - this.filled, end - start);
      this.head.set(data.subarray(start, start + take), this.filled);
      this.filled += take;
    }
    this.hash.update(data.subarray(start, end));
  }

  name(length: number): ReadName {
    return { key: Buffer.from(this.head.subarray(0, utf8Cut(this.head.subarray(0, this.filled), this.keep))), sha1: this.hash.digest('hex'), length };
  }
}

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
  // FEED: a string passed to a consumer as it arrives.
  private feedLeft = 0;
  private feedInto: StringConsumer | null = null;
  private feedLzf: LzfStream | null = null;
  private feedFrom = 0;
  private feedDone: (() => void) | null = null;
  private feedWhat = '';
  /** Bytes LZF data was inflated to so far (materialised: names, walked blobs, AUX values read). */
  private inflated = 0;

  constructor(
    /** The decompression budget: inflatePerByte x bytes received + inflateBase. */
    private readonly inflatePerByte: number,
    private readonly inflateBase: number,
  ) {
    super();
  }

  /** The key being read, for messages. */
  protected abstract keyName(): string;
  /** Collected bytes for `target` (C_*), decompressed. */
  protected abstract collected(data: Buffer, target: number): void;

  /**
   * Counts `bytes` of LZF output about to be materialised against the decompression budget;
   * fails with 'limit' (at the current step) when they would pass it. Call once the step can no
   * longer roll back for want of bytes.
   */
  protected inflate(bytes: number, what: string): void {
    const received = this.base + this.pos;
    const allowed = this.inflatePerByte * received + this.inflateBase;
    if (this.inflated + bytes > allowed) {
      this.fail(
        `${what} inflates to ${bytes} bytes, which would take this RDB past its decompression budget (${this.inflated} bytes inflated from ${received} received; ` +
          `at most ${this.inflatePerByte} x the bytes received + ${this.inflateBase}): a decompression bomb, or an RDB of keys far more compressible than real data`,
        'limit',
      );
    }
    this.inflated += bytes;
  }

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

  /**
   * Passes `n` bytes (LZF data inflating to `lzfUlen` when >= 0, which the caller counted against
   * the budget) to `into` now and as they arrive; then calls `done`, which sets the next phase.
   */
  protected startFeed(n: number, into: StringConsumer, lzfUlen: number, what: string, done: () => void): void {
    this.feedLeft = n;
    this.feedWhat = what;
    this.feedInto = into;
    this.feedLzf = lzfUlen >= 0 ? new LzfStream(lzfUlen, (data, start, end) => into.feed(data, start, end)) : null;
    this.feedFrom = this.base + this.mark;
    this.feedDone = done;
    this.phase = P_FEED;
  }

  protected feedStep(): void {
    const take = Math.min(this.feedLeft, this.lim - this.pos);
    try {
      if (this.feedLzf !== null) this.feedLzf.feed(this.buf, this.pos, this.pos + take);
      else (this.feedInto as StringConsumer).feed(this.buf, this.pos, this.pos + take);
      this.pos += take;
      this.feedLeft -= take;
      if (this.feedLeft > 0) return;
      this.feedLzf?.end();
      const done = this.feedDone as () => void;
      this.feedInto = null;
      this.feedLzf = null;
      this.feedDone = null;
      done();
    } catch (error) {
      if (!(error instanceof LzfError || error instanceof BlobError)) throw error;
      this.fail(`corrupt data in ${this.feedWhat}: ${error.message}`, 'corrupt', this.feedFrom - this.base);
    }
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
    if ((target & C_LZF) !== 0) data = lzfDecompress(data, 0, data.length, this.collectUlen);
    this.collected(data, target & ~C_LZF);
  }

  /**
   * Reads a whole string (AUX fields) of at most `cap` bytes: returns it when it is here (a view
   * when raw), waits for it when short, else starts collecting it for `target` (C_*) and
   * returns null.
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
          this.inflate(ulen, what);
          this.pos += clen;
          return lzfDecompress(this.buf, at, at + clen, ulen);
        }
        if (clen <= INLINE_LIMIT || target === C_NONE) throw NEED;
        this.inflate(ulen, what);
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

  /**
   * Reads a key name of at most `cap` bytes: one of up to `keep` bytes whole (a view when here
   * raw), a longer one as its first `keep` bytes and the SHA-1 of all of it, never held whole.
   * Returns it, or null when it goes on arriving: `got` receives it then.
   */
  protected readName(cap: number, keep: number, got: (name: ReadName) => void): ReadName | null {
    const length = this.rawLen();
    const avail = this.lim - this.pos;
    if (length === -1) {
      if (this.special !== ENC_LZF) {
        if (this.special > ENC_INT32) this.fail(`unknown string encoding 0x${(0xc0 | this.special).toString(16)}`);
        const text = Buffer.from(String(this.intAt(this.special === ENC_INT8 ? 1 : this.special === ENC_INT16 ? 2 : 4)), 'latin1');
        return { key: text, sha1: null, length: text.length };
      }
      const clen = this.len('an LZF compressed length');
      const ulen = this.len('an LZF uncompressed length');
      if (ulen > cap) this.fail(`a key of ${ulen} bytes exceeds the limit of ${cap} bytes`, 'limit');
      if (clen === 0 || clen > ulen + Math.ceil(ulen / 32)) this.fail(`a key has an LZF compressed length of ${clen} for ${ulen} bytes`);
      const at = this.pos;
      if (clen > this.lim - at && (ulen <= keep || clen <= LZF_WAIT_LIMIT)) throw NEED;
      this.inflate(ulen, 'a key name');
      if (ulen <= keep) {
        this.pos += clen;
        return { key: lzfDecompress(this.buf, at, at + clen, ulen), sha1: null, length: ulen };
      }
      const keeper = new NameKeeper(keep);
      this.startFeed(clen, keeper, ulen, 'a key name', () => got(keeper.name(ulen)));
      return null;
    }
    if (length > cap) this.fail(`a key of ${length} bytes exceeds the limit of ${cap} bytes`, 'limit');
    if (length <= keep) {
      if (length > avail) throw NEED;
      const at = this.pos;
      this.pos += length;
      return { key: this.buf.subarray(at, at + length), sha1: null, length };
    }
    const keeper = new NameKeeper(keep);
    if (length <= avail) {
      keeper.feed(this.buf, this.pos, this.pos + length);
      this.pos += length;
      return keeper.name(length);
    }
    this.startFeed(length, keeper, -1, 'a key name', () => got(keeper.name(length)));
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
