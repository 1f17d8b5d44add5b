/**
 * Streaming parser of Redis RDB files and of the RDB a primary sends on SYNC / `REPLCONF
 * rdb-only`, for bytes keyheat does not trust. It reports every key with its type, its size (as
 * STRLEN / LLEN / SCARD / ZCARD / HLEN / XLEN would), its LFU counter (FREQ opcode), idle time and
 * expiry, without ever materialising values.
 *
 * Invariants:
 * - Bounded memory: a value's bytes are skipped as they arrive when only their length matters
 *   (raw and LZF strings: the LZF header's uncompressed length is the size). Compact blobs
 *   (ziplist, listpack, intset) are skipped too when their header carries the count; only blobs
 *   whose count needs a walk (count field saturated at 65535, zipmaps, LZF-compressed blobs) are
 *   held, up to `maxBlobBytes`. Keys are held up to `maxKeyBytes`. Between chunks at most one
 *   small item (an element header, a short key: < INLINE_LIMIT bytes) is carried over.
 * - Strict: every length is checked against what contains it (a blob's header against its
 *   string, a walk against the header's count, LZF output against its declared length); an
 *   unknown version, opcode, type or encoding fails with RdbParseError naming the byte offset and
 *   what was found. The CRC-64 trailer is verified (unless the writer disabled it: all zeros).
 *   A truncated stream fails in end(); no key is reported before its value was read whole.
 * - Chunking does not matter: the same keys come out whatever the chunk boundaries.
 *
 * Keys given to onKey are views of the parser's buffers, valid during the call: copy to keep.
 */
import { BlobError, blobCount, headerCount, headerSize, type BlobKind } from './blobs.js';
import { Crc64 } from './crc64.js';
import { LzfError, lzfDecompress } from './lzf.js';
import { RdbParseError, type RdbErrorReason } from './rdb-error.js';
import {
  ENC_INT16,
  ENC_INT32,
  ENC_INT8,
  ENC_LZF,
  K_BLOB,
  K_ELEMS,
  K_MODULE,
  K_QUICKLIST,
  K_QUICKLIST2,
  K_STREAM,
  K_STRING,
  K_ZSET1,
  K_ZSET2,
  MAX_RDB_VERSION,
  OP_AUX,
  OP_EOF,
  OP_EXPIRETIME,
  OP_EXPIRETIME_MS,
  OP_FREQ,
  OP_FUNCTION2,
  OP_FUNCTION_PRE_GA,
  OP_IDLE,
  OP_MODULE_AUX,
  OP_RESIZEDB,
  OP_SELECTDB,
  RDB_LIMITS,
  TYPES,
  digits,
  moduleNameOf,
  type RdbHandlers,
  type RdbKey,
  type RdbLimits,
  type TypeInfo,
} from './rdb-format.js';

/** Items up to this size wait for their last byte in the carry-over instead of being collected. */
const INLINE_LIMIT = 64 * 1024;

export { RdbParseError } from './rdb-error.js';
export { MAX_RDB_VERSION, moduleNameOf, RDB_LIMITS, type RdbHandlers, type RdbKey, type RdbKeyType, type RdbLimits } from './rdb-format.js';

// Parser phases.
const P_MAGIC = 0;
const P_TOP = 1;
const P_VALUE = 2;
const P_ELEMS = 3;
const P_STREAM = 4;
const P_MODULE = 5;
const P_SKIP = 6;
const P_COLLECT = 7;
const P_FINISH = 8;
const P_CHECKSUM = 9;
const P_DONE = 10;
const PHASE_NAMES = ['the header', 'an opcode', 'a value', 'a collection', 'a stream', 'a module value', 'a string', 'a string', 'a value', 'the checksum', 'nothing'];

/** Thrown by reads past the available bytes; the current step is rolled back and retried with more. */
const NEED = { need: true };

