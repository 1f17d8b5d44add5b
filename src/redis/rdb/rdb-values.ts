/**
 * The value encodings of an RDB, for the parser (rdb-parser.ts reads the file's structure and
 * the keys): strings, lists (linked, ziplist, quicklist v1/v2, listpack), sets (intset,
 * listpack), hashes (zipmap, ziplist, listpack; with field TTLs: Redis's hashtable-ex and
 * listpack-ex, Valkey's HASH_2), Valkey's path hashes, zsets (ziplist, listpack, skiplist);
 * streams, modules and functions are walked past by rdb-skipped.ts. Each value's size is counted as STRLEN / LLEN / SCARD / ZCARD / HLEN / XLEN
 * would, from headers where they carry the count, else by walking the compact blob.
 */
import { BlobWalker, blobCount, headerCount, headerSize, listpackTriplets, MAX_FIELD_EXPIRY_MS, type BlobKind, type TripletCount } from './blobs.js';
import {
  ENC_LZF,
  K_BLOB,
  K_HASH2,
  K_HASH_TTL,
  K_PATH_HASH,
  K_ELEMS,
  K_MODULE,
  K_QUICKLIST,
  K_QUICKLIST2,
  K_STREAM,
  K_STRING,
  K_ZSET1,
  K_ZSET2,
  type RdbLimits,
} from './rdb-format.js';
import { FOR_KEY, INLINE_LIMIT, LZF_WAIT_LIMIT, P_ELEMS, P_FINISH, P_STREAM } from './rdb-phases.js';
import { NEED } from './rdb-cursor.js';
import { lzfCheckLength, lzfDecompress } from './lzf.js';
import { RdbSkipped } from './rdb-skipped.js';

/** Compressed bytes enough to inflate any blob's header (each control byte yields at least one byte). */
const LZF_HEADER_INPUT = 64;

export abstract class RdbValues extends RdbSkipped {
  protected sub = 0;
  protected blobKind: BlobKind = 'listpack';
  protected blobPairs = false;
  protected blobWhole = false;
  /** The blob holds field/value/TTL triplets: walked whole for the TTLs. */
  protected blobTriplets = false;
  // Hash field TTLs of the value being read (hashes with field expiration).
  protected volatile = 0;
  protected earliestField: number | null = null;
  /** Redis type 24: field TTLs are relative to this minimum expiry (ms). */
  protected minExpire = 0;
  /** A path hash: fields left in the current path. */
  protected pathFields = 0;

  constructor(limits: RdbLimits) {
    super(limits.inflatePerByte, limits.inflateBase);
  }

  protected keyName(): string {
    const shown = this.key.subarray(0, 64).toString('latin1').replace(/[^\x20-\x7e]/g, '?');
    return JSON.stringify(this.key.length > 64 ? `${shown}...` : shown);
  }

