/**
 * Streaming parser of Redis RDB files and of the RDB a primary sends on SYNC / `REPLCONF
 * rdb-only`, for bytes keyheat does not trust. It reports every key with its type, its size (as
 * STRLEN / LLEN / SCARD / ZCARD / HLEN / XLEN would), its LFU counter (FREQ opcode), idle time and
 * expiry, without ever materialising values.
 *
 * Invariants:
 * - Bounded memory: a value's bytes are skipped as they arrive when only their length matters
 *   (raw and LZF strings: the LZF header's uncompressed length is the size, checked without
 *   inflating). Compact blobs (ziplist, listpack, intset, zipmap) are skipped too when their
 *   header carries the count, else walked as they arrive (count field saturated at 65535,
 *   zipmaps, field TTLs): no blob is held. A key name is handed on whole up to `keepKeyBytes`,
 *   a longer one as its beginning and the SHA-1 of all of it, never held whole (up to
 *   `maxKeyBytes`). AUX values are skipped unread unless a handler wants them. Between chunks
 *   at most one small item (an element header, a short key: < INLINE_LIMIT bytes) is carried over.
 * - Bounded work: what LZF data inflates to, when it must be materialised (names, blobs walked),
 *   counts against a budget per RDB (`inflatePerByte` x bytes received + `inflateBase`), and is
 *   inflated in spans as its bytes arrive: one push() does work in proportion to its bytes
 *   (at most about 88 times them, LZF's greatest ratio), whatever they hold. SELECTDB beyond
 *   `maxDb` fails ('limit').
 * - Strict: every length is checked against what contains it (a blob's header against its
 *   string, a walk against the header's count, LZF output against its declared length); an
 *   unknown version, opcode, type or encoding fails with RdbParseError naming the byte offset and
 *   what was found. The CRC-64 trailer is verified (unless the writer disabled it: all zeros).
 *   A truncated stream fails in end(); no key is reported before its value was read whole.
 * - Chunking does not matter: the same keys come out whatever the chunk boundaries.
 *
 * Keys given to onKey are views of the parser's buffers, valid during the call: copy to keep.
 *
 * One state machine in layers, each its own responsibility: rdb-cursor.ts (chunks, carry-over,
 * CRC, primitive reads), rdb-strings.ts (strings read, skipped or collected across chunks),
 * rdb-skipped.ts (what is walked past: streams, modules, functions, slot imports, key metadata),
 * rdb-values.ts (the value encodings), rdb-header.ts (the magic and version), and this file (the
 * file's structure: opcodes, aux fields, databases, keys and their expiry/FREQ/IDLE, the
 * checksum; the handlers).
 */
import { BlobError } from './blobs.js';
import { LzfError } from './lzf.js';
import { RdbParseError } from './rdb-error.js';
import { readHeader } from './rdb-header.js';
import { K_MODULE, OP_AUX, OP_EOF, OP_EXPIRETIME, OP_EXPIRETIME_MS, OP_FREQ, OP_FUNCTION2, OP_FUNCTION_PRE_GA, OP_IDLE, OP_KEY_META_OR_SLOT_IMPORT } from './rdb-format.js';
import { OP_MODULE_AUX, OP_RESIZEDB, OP_SELECTDB, OP_SLOT_INFO, OP_UPDATE, RDB_LIMITS, typesOf, type RdbFlavor, type RdbHandlers, type RdbKey, type RdbLimits, type TypeInfo } from './rdb-format.js';
import { C_AUX, C_NONE, FOR_FUNCTION, FOR_KEY, FOR_KEY_META, FOR_MODULE_AUX, INLINE_LIMIT, PHASE_NAMES } from './rdb-phases.js';
import { P_CHECKSUM, P_COLLECT, P_DONE, P_ELEMS, P_FEED, P_FINISH, P_LENS, P_MAGIC, P_META_CLASS, P_MODULE, P_SKIP, P_STREAM, P_TOP, P_VALUE } from './rdb-phases.js';
import type { ReadName } from './rdb-strings.js';
import { RdbValues } from './rdb-values.js';