// What collected bytes are for (C_LZF: still compressed, collectUlen is their length).
const C_NONE = 0;
const C_KEY = 1;
const C_AUX = 2;
const C_BLOB = 3;
const C_LZF = 8;
const C_BLOB_LZF = C_BLOB | C_LZF;

/** What a finished value is reported as. */
const FOR_KEY = 0;
const FOR_FUNCTION = 1;
const FOR_MODULE_AUX = 2;

export class RdbParser {
  private readonly maxKeyBytes: number;
  private readonly maxBlobBytes: number;
  private phase = P_MAGIC;
  /** Current buffer: the carried-over bytes followed by the newest chunk. */
  private buf: Buffer = Buffer.alloc(0);
  private pos = 0;
  private lim = 0;
  /** Start of the step being parsed, where a step that runs out of bytes resumes. */
  private mark = 0;
  /** Stream offset of buf[0]. */
  private base = 0;
  private carry: Buffer | null = null;
  private readonly crc = new Crc64();
  /** buf index from which bytes are not yet in the CRC; -1 once the EOF opcode froze it. */
  private crcFrom = 0;
  private failed: RdbParseError | null = null;

  private version = 0;
  private db = 0;
  // Pending per-key opcodes.
  private expiresAtMs: number | null = null;
  private freq: number | null = null;
  private idle: number | null = null;
  // The value being read.
  private info: TypeInfo = TYPES[0] as TypeInfo;
  private key: Buffer = Buffer.alloc(0);
  private size = 0;
  private encoding = '';
  private moduleName: string | undefined = undefined;
  private valueFor = FOR_KEY;
  /** Stream offset where the current key's type byte is. */
  private keyStart = 0;
  private left = 0;
  private sub = 0;
  // SKIP / COLLECT.
  private skipLeft = 0;
  private skipReturn = P_TOP;
  private skipCheckEnd = false;
  private lastByte = -1;
  private collectParts: Buffer[] = [];
  private collectLength = 0;
  private collectLeft = 0;
  /** What the collected bytes are (C_*), and for LZF data its uncompressed length. */
  private collectFor = 0;
  private collectUlen = 0;
  private auxName = '';
  private blobKind: BlobKind = 'listpack';
  private blobPairs = false;
  private blobWhole = false;
  // Stream walk.
  private stStage = 0;
  private stLeft = 0;
  private stGroups = 0;
  private stConsumers = 0;
  /** Special-encoding code of the last length read, -1 for a plain length. */
  private special = -1;

  constructor(
    private readonly handlers: RdbHandlers,
    limits: Partial<RdbLimits> = {},
  ) {
    this.maxKeyBytes = limits.maxKeyBytes ?? RDB_LIMITS.maxKeyBytes;
    this.maxBlobBytes = limits.maxBlobBytes ?? RDB_LIMITS.maxBlobBytes;
  }

  /** The RDB version from the header (0 before it arrived). */
  get rdbVersion(): number {
    return this.version;
  }

  /** Bytes of the RDB received so far (progress; the RDB's size once done). */
  get bytes(): number {
    return this.base + this.pos + (this.carry?.length ?? 0);
  }

  /** True once the EOF opcode and its checksum were read. */
  get done(): boolean {
    return this.phase === P_DONE;
  }

  /**
   * Feeds the next bytes. Returns how many bytes of `chunk` belong to the RDB: all of them until
   * the EOF trailer, fewer in the chunk where it ends (what follows, e.g. the replication stream
   * after SYNC or an AOF tail, is the caller's), 0 after. Throws RdbParseError on a breach; the
   * parser is then unusable.
   */
  push(chunk: Buffer): number {
    if (this.failed !== null) throw this.failed;
    if (this.phase === P_DONE) return 0;
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
    if (this.phase === P_DONE) {
      const used = this.pos - carried;
      this.base += this.pos;
      this.buf = Buffer.alloc(0);
      this.pos = 0;
      this.lim = 0;
      return Math.max(used, 0);
    }
    // A key read inline is a view of this chunk, which the caller may reuse once push() returns.
    if (this.phase !== P_TOP && this.key.length > 0 && this.key.buffer === this.buf.buffer) this.key = Buffer.from(this.key);
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
    if (this.phase === P_DONE) return;
    const received = this.base + (this.carry?.length ?? 0);
    const what = this.phase === P_TOP ? 'the next opcode (no EOF opcode seen)' : PHASE_NAMES[this.phase];
    this.failed = new RdbParseError(`the RDB ended while reading ${what}: ${received} bytes received`, 'truncated', received);
    throw this.failed;
  }