  protected value(): void {
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
        if (info.minExpire === true) this.skipMinExpire();
        this.blob(info.blob as BlobKind, info.pairs === true, true, info.triplets === true);
        return;
      case K_HASH_TTL:
        // Redis 7.4: [min expiry, 8 bytes] count, then per field its TTL, the field, the value.
        this.minExpire = info.minExpire === true ? this.readMinExpire() : 0;
        this.hashFields();
        return;
      case K_HASH2:
        // Valkey 9.0: count, then per field the field, the value, its expiry (8 bytes).
        this.hashFields();
        return;
      case K_PATH_HASH: {
        // Valkey 9.2: count of paths, then per path the path, a count of fields, the field/value pairs.
        const paths = this.len('a path count');
        this.size = paths;
        this.left = paths;
        this.sub = 0;
        this.phase = P_ELEMS;
        return;
      }
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

  /** A hash whose fields come one by one after their count, which HLEN is. */
  private hashFields(): void {
    const fields = this.len('a hash field count');
    this.size = fields;
    this.left = fields;
    this.sub = 0;
    this.phase = P_ELEMS;
  }

  /** An 8-byte minimum field expiry, little-endian ms: at most 2^48 - 1, or 2^48 for none (EB_EXPIRE_TIME_INVALID). */
  private readMinExpire(): number {
    this.ensure(8);
    const value = this.buf.readUInt32LE(this.pos) + this.buf.readUInt32LE(this.pos + 4) * 0x100000000;
    this.pos += 8;
    if (value > MAX_FIELD_EXPIRY_MS + 1) this.fail(`a hash's minimum field expiry of ${value} ms is beyond 2^48`);
    return value;
  }

  /** Type 25's minimum expiry: the loader reads and ignores it, and so does keyheat (the listpack has every TTL). */
  private skipMinExpire(): void {
    this.readMinExpire();
  }

  /** A field's expiry, ms since the epoch (null: none), counted into the value's field TTLs. */
  private fieldTtl(expiresAt: number | null): void {
    if (expiresAt === null) return;
    if (expiresAt > MAX_FIELD_EXPIRY_MS) this.fail(`a hash field expires at ${expiresAt} ms, beyond 2^48`);
    this.volatile += 1;
    if (this.earliestField === null || expiresAt < this.earliestField) this.earliestField = expiresAt;
  }

  /** One element step of a collection (or one part of a zset / quicklist2 element). */
  protected element(): void {
    const kind = this.valueFor === FOR_KEY ? this.info.kind : K_ELEMS;
    switch (kind) {
      case K_HASH_TTL:
        if (this.sub === 0) {
          const ttl = this.len('a hash field TTL');
          // Relative to the minimum expiry plus one (type 24), or absolute (22); 0 is none either way.
          this.fieldTtl(ttl === 0 ? null : this.info.relativeTtl === true ? ttl + this.minExpire - 1 : ttl);
          this.sub = 1;
          return;
        }
        this.skipString(P_ELEMS);
        if (this.sub === 2) {
          this.sub = 0;
          this.left -= 1;
        } else this.sub = 2;
        return;
      case K_HASH2:
        if (this.sub < 2) {
          this.skipString(P_ELEMS);
          this.sub += 1;
          return;
        }
        {
          this.ensure(8);
          const lo = this.buf.readUInt32LE(this.pos);
          const hi = this.buf.readInt32LE(this.pos + 4);
          this.pos += 8;
          const expiry = hi * 0x100000000 + lo;
          if (expiry < -1) this.fail(`a hash field has the expiry ${expiry}`);
          this.fieldTtl(expiry === -1 ? null : expiry);
        }
        this.sub = 0;
        this.left -= 1;
        return;
      case K_PATH_HASH:
        if (this.sub === 0) {
          this.skipString(P_ELEMS);
          this.sub = 1;
          return;
        }
        if (this.sub === 1) {
          const fields = this.len('a path field count');
          if (fields === 0) this.fail('a path with no fields');
          this.pathFields = fields * 2;
          this.sub = 2;
          return;
        }
        this.skipString(P_ELEMS);
        this.pathFields -= 1;
        if (this.pathFields === 0) {
          this.sub = 0;
          this.left -= 1;
        }
        return;
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
   * A blob here whole is walked in place; one whose header has the count is skipped as it
   * arrives; any other is walked as it arrives (blobs.ts BlobWalker), never held. Compressed,
   * only its header is inflated when that has the count (the rest is checked as it passes);
   * a walk inflates it under the decompression budget, in spans.
   */
  protected blob(kind: BlobKind, pairs: boolean, whole: boolean, triplets = false): void {
    const back = whole ? P_FINISH : P_ELEMS;
    const length = this.rawLen();
    if (length === -1) {
      if (this.special !== ENC_LZF) this.fail(`a ${kind} stored as an integer (encoding 0x${(0xc0 | this.special).toString(16)})`);
      const clen = this.len('an LZF compressed length');
      const ulen = this.len('an LZF uncompressed length');
      if (clen === 0 || ulen === 0) this.fail(`an LZF ${kind} with compressed length ${clen} and length ${ulen}`);
      const at = this.pos;
      const avail = this.lim - at;
      if (clen <= avail && ulen <= INLINE_LIMIT) {
        this.setBlob(kind, pairs, whole, triplets);
        this.blobLzf(this.buf, at, at + clen, ulen);
        this.pos += clen;
        this.phase = back;
        return;
      }
      if (clen > avail && (clen <= LZF_WAIT_LIMIT || avail < LZF_HEADER_INPUT)) throw NEED;
      this.setBlob(kind, pairs, whole, triplets);
      const count = kind === 'zipmap' || triplets ? -1 : headerCount(kind, lzfDecompress(this.buf, at, at + Math.min(clen, avail), ulen, headerSize(kind)), 0, ulen);
      if (count !== -1) {
        // Only the header was inflated: the rest must still come to the stated length, checked as it passes.
        this.account(count);
        this.skipBytes(clen, back, false, ulen);
        return;
      }
      this.inflate(ulen, `a compressed ${kind} of key ${this.keyName()}`);
      this.startWalk(kind, ulen, triplets, clen, ulen, back);
      return;
    }
    const avail = this.lim - this.pos;
    if (length <= avail) {
      this.setBlob(kind, pairs, whole, triplets);
      if (triplets) this.accountTriplets(listpackTriplets(this.buf, this.pos, this.pos + length));
      else this.account(blobCount(kind, this.buf, this.pos, this.pos + length));
      this.pos += length;
      this.phase = back;
      return;
    }
    const hs = headerSize(kind);
    if (avail < hs || length <= INLINE_LIMIT) throw NEED;
    this.setBlob(kind, pairs, whole, triplets);
    // Triplets are walked whole for their TTLs, whatever the header says.
    const count = kind === 'zipmap' || triplets ? -1 : headerCount(kind, this.buf, this.pos, length);
    if (count !== -1) {
      this.account(count);
      this.skipBytes(length, back, kind !== 'intset');
      return;
    }
    this.startWalk(kind, length, triplets, length, -1, back);
  }

  private setBlob(kind: BlobKind, pairs: boolean, whole: boolean, triplets: boolean): void {
    this.blobKind = kind;
    this.blobPairs = pairs;
    this.blobWhole = whole;
    this.blobTriplets = triplets;
  }

  /** Walks a blob of `total` bytes as its `n` bytes arrive (LZF data inflating to `lzfUlen` when >= 0), then continues in `back`. */
  private startWalk(kind: BlobKind, total: number, triplets: boolean, n: number, lzfUlen: number, back: number): void {
    const walker = new BlobWalker(kind as Exclude<BlobKind, 'intset'>, total, triplets);
    this.startFeed(n, walker, lzfUlen, `the value of key ${this.keyName()}`, () => {
      const walked = walker.end();
      if ('triplets' in walked) this.accountTriplets(walked.triplets);
      else this.account(walked.count);
      this.phase = back;
    });
  }

  /**
   * An LZF-compressed blob here whole and at most INLINE_LIMIT bytes once inflated: only its
   * header is inflated when that has the count; the whole blob, under the budget, when a walk is needed.
   */
  protected blobLzf(src: Uint8Array, start: number, end: number, ulen: number): void {
    const kind = this.blobKind;
    if (this.blobTriplets) {
      this.inflate(ulen, `a compressed ${kind} of key ${this.keyName()}`);
      const full = lzfDecompress(src, start, end, ulen);
      this.accountTriplets(listpackTriplets(full, 0, full.length));
      return;
    }
    let count = -1;
    if (kind !== 'zipmap') {
      const header = lzfDecompress(src, start, end, ulen, headerSize(kind));
      count = headerCount(kind, header, 0, ulen);
      // Only the header was decompressed: the rest must still come to the stated length.
      if (count !== -1) lzfCheckLength(src, start, end, ulen);
    }
    if (count === -1) {
      this.inflate(ulen, `a compressed ${kind} of key ${this.keyName()}`);
      const full = lzfDecompress(src, start, end, ulen);
      count = blobCount(kind, full, 0, full.length);
    }
    this.account(count);
  }

  private accountTriplets(triplets: TripletCount): void {
    this.size = triplets.fields;
    this.volatile = triplets.volatile;
    this.earliestField = triplets.earliest;
  }

  protected account(count: number): void {
    if (this.blobPairs && count % 2 !== 0) this.fail(`a ${this.blobKind} of pairs holds an odd number (${count}) of entries`);
    const n = this.blobPairs ? count / 2 : count;
    this.size = this.blobWhole ? n : this.size + n;
  }
}