export { RdbParseError } from './rdb-error.js';
export { MAX_RDB_VERSION, moduleNameOf, RDB_LIMITS, type RdbFlavor, type RdbHandlers, type RdbKey, type RdbKeyType, type RdbLimits } from './rdb-format.js';

export class RdbParser extends RdbValues {
  private readonly limits: RdbLimits;
  private version = 0;
  private writer: RdbFlavor = 'redis';
  private types: readonly (TypeInfo | undefined)[] = typesOf('redis', 0);
  private db = 0;
  // Pending per-key opcodes.
  private expiresAtMs: number | null = null;
  private freq: number | null = null;
  private idle: number | null = null;
  /** Stream offset where the current key's type byte is. */
  private keyStart = 0;
  private keySha1: string | null = null;
  private keyLength = 0;
  private auxName = '';

  constructor(
    private readonly handlers: RdbHandlers,
    limits: Partial<RdbLimits> = {},
  ) {
    const all = { ...RDB_LIMITS, ...limits };
    super(all);
    this.limits = all;
  }

  /** The RDB version from the header (0 before it arrived). */
  get rdbVersion(): number {
    return this.version;
  }

  /** Who wrote it, by its magic: "REDIS" (Redis, Valkey up to 8.x) or "VALKEY" (Valkey 9.0+). */
  get flavor(): RdbFlavor {
    return this.writer;
  }

  /** True once the EOF opcode and its checksum were read. */
  get done(): boolean {
    return this.phase === P_DONE;
  }

  protected stoppedIn(): string {
    return this.phase === P_TOP ? 'the next opcode (no EOF opcode seen)' : (PHASE_NAMES[this.phase] as string);
  }

  protected keepViews(): void {
    // A key read inline is a view of this chunk, which the caller may reuse once push() returns.
    if (this.phase !== P_TOP && this.key.length > 0 && this.key.buffer === this.buf.buffer) this.key = Buffer.from(this.key);
  }

  protected wrap(error: unknown): RdbParseError {
    if (error instanceof RdbParseError) return error;
    const at = this.base + this.mark;
    if (error instanceof BlobError || error instanceof LzfError) {
      const where = this.phase === P_TOP ? 'an AUX field or key name' : `the value of key ${this.keyName()}`;
      return new RdbParseError(`corrupt data in ${where}: ${error.message}`, 'corrupt', at);
    }
    return new RdbParseError(`parsing stopped by an error of a handler: ${String(error)}`, 'corrupt', at);
  }