  private wrap(error: unknown): RdbParseError {
    if (error instanceof RdbParseError) return error;
    const at = this.base + this.mark;
    if (error instanceof BlobError || error instanceof LzfError) {
      const where = this.phase === P_TOP ? 'an AUX field or key name' : `the value of key ${this.keyName()}`;
      return new RdbParseError(`corrupt data in ${where}: ${error.message}`, 'corrupt', at);
    }
    return new RdbParseError(`parsing stopped by an error of a handler: ${String(error)}`, 'corrupt', at);
  }

  private fail(message: string, reason: RdbErrorReason = 'corrupt', at = this.mark): never {
    throw new RdbParseError(message, reason, this.base + at);
  }

  private keyName(): string {
    const shown = this.key.subarray(0, 64).toString('latin1').replace(/[^\x20-\x7e]/g, '?');
    return JSON.stringify(this.key.length > 64 ? `${shown}...` : shown);
  }

  private run(): void {
    while (this.phase !== P_DONE) {
      this.mark = this.pos;
      switch (this.phase) {
        case P_TOP:
          if (this.pos >= this.lim) return;
          this.top();
          break;
        case P_VALUE:
          this.value();
          break;
        case P_ELEMS:
          if (this.left === 0) this.phase = P_FINISH;
          else this.element();
          break;
        case P_STREAM:
          this.stream();
          break;
        case P_MODULE:
          this.moduleOpcode();
          break;
        case P_SKIP:
          if (this.pos >= this.lim) return;
          this.skip();
          break;
        case P_COLLECT:
          if (this.pos >= this.lim) return;
          this.collect();
          break;
        case P_FINISH:
          this.finish();
          break;
        case P_CHECKSUM:
          this.checksum();
          break;
        case P_MAGIC:
          this.magic();
          break;
      }
    }
  }

  // ---- primitive reads (throw NEED when the bytes are not there yet) ----

  private ensure(n: number): void {
    if (this.lim - this.pos < n) throw NEED;
  }

  private u8(): number {
    if (this.pos >= this.lim) throw NEED;
    return this.buf[this.pos++] as number;
  }

  /** A length field; special encodings (11xxxxxx) set `special` and return -1. */
  private rawLen(): number {
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
  private len(what: string): number {
    const v = this.rawLen();
    if (v === -1) this.fail(`${what} uses the string special encoding 0x${(0xc0 | this.special).toString(16)}`);
    return v;
  }

  /**
   * A length field whose value is not needed and may use all 64 bits (stream IDs, entries_read
   * -1 stored as 2^64-1, module integers): only its encoding is checked.
   */
  private skipLen(what: string): void {
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
  private lenBig(what: string): bigint {
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

  /**
   * Reads a string header and skips the string's bytes, inline or by entering SKIP (returning to
   * `back`). Returns the string's length (STRLEN).
   */
  private skipString(back: number): number {
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
          this.skipBytes(clen, back, false);
          return ulen;
        }
        default:
          return this.fail(`unknown string encoding 0x${(0xc0 | this.special).toString(16)}`);
      }
    }
    this.skipBytes(length, back, false);
    return length;
  }

  private intAt(width: number): number {
    this.ensure(width);
    const buf = this.buf;
    const v = width === 1 ? buf.readInt8(this.pos) : width === 2 ? buf.readInt16LE(this.pos) : buf.readInt32LE(this.pos);
    this.pos += width;
    return v;
  }