  protected run(): void {
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
        case P_FEED:
          if (this.pos >= this.lim) return;
          this.feedStep();
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
        case P_LENS:
          this.slotRangeStep();
          break;
        case P_META_CLASS:
          this.metaClassStep();
          break;
      }
    }
  }

  /** The 9-byte header: who wrote the RDB and its version, which choose the table of types (rdb-header.ts). */
  private magic(): void {
    this.ensure(9);
    const header = readHeader(this.buf.toString('latin1', this.pos, this.pos + 9));
    if ('refused' in header) this.fail(header.refused, header.reason);
    this.version = header.version;
    this.writer = header.flavor;
    this.types = typesOf(header.flavor, header.version);
    this.pos += 9;
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
        if (db > this.limits.maxDb) this.fail(`a SELECTDB to database ${db}: keyheat reads databases 0 to ${this.limits.maxDb} (Redis allows at most the server's \`databases\`)`, 'limit');
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
      case OP_SLOT_INFO:
        // A cluster node's slot, its key count and expiry count: a resize hint, nothing to keep.
        this.skipLen('a SLOT_INFO slot');
        this.skipLen('a SLOT_INFO size');
        this.skipLen('a SLOT_INFO size');
        return;
      case OP_KEY_META_OR_SLOT_IMPORT:
        if (this.writer === 'valkey') this.slotImport();
        else if (this.version >= 13) this.keyMeta();
        else this.refuseType(op);
        return;
      case OP_UPDATE:
        if (this.writer !== 'valkey') this.refuseType(op);
        return this.fail('opcode 242 (a replication command inlined by a forkless save) is not read: it is sent only to replicas that ask for it, which keyheat never does', 'unsupported');
      case OP_EOF:
        this.freezeCrc();
        this.phase = this.version >= 5 ? P_CHECKSUM : P_DONE;
        return;
      default:
        this.keyEntry(op);
    }
  }

  private aux(): void {
    const name = this.readString(INLINE_LIMIT, 'an AUX field name', C_NONE) as Buffer;
    if (this.handlers.onAux === undefined) {
      // Nobody reads it: skipped as it arrives, compressed or not, without being inflated.
      this.skipString(P_TOP);
      return;
    }
    this.auxName = name.toString('latin1');
    // The value may be long (Lua scripts in 4.0-6.x replication RDBs): collected up to maxAuxBytes.
    const value = this.readString(this.limits.maxAuxBytes, `AUX field ${JSON.stringify(this.auxName)}`, C_AUX);
    if (value !== null) this.handlers.onAux(this.auxName, value);
  }

  private keyEntry(type: number): void {
    const info = this.types[type];
    if (info === undefined) this.refuseType(type);
    this.info = info;
    this.keyStart = this.base + this.mark;
    const name = this.readName(this.limits.maxKeyBytes, this.limits.keepKeyBytes, this.gotName);
    if (name !== null) this.gotKey(name);
  }

  private readonly gotName = (name: ReadName): void => this.gotKey(name);

  private gotKey(name: ReadName): void {
    this.key = name.key;
    this.keySha1 = name.sha1;
    this.keyLength = name.length;
    this.valueFor = FOR_KEY;
    this.size = 0;
    this.volatile = 0;
    this.earliestField = null;
    this.encoding = this.info.encoding;
    this.moduleName = undefined;
    this.phase = P_VALUE;
  }

  /** A type or opcode byte this RDB's table does not have: a newer format than keyheat reads. */
  private refuseType(type: number): never {
    if (type === 6) this.fail('a module value in the pre-GA format (type 6, Redis 4.0 release candidates) cannot be skipped without its module', 'unsupported');
    const writer = this.writer === 'valkey' ? `Valkey RDB ${this.version}` : `RDB version ${this.version}`;
    return this.fail(`value type or opcode ${type} (0x${type.toString(16).padStart(2, '0')}) is not one keyheat reads in ${writer}`, 'unsupported');
  }

  private finish(): void {
    const valueFor = this.valueFor;
    this.phase = P_TOP;
    if (valueFor === FOR_KEY_META) {
      // The key's expiry, FREQ and IDLE stay pending: its type byte comes next.
      this.metaClassDone();
      return;
    }
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
      keySha1: this.keySha1,
      keyLength: this.keyLength,
      type: info.type,
      size: isModule ? null : this.size,
      unit: isModule ? null : info.type === 'string' ? 'bytes' : info.type === 'stream' ? 'entries' : 'elements',
      freq: this.freq,
      idleSeconds: this.idle,
      expiresAtMs: this.expiresAtMs,
      volatileFields: info.type === 'hash' ? this.volatile : null,
      fieldExpiresAtMs: info.type === 'hash' ? this.earliestField : null,
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
    if (!zero) this.checkCrc();
    this.pos += 8;
    this.phase = P_DONE;
  }

  /** An AUX value collected whole for onAux (decompressed, if it was compressed). */
  protected collected(data: Buffer, target: number): void {
    if (target !== C_AUX) this.fail(`collected bytes for the unknown target ${target}`);
    this.phase = P_TOP;
    this.handlers.onAux?.(this.auxName, data);
  }
}