  /** Consumes `n` bytes now or as they arrive; then the parser continues in phase `back`. */
  private skipBytes(n: number, back: number, checkEnd: boolean): void {
    const avail = this.lim - this.pos;
    if (n <= avail) {
      this.pos += n;
      if (checkEnd && this.buf[this.pos - 1] !== 0xff) this.fail(`a compact value of key ${this.keyName()} does not end with 0xff`);
      this.phase = back;
      return;
    }
    this.pos = this.lim;
    this.lastByte = avail > 0 ? (this.buf[this.lim - 1] as number) : this.lastByte;
    this.skipLeft = n - avail;
    this.skipReturn = back;
    this.skipCheckEnd = checkEnd;
    this.phase = P_SKIP;
  }

  private skip(): void {
    const take = Math.min(this.skipLeft, this.lim - this.pos);
    this.pos += take;
    this.skipLeft -= take;
    if (take > 0) this.lastByte = this.buf[this.pos - 1] as number;
    if (this.skipLeft > 0) return;
    if (this.skipCheckEnd && this.lastByte !== 0xff) this.fail(`a compact value of key ${this.keyName()} does not end with 0xff`, 'corrupt', this.pos);
    this.phase = this.skipReturn;
  }

  /** Starts gathering `n` bytes (n <= a cap the caller checked) as they arrive; they are joined once, then handed to collected(). */
  private startCollect(n: number, target: number, ulen = 0): void {
    this.collectParts = [];
    this.collectLength = n;
    this.collectLeft = n;
    this.collectFor = target;
    this.collectUlen = ulen;
    this.phase = P_COLLECT;
  }

  private collect(): void {
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
    switch (target & ~C_LZF) {
      case C_KEY:
        this.gotKey(data);
        return;
      case C_AUX:
        this.phase = P_TOP;
        this.handlers.onAux?.(this.auxName, data);
        return;
      case C_BLOB:
        if (target === C_BLOB_LZF) this.blobLzf(data, 0, data.length, this.collectUlen);
        else this.account(blobCount(this.blobKind, data, 0, data.length));
        this.phase = this.blobWhole ? P_FINISH : P_ELEMS;
        return;
    }
  }

  /**
   * Reads a whole string (keys, aux fields) of at most `cap` bytes: returns it when it is here
   * (a view when raw), waits for it when short, else starts collecting it for `target` (C_*)
   * and returns null.
   */
  private readString(cap: number, what: string, target: number): Buffer | null {
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

  private magic(): void {
    this.ensure(9);
    const buf = this.buf;
    const at = this.pos;
    if (buf.toString('latin1', at, at + 5) !== 'REDIS') this.fail(`not an RDB: it starts with ${JSON.stringify(buf.toString('latin1', at, at + 5))}, not "REDIS"`);
    const text = buf.toString('latin1', at + 5, at + 9);
    if (!/^[0-9]{4}$/.test(text)) this.fail(`invalid RDB version field ${JSON.stringify(text)}`);
    const version = Number(text);
    if (version < 1 || version > MAX_RDB_VERSION) {
      this.fail(`RDB version ${version} is not supported (versions 1 to ${MAX_RDB_VERSION}, Redis up to 7.2, are)`, 'unsupported');
    }
    this.version = version;
    this.pos = at + 9;
    this.phase = P_TOP;
  }

  private top(): void {
    const op = this.u8();
    switch (op) {
      case OP_EXPIRETIME_MS: {
        this.ensure(8);
        const ms = this.buf.readInt32LE(this.pos + 4) * 0x100000000 + this.buf.readUInt32LE(this.pos);
        this.pos += 8;
        this.expiresAtMs = ms;
        return;
      }
      case OP_EXPIRETIME: {
        this.ensure(4);
        this.expiresAtMs = this.buf.readInt32LE(this.pos) * 1000;
        this.pos += 4;
        return;
      }
      case OP_FREQ:
        this.freq = this.u8();
        return;
      case OP_IDLE:
        this.idle = this.len('an IDLE time');
        return;
      case OP_SELECTDB: {
        const db = this.len('a SELECTDB number');
        this.db = db;
        this.handlers.onDb?.(db);
        return;
      }
      case OP_RESIZEDB: {
        const keys = this.len('a RESIZEDB size');
        const expires = this.len('a RESIZEDB size');
        this.handlers.onDb?.(this.db, { keys, expires });
        return;
      }
      case OP_AUX:
        this.aux();
        return;
      case OP_MODULE_AUX:
        this.moduleAux();
        return;
      case OP_FUNCTION2:
        this.startFunctionStrings(1);
        return;
      case OP_FUNCTION_PRE_GA:
        this.functionPreGa();
        return;
      case OP_EOF:
        if (this.crcFrom !== -1) {
          this.crc.update(this.buf, this.crcFrom, this.pos);
          this.crcFrom = -1;
        }
        this.phase = this.version >= 5 ? P_CHECKSUM : P_DONE;
        return;
      default:
        this.keyEntry(op);
    }
  }

  private aux(): void {
    const name = this.readString(INLINE_LIMIT, 'an AUX field name', C_NONE) as Buffer;
    this.auxName = name.toString('latin1');
    // The value may be long (Lua scripts in 4.0-6.x replication RDBs): collected up to maxBlobBytes.
    const value = this.readString(this.maxBlobBytes, `AUX field ${JSON.stringify(this.auxName)}`, C_AUX);
    if (value !== null) this.handlers.onAux?.(this.auxName, value);
  }

  private keyEntry(type: number): void {
    const info = TYPES[type];
    if (info === undefined) this.refuseType(type);
    this.info = info;
    this.keyStart = this.base + this.mark;
    const key = this.readString(this.maxKeyBytes, 'a key', C_KEY);
    if (key !== null) this.gotKey(key);
  }

  private gotKey(key: Buffer): void {
    this.key = key;
    this.valueFor = FOR_KEY;
    this.size = 0;
    this.encoding = this.info.encoding;
    this.moduleName = undefined;
    this.phase = P_VALUE;
  }

  private refuseType(type: number): never {
    if (type === 6) this.fail('a module value in the pre-GA format (type 6, Redis 4.0 release candidates) cannot be skipped without its module', 'unsupported');
    if (type >= 22 && type <= 25) this.fail(`value type ${type} (hash with field expiry, Redis 7.4+, RDB 12) is not supported`, 'unsupported');
    return this.fail(`unknown opcode or value type 0x${type.toString(16).padStart(2, '0')} (${type})`);
  }

  private value(): void {
    const info = this.info;
    switch (info.kind) {
      case K_STRING: {
        const length = this.rawLen();
        this.pos = this.mark;
        this.encoding = length !== -1 ? 'raw' : this.special === ENC_LZF ? 'lzf' : 'int';
        this.size = this.skipString(P_FINISH);
        return;
      }
      case K_ELEMS:
        this.left = this.len('a collection length') * info.per;
        this.size = this.left / info.per;
        this.sub = 0;
        this.phase = P_ELEMS;
        return;
      case K_ZSET1:
      case K_ZSET2:
      case K_QUICKLIST:
      case K_QUICKLIST2: {
        const n = this.len('a collection length');
        this.left = n;
        this.size = info.kind === K_ZSET1 || info.kind === K_ZSET2 ? n : 0;
        this.sub = 0;
        this.phase = P_ELEMS;
        return;
      }
      case K_BLOB:
        this.blob(info.blob as BlobKind, info.pairs === true, true);
        return;
      case K_STREAM:
        this.stStage = 0;
        this.stLeft = this.len('a stream listpack count');
        this.phase = P_STREAM;
        return;
      case K_MODULE:
        this.startModule(FOR_KEY);
        return;
    }
  }

  /** One element step of a collection (or one part of a zset / quicklist2 element). */
  private element(): void {
    const kind = this.valueFor === FOR_KEY ? this.info.kind : K_ELEMS;
    switch (kind) {
      // Every step reads first and updates counters last: a read that runs out of bytes rolls the step back.
      case K_ELEMS:
        this.skipString(P_ELEMS);
        this.left -= 1;
        return;
      case K_ZSET1:
        if (this.sub === 0) {
          this.skipString(P_ELEMS);
          this.sub = 1;
          return;
        }
        {
          // Old score encoding: a length byte (253 NaN, 254 +inf, 255 -inf) and that many ASCII bytes.
          const n = this.u8();
          if (n < 253) {
            this.ensure(n);
            this.pos += n;
          }
        }
        this.sub = 0;
        this.left -= 1;
        return;
      case K_ZSET2:
        if (this.sub === 0) {
          this.skipString(P_ELEMS);
          this.sub = 1;
          return;
        }
        this.ensure(8);
        this.pos += 8;
        this.sub = 0;
        this.left -= 1;
        return;
      case K_QUICKLIST:
        this.blob('ziplist', false, false);
        this.left -= 1;
        return;
      case K_QUICKLIST2: {
        const container = this.len('a quicklist node container');
        if (container === 1) {
          // A plain node: one element stored as a plain string.
          this.skipString(P_ELEMS);
          this.left -= 1;
          this.size += 1;
          return;
        }
        if (container !== 2) this.fail(`a quicklist node has the unknown container type ${container}`);
        this.blob('listpack', false, false);
        this.left -= 1;
        return;
      }
    }
  }

  /**
   * A compact blob: its count goes to `size` (set for a whole value, added for a quicklist node).
   * Held only when its count needs a walk, or it is LZF-compressed and not here whole.
   */
  private blob(kind: BlobKind, pairs: boolean, whole: boolean): void {
    const back = whole ? P_FINISH : P_ELEMS;
    const length = this.rawLen();
    if (length === -1) {
      if (this.special !== ENC_LZF) this.fail(`a ${kind} stored as an integer (encoding 0x${(0xc0 | this.special).toString(16)})`);
      const clen = this.len('an LZF compressed length');
      const ulen = this.len('an LZF uncompressed length');
      if (clen > this.maxBlobBytes) this.fail(`a compressed ${kind} of ${clen} bytes exceeds limits.maxBlobBytes (${this.maxBlobBytes})`, 'limit');
      if (clen === 0 || ulen === 0) this.fail(`an LZF ${kind} with compressed length ${clen} and length ${ulen}`);
      this.blobKind = kind;
      this.blobPairs = pairs;
      this.blobWhole = whole;
      const at = this.pos;
      if (clen <= this.lim - at) {
        this.blobLzf(this.buf, at, at + clen, ulen);
        this.pos += clen;
        this.phase = back;
        return;
      }
      if (clen <= INLINE_LIMIT) throw NEED;
      this.startCollect(clen, C_BLOB_LZF, ulen);
      return;
    }
    const avail = this.lim - this.pos;
    if (length <= avail) {
      this.blobKind = kind;
      this.blobPairs = pairs;
      this.blobWhole = whole;
      this.account(blobCount(kind, this.buf, this.pos, this.pos + length));
      this.pos += length;
      this.phase = back;
      return;
    }
    const hs = headerSize(kind);
    if (avail < hs || length <= INLINE_LIMIT) throw NEED;
    this.blobKind = kind;
    this.blobPairs = pairs;
    this.blobWhole = whole;
    const count = kind === 'zipmap' ? -1 : headerCount(kind, this.buf, this.pos, length);
    if (count !== -1) {
      this.account(count);
      this.skipBytes(length, back, kind !== 'intset');
      return;
    }
    if (length > this.maxBlobBytes) this.fail(`a ${kind} of ${length} bytes whose count needs a walk exceeds limits.maxBlobBytes (${this.maxBlobBytes})`, 'limit');
    this.startCollect(length, C_BLOB);
  }

  /**
   * An LZF-compressed blob: only its header is decompressed when that has the count; the whole
   * blob (up to maxBlobBytes) when a walk is needed.
   */
  private blobLzf(src: Uint8Array, start: number, end: number, ulen: number): void {
    const kind = this.blobKind;
    let count = -1;
    if (kind !== 'zipmap') {
      const header = lzfDecompress(src, start, end, ulen, headerSize(kind));
      count = headerCount(kind, header, 0, ulen);
    }
    if (count === -1) {
      if (ulen > this.maxBlobBytes) this.fail(`a ${kind} of ${ulen} bytes whose count needs a walk exceeds limits.maxBlobBytes (${this.maxBlobBytes})`, 'limit');
      const full = lzfDecompress(src, start, end, ulen);
      count = blobCount(kind, full, 0, full.length);
    }
    this.account(count);
  }

  private account(count: number): void {
    if (this.blobPairs && count % 2 !== 0) this.fail(`a ${this.blobKind} of pairs holds an odd number (${count}) of entries`);
    const n = this.blobPairs ? count / 2 : count;
    this.size = this.blobWhole ? n : this.size + n;
  }

  /**
   * Streams (types 15, 19, 21), walked in stages so a huge consumer group PEL never has to be
   * held: listpacks (node key + listpack, skipped), metadata, groups, their PELs and consumers.
   */
  private stream(): void {
    const v = this.info.streamVersion as number;
    switch (this.stStage) {
      case 0: // listpack nodes: a 16-byte master ID key, then the listpack
        if (this.stLeft === 0) {
          this.stStage = 2;
          return;
        }
        {
          const keyLength = this.rawLen();
          if (keyLength !== 16) this.fail(`a stream node key is ${keyLength === -1 ? 'encoded' : `${keyLength} bytes`}, not a 16-byte ID`);
          this.ensure(16);
          this.pos += 16;
        }
        this.stStage = 1;
        return;
      case 1: {
        const length = this.skipString(P_STREAM);
        if (length === 0) this.fail('a stream node has an empty listpack');
        this.stLeft -= 1;
        this.stStage = 0;
        return;
      }
      case 2: {
        const entries = this.len('a stream length');
        this.skipLen('a stream ID');
        this.skipLen('a stream ID');
        if (v >= 2) {
          for (let i = 0; i < 5; i++) this.skipLen('a stream ID or counter');
        }
        const groups = this.len('a stream group count');
        this.size = entries;
        this.stGroups = groups;
        this.stStage = 3;
        return;
      }
      case 3: // group header
        if (this.stGroups === 0) {
          this.phase = P_FINISH;
          return;
        }
        this.skipSmall('a consumer group name');
        this.skipLen('a group ID');
        this.skipLen('a group ID');
        if (v >= 2) this.skipLen('a group entries-read counter');
        this.stLeft = this.len('a group PEL size');
        this.stGroups -= 1;
        this.stStage = 4;
        return;
      case 4: // group PEL: 16-byte raw ID, 8-byte delivery time, delivery count
        if (this.stLeft === 0) {
          this.stConsumers = this.len('a consumer count');
          this.stStage = 5;
          return;
        }
        this.ensure(24);
        this.pos += 24;
        this.skipLen('a delivery count');
        this.stLeft -= 1;
        return;
      case 5: // consumer header
        if (this.stConsumers === 0) {
          this.stStage = 3;
          return;
        }
        this.skipSmall('a consumer name');
        this.ensure(v >= 3 ? 16 : 8);
        this.pos += v >= 3 ? 16 : 8;
        this.stLeft = this.len('a consumer PEL size');
        this.stConsumers -= 1;
        this.stStage = 6;
        return;
      case 6: // consumer PEL: 16-byte raw IDs
        if (this.stLeft === 0) {
          this.stStage = 5;
          return;
        }
        {
          const n = Math.min(this.stLeft, Math.floor((this.lim - this.pos) / 16));
          if (n === 0) throw NEED;
          this.pos += n * 16;
          this.stLeft -= n;
        }
        return;
    }
  }

  private startModule(valueFor: number): void {
    const id = this.lenBig('a module id');
    this.moduleName = moduleNameOf(id);
    this.valueFor = valueFor;
    this.size = 0;
    this.encoding = 'module';
    this.phase = P_MODULE;
  }

  /** One typed opcode of a module value (RDB_MODULE_OPCODE_*), skipped; EOF (0) ends the value. */
  private moduleOpcode(): void {
    const op = this.len('a module opcode');
    switch (op) {
      case 0:
        this.phase = P_FINISH;
        return;
      case 1:
      case 2:
        this.skipLen('a module integer');
        return;
      case 3:
        this.ensure(4);
        this.pos += 4;
        return;
      case 4:
        this.ensure(8);
        this.pos += 8;
        return;
      case 5:
        this.skipString(P_MODULE);
        return;
      default:
        this.fail(`unknown module opcode ${op} in module ${this.moduleName ?? '?'}`);
    }
  }

  private moduleAux(): void {
    const id = this.lenBig('a module id');
    const whenOpcode = this.len('a module aux when-opcode');
    if (whenOpcode !== 2) this.fail(`a MODULE_AUX block has the when-opcode ${whenOpcode}, not 2 (UINT)`);
    this.skipLen('a module aux when');
    this.key = Buffer.alloc(0);
    this.moduleName = moduleNameOf(id);
    this.valueFor = FOR_MODULE_AUX;
    this.phase = P_MODULE;
  }

  private startFunctionStrings(count: number): void {
    this.key = Buffer.alloc(0);
    this.valueFor = FOR_FUNCTION;
    this.left = count;
    this.phase = P_ELEMS;
  }

  /** Redis 7.0 release candidates (FUNCTION_PRE_GA): name, engine, has-description, [description], code. */
  private functionPreGa(): void {
    this.skipSmall('a function name');
    this.skipSmall('a function engine name');
    const hasDescription = this.len('a function description flag');
    if (hasDescription > 1) this.fail(`a function description flag of ${hasDescription}`);
    this.startFunctionStrings(1 + hasDescription);
  }

  /** A short string skipped inline (it must be entirely in the buffer or the step waits). */
  private skipSmall(what: string): void {
    const before = this.phase;
    const length = this.skipString(before);
    if (this.phase !== before) {
      if (length > INLINE_LIMIT) this.fail(`${what} of ${length} bytes`, 'limit');
      this.phase = before;
      throw NEED;
    }
  }

  private finish(): void {
    const valueFor = this.valueFor;
    this.phase = P_TOP;
    if (valueFor === FOR_FUNCTION) {
      this.handlers.onFunction?.();
      return;
    }
    if (valueFor === FOR_MODULE_AUX) {
      this.handlers.onModuleAux?.(this.moduleName ?? '');
      return;
    }
    const info = this.info;
    const isModule = info.kind === K_MODULE;
    const key: RdbKey = {
      db: this.db,
      key: this.key,
      type: info.type,
      size: isModule ? null : this.size,
      unit: isModule ? null : info.type === 'string' ? 'bytes' : info.type === 'stream' ? 'entries' : 'elements',
      freq: this.freq,
      idleSeconds: this.idle,
      expiresAtMs: this.expiresAtMs,
      rdbBytes: this.base + this.pos - this.keyStart,
      encoding: this.encoding,
      moduleName: this.moduleName,
    };
    this.freq = null;
    this.idle = null;
    this.expiresAtMs = null;
    this.handlers.onKey(key);
  }

  private checksum(): void {
    this.ensure(8);
    const buf = this.buf;
    let zero = true;
    for (let i = 0; i < 8; i++) if (buf[this.pos + i] !== 0) zero = false;
    if (!zero && !this.crc.matches(buf, this.pos)) {
      this.fail(`checksum mismatch: the RDB says ${buf.subarray(this.pos, this.pos + 8).toString('hex')} (little-endian), its bytes give ${this.crc.hex()}`, 'checksum');
    }
    this.pos += 8;
    this.phase = P_DONE;
  }
}
