/**
 * The compact encodings Redis stores as one RDB string: ziplist, listpack, intset, zipmap. Each
 * is read for one thing, its element count, and checked while doing so, because a wrong count
 * would be a silently wrong size: the declared total length must be the string's length, the
 * terminator must be where the header says, and a walk must end exactly on it.
 *
 * Headers are read when the blob can be skipped (its count is in the header); a walk is needed
 * only when the header's count field is saturated (ziplist and listpack: 65535, zipmap: 254), or
 * for the TTLs of a listpack of field/value/TTL triplets.
 *
 * One decoder per entry layout (ziplistEntry, listpackEntry, zipmapItem) serves both walks: a
 * blob here whole is walked in place (blobCount, listpackTriplets), and a blob that arrives in
 * pieces (or out of an LZF stream) is walked as the pieces come by BlobWalker, which holds no
 * more than one entry's header, whatever the blob's size.
 */
export class BlobError extends Error {}

export const ZIPLIST_HEADER = 10;
export const LISTPACK_HEADER = 6;
export const INTSET_HEADER = 8;
export const ZIPMAP_HEADER = 1;
const END = 0xff;
/** The most bytes an entry needs before its size is known: a ziplist's 5-byte prevlen and 5-byte encoding, a listpack integer whole (9 + its backlen). */
const MAX_ENTRY_HEAD = 16;

function u32le(b: Uint8Array, i: number): number {
  return ((b[i] as number) | ((b[i + 1] as number) << 8) | ((b[i + 2] as number) << 16)) + (b[i + 3] as number) * 0x1000000;
}

function u16le(b: Uint8Array, i: number): number {
  return (b[i] as number) | ((b[i + 1] as number) << 8);
}

/**
 * Count from a header, -1 when only a walk can tell. `h` holds at least the header's bytes;
 * `total` is the RDB string's length, which the header's own length field must equal.
 */
export function headerCount(kind: BlobKind, h: Uint8Array, hs: number, total: number): number {
  switch (kind) {
    case 'ziplist': {
      if (total < ZIPLIST_HEADER + 1) throw new BlobError(`a ziplist of ${total} bytes is shorter than its header`);
      if (u32le(h, hs) !== total) throw new BlobError(`a ziplist says it has ${u32le(h, hs)} bytes but its string has ${total}`);
      const count = u16le(h, hs + 8);
      return count === 0xffff ? -1 : count;
    }
    case 'listpack': {
      if (total < LISTPACK_HEADER + 1) throw new BlobError(`a listpack of ${total} bytes is shorter than its header`);
      if (u32le(h, hs) !== total) throw new BlobError(`a listpack says it has ${u32le(h, hs)} bytes but its string has ${total}`);
      const count = u16le(h, hs + 4);
      return count === 0xffff ? -1 : count;
    }
    case 'intset': {
      if (total < INTSET_HEADER) throw new BlobError(`an intset of ${total} bytes is shorter than its header`);
      const width = u32le(h, hs);
      if (width !== 2 && width !== 4 && width !== 8) throw new BlobError(`an intset has an integer width of ${width} bytes`);
      const count = u32le(h, hs + 4);
      if (INTSET_HEADER + width * count !== total) throw new BlobError(`an intset of ${count} ${width}-byte integers does not fill its ${total} bytes`);
      return count;
    }
    case 'zipmap':
      // Zipmaps are small (hash-max-zipmap-entries, Redis < 2.6) and always walked.
      return -1;
  }
}

export type BlobKind = 'ziplist' | 'listpack' | 'intset' | 'zipmap';

export function headerSize(kind: BlobKind): number {
  return kind === 'ziplist' ? ZIPLIST_HEADER : kind === 'listpack' ? LISTPACK_HEADER : kind === 'intset' ? INTSET_HEADER : ZIPMAP_HEADER;
}

// ---- entry decoders: the size of the entry at p, -1 when its header passes `limit` ----

/** A ziplist entry: prevlen (1 byte, or 0xfe and 4), the encoding (and its length bytes), the data. */
export function ziplistEntry(b: Uint8Array, p: number, limit: number): number {
  const prev = b[p] as number;
  if (prev === END) throw new BlobError('a ziplist ends before its last byte');
  const h = prev === 0xfe ? 5 : 1;
  const q = p + h;
  if (q + 1 > limit) return -1;
  const enc = b[q] as number;
  const top = enc >> 6;
  if (top === 0) return h + 1 + (enc & 0x3f);
  if (top === 1) return q + 2 > limit ? -1 : h + 2 + (((enc & 0x3f) << 8) | (b[q + 1] as number));
  if (top === 2) {
    if (enc !== 0x80) throw new BlobError(`a ziplist entry has the invalid encoding 0x${enc.toString(16)}`);
    if (q + 5 > limit) return -1;
    return h + 5 + ((b[q + 1] as number) * 0x1000000 + (((b[q + 2] as number) << 16) | ((b[q + 3] as number) << 8) | (b[q + 4] as number)));
  }
  if (enc === 0xc0) return h + 3;
  if (enc === 0xd0) return h + 5;
  if (enc === 0xe0) return h + 9;
  if (enc === 0xf0) return h + 4;
  if (enc === 0xfe) return h + 2;
  if (enc >= 0xf1 && enc <= 0xfd) return h + 1;
  throw new BlobError(`a ziplist entry has the invalid encoding 0x${enc.toString(16)}`);
}

/** A listpack entry: the encoding and data, then the backlen (the entry's size in 7-bit groups). */
export function listpackEntry(b: Uint8Array, p: number, limit: number): number {
  const enc = b[p] as number;
  let size: number;
  if (enc < 0x80) size = 1;
  else if (enc < 0xc0) size = 1 + (enc & 0x3f);
  else if (enc < 0xe0) size = 2;
  else if (enc < 0xf0) {
    if (p + 2 > limit) return -1;
    size = 2 + (((enc & 0x0f) << 8) | (b[p + 1] as number));
  } else if (enc === 0xf0) {
    if (p + 5 > limit) return -1;
    size = 5 + u32le(b, p + 1);
  } else if (enc === 0xf1) size = 3;
  else if (enc === 0xf2) size = 4;
  else if (enc === 0xf3) size = 5;
  else if (enc === 0xf4) size = 9;
  else throw new BlobError(`a listpack entry has the invalid encoding 0x${enc.toString(16)}`);
  return size + (size <= 127 ? 1 : size < 16383 ? 2 : size < 2097151 ? 3 : size < 268435455 ? 4 : 5);
}

/**
 * A zipmap item: a field (its length, 1 byte or 254 and 4, then its bytes) or a value (its
 * length, a free-space byte, its bytes and the free bytes). 255 is the terminator, which only
 * the caller may meet in a field's place.
 */
export function zipmapItem(b: Uint8Array, p: number, limit: number, value: boolean): number {
  const l = b[p] as number;
  if (l === END) throw new BlobError('a zipmap entry is cut by its terminator');
  const lengthBytes = l < 254 ? 1 : 5;
  if (p + lengthBytes + (value ? 1 : 0) > limit) return -1;
  const length = l < 254 ? l : u32le(b, p + 1);
  return value ? lengthBytes + 1 + length + (b[p + lengthBytes] as number) : lengthBytes + length;
}

function cut(kind: string): never {
  throw new BlobError(`a ${kind} entry runs past the end of its blob`);
}

// ---- walks of a blob here whole ----

/** Element count of a whole blob `b[s, e)`, walked when the header cannot say, checked either way. */
export function blobCount(kind: BlobKind, b: Uint8Array, s: number, e: number): number {
  const total = e - s;
  if (kind === 'zipmap') return zipmapCount(b, s, e);
  const declared = headerCount(kind, b, s, total);
  if (kind === 'intset') return declared;
  if (b[e - 1] !== END) throw new BlobError(`a ${kind} does not end with 0xff`);
  const walked = kind === 'ziplist' ? ziplistWalk(b, s, e) : listpackWalk(b, s, e);
  if (declared !== -1 && walked !== declared) throw new BlobError(`a ${kind} says it has ${declared} entries but holds ${walked}`);
  return walked;
}

/** Entries of a ziplist; `e - 1` is its 0xff terminator. */
export function ziplistWalk(b: Uint8Array, s: number, e: number): number {
  let p = s + ZIPLIST_HEADER;
  const last = e - 1;
  let count = 0;
  while (p < last) {
    const size = ziplistEntry(b, p, last);
    if (size < 0) cut('ziplist');
    p += size;
    if (p > last) cut('ziplist');
    count++;
  }
  return count;
}

/** Entries of a listpack; `e - 1` is its 0xff terminator. */
export function listpackWalk(b: Uint8Array, s: number, e: number): number {
  let p = s + LISTPACK_HEADER;
  const last = e - 1;
  let count = 0;
  while (p < last) {
    const size = listpackEntry(b, p, last);
    if (size < 0) cut('listpack');
    p += size;
    if (p > last) cut('listpack');
    count++;
  }
  return count;
}

/** Key/value pairs of a zipmap (Redis < 2.6 hashes), walked: `<zmlen> (<len>key<len><free>value<free bytes>)* 0xff`. */
export function zipmapCount(b: Uint8Array, s: number, e: number): number {
  if (e - s < 2) throw new BlobError('a zipmap is shorter than its header and terminator');
  let p = s + 1;
  let count = 0;
  for (;;) {
    if (p >= e) cut('zipmap');
    if (b[p] === END) {
      if (p !== e - 1) throw new BlobError('a zipmap has bytes after its terminator');
      break;
    }
    const field = zipmapItem(b, p, e, false);
    if (field < 0) cut('zipmap');
    p += field;
    if (p >= e) cut('zipmap');
    const value = zipmapItem(b, p, e, true);
    if (value < 0) cut('zipmap');
    p += value;
    if (p > e - 1) cut('zipmap');
    count++;
  }
  checkZipmapCount(b[s] as number, count);
  return count;
}

function checkZipmapCount(declared: number, count: number): void {
  if (declared < 254 && declared !== count) throw new BlobError(`a zipmap says it has ${declared} pairs but holds ${count}`);
}

/** What a listpack of field/value/TTL triplets holds (Redis listpack-ex hashes). */
export interface TripletCount {
  /** Triplets: HLEN. */
  readonly fields: number;
  /** Fields whose TTL is not 0 (HASH_LP_NO_TTL). */
  readonly volatile: number;
  /** The earliest such TTL, ms since the epoch; null when none has one. */
  readonly earliest: number | null;
}

/** Greatest field expiry Redis stores (EB_EXPIRE_TIME_MAX, 2^48 - 1 ms). */
export const MAX_FIELD_EXPIRY_MS = 2 ** 48 - 1;

/** Counts the TTLs of a triplet listpack as its entries pass. */
class TripletTtls {
  volatile = 0;
  earliest: number | null = null;

  /** The TTL entry at p (every third entry): an integer, 0 for none, at most MAX_FIELD_EXPIRY_MS. */
  read(b: Uint8Array, p: number): void {
    const ttl = listpackInteger(b, p);
    if (ttl === null || ttl < 0 || ttl > MAX_FIELD_EXPIRY_MS) throw new BlobError('a hash field TTL in a listpack is not an integer from 0 to 2^48-1');
    if (ttl === 0) return;
    this.volatile += 1;
    if (this.earliest === null || ttl < this.earliest) this.earliest = ttl;
  }

  result(declared: number, entries: number): TripletCount {
    if (declared !== -1 && entries !== declared) throw new BlobError(`a listpack says it has ${declared} entries but holds ${entries}`);
    if (entries % 3 !== 0) throw new BlobError(`a listpack of field/value/TTL triplets holds ${entries} entries, not a multiple of 3`);
    return { fields: entries / 3, volatile: this.volatile, earliest: this.earliest };
  }
}

/**
 * Walks a whole listpack `b[s, e)` of field/value/TTL triplets (Redis 7.4 types 23 and 25),
 * checking it as blobCount does, and reads every third entry as the field's TTL.
 */
export function listpackTriplets(b: Uint8Array, s: number, e: number): TripletCount {
  const declared = headerCount('listpack', b, s, e - s);
  if (b[e - 1] !== END) throw new BlobError('a listpack does not end with 0xff');
  let p = s + LISTPACK_HEADER;
  const last = e - 1;
  let entries = 0;
  const ttls = new TripletTtls();
  while (p < last) {
    const size = listpackEntry(b, p, last);
    if (size < 0) cut('listpack');
    if (entries % 3 === 2) ttls.read(b, p);
    p += size;
    if (p > last) cut('listpack');
    entries++;
  }
  return ttls.result(declared, entries);
}

/** The integer a listpack entry holds; null when it holds a string. Its bytes were bounds-checked by the walk. */
function listpackInteger(b: Uint8Array, p: number): number | null {
  const enc = b[p] as number;
  if (enc < 0x80) return enc;
  if (enc < 0xc0) return null;
  if (enc < 0xe0) {
    const v = ((enc & 0x1f) << 8) | (b[p + 1] as number);
    return v >= 4096 ? v - 8192 : v;
  }
  if (enc === 0xf1) {
    const v = (b[p + 1] as number) | ((b[p + 2] as number) << 8);
    return v >= 0x8000 ? v - 0x10000 : v;
  }
  if (enc === 0xf2) {
    const v = (b[p + 1] as number) | ((b[p + 2] as number) << 8) | ((b[p + 3] as number) << 16);
    return v >= 0x800000 ? v - 0x1000000 : v;
  }
  if (enc === 0xf3) return (b[p + 1] as number) | ((b[p + 2] as number) << 8) | ((b[p + 3] as number) << 16) | ((b[p + 4] as number) << 24);
  if (enc === 0xf4) {
    const lo = u32le(b, p + 1);
    const hi = (b[p + 5] as number) | ((b[p + 6] as number) << 8) | ((b[p + 7] as number) << 16) | ((b[p + 8] as number) << 24);
    return hi * 0x100000000 + lo;
  }
  return null;
}

// ---- the walk of a blob that arrives in pieces ----

/** What a walk found: the entries (zipmap: pairs), or for triplets their fields and TTLs. */
export type WalkResult = { readonly count: number } | { readonly triplets: TripletCount };

/**
 * Walks a blob of `total` bytes fed in pieces of any size, with the checks of the whole walks
 * above, holding at most one entry's header (MAX_ENTRY_HEAD bytes) between pieces: an entry's
 * data is passed over as it arrives. Intsets never need this (their header has the count).
 */
export class BlobWalker {
  /** Blob offset of the next item to decode (the bytes in `head` start there). */
  private at = 0;
  /** Bytes of the current item still to pass before `at`. */
  private skip = 0;
  private readonly head = Buffer.alloc(MAX_ENTRY_HEAD);
  private headLength = 0;
  private started = false;
  private finished = false;
  private declared = -1;
  private entries = 0;
  /** Zipmap: the next item is a value. */
  private zipmapValue = false;
  private readonly ttls: TripletTtls | null;

  constructor(
    private readonly kind: Exclude<BlobKind, 'intset'>,
    private readonly total: number,
    triplets = false,
  ) {
    this.ttls = triplets ? new TripletTtls() : null;
  }

  feed(src: Uint8Array, s: number, e: number): void {
    let p = s;
    /** Bytes at the end of `head` that came from this piece. */
    let fromPiece = 0;
    for (;;) {
      if (this.skip > 0) {
        if (p >= e) return;
        const take = Math.min(this.skip, e - p);
        p += take;
        this.skip -= take;
        continue;
      }
      if (this.finished) {
        if (p < e || this.headLength > 0) throw new BlobError(`a ${this.kind} has bytes after its terminator`);
        return;
      }
      const want = Math.min(this.started ? MAX_ENTRY_HEAD : headerSize(this.kind), this.total - this.at);
      if (this.headLength === 0) {
        if (p >= e) return;
        if (e - p >= want) {
          // The item's header is here whole: decoded in place, its bytes then passed over.
          if (e - p >= MAX_ENTRY_HEAD && this.total - 1 - this.at >= MAX_ENTRY_HEAD && this.ttls === null && this.kind !== 'zipmap' && this.started) {
            p = this.entriesInPlace(src, p, e);
            continue;
          }
          this.skip = this.item(src, p, want);
          continue;
        }
      }
      if (this.headLength < want) {
        if (p >= e) return;
        const take = Math.min(want - this.headLength, e - p);
        this.head.set(src.subarray(p, p + take), this.headLength);
        this.headLength += take;
        fromPiece += take;
        p += take;
        if (this.headLength < want) return;
      }
      const size = this.item(this.head, 0, want);
      const rest = want - size;
      if (rest <= 0) {
        this.skip = -rest;
        this.headLength = 0;
      } else if (rest <= fromPiece) {
        // The header bytes past the item came from this piece: read on from there, in place.
        p -= rest;
        this.headLength = 0;
      } else {
        // The rest of the header bytes start the next item.
        this.head.copyWithin(0, size, want);
        this.headLength = rest;
      }
      fromPiece = Math.min(fromPiece, this.headLength);
    }
  }

  /**
   * The entries of a ziplist or listpack that start at least MAX_ENTRY_HEAD bytes before both the
   * piece's end and the terminator, in one tight loop (a blob of tiny entries has millions).
   * Returns where the next item starts in the piece, or the piece's end with `skip` set.
   */
  private entriesInPlace(src: Uint8Array, start: number, e: number): number {
    const zip = this.kind === 'ziplist';
    // The entry's header fits in its window: the terminator and the piece's end are farther.
    const lastStart = Math.min(e, start + (this.total - 1 - this.at)) - MAX_ENTRY_HEAD;
    let p = start;
    let entries = 0;
    while (p <= lastStart) {
      const size = zip ? ziplistEntry(src, p, p + MAX_ENTRY_HEAD) : listpackEntry(src, p, p + MAX_ENTRY_HEAD);
      if (size < 0) cut(this.kind);
      p += size;
      entries++;
    }
    // The last entry may end past the piece (its data arrives next) but never past the terminator.
    this.entries += entries;
    this.at += p - start;
    if (this.at > this.total - 1) cut(this.kind);
    if (p > e) {
      this.skip = p - e;
      return e;
    }
    return p;
  }

  /** The blob ended: it must have ended on its terminator, with the count its header states. */
  end(): WalkResult {
    if (!this.finished || this.skip > 0 || this.headLength > 0) throw new BlobError(`a ${this.kind} ends before its terminator`);
    if (this.ttls !== null) return { triplets: this.ttls.result(this.declared, this.entries) };
    if (this.kind === 'zipmap') checkZipmapCount(this.declared, this.entries);
    else if (this.declared !== -1 && this.entries !== this.declared) throw new BlobError(`a ${this.kind} says it has ${this.declared} entries but holds ${this.entries}`);
    return { count: this.entries };
  }

  /**
   * Decodes the item at blob offset `at`, whose first `window` bytes are `b[p, p + window)`:
   * the header, an entry, or the terminator. Advances `at` past it; returns its size.
   */
  private item(b: Uint8Array, p: number, window: number): number {
    const size = this.started ? this.entry(b, p, window) : this.header(b, p);
    this.at += size;
    return size;
  }

  private header(b: Uint8Array, p: number): number {
    this.started = true;
    if (this.kind === 'zipmap') {
      if (this.total < 2) throw new BlobError('a zipmap is shorter than its header and terminator');
      this.declared = b[p] as number;
      return ZIPMAP_HEADER;
    }
    this.declared = headerCount(this.kind, b, p, this.total);
    return headerSize(this.kind);
  }

  private entry(b: Uint8Array, p: number, window: number): number {
    const last = this.total - 1;
    if (this.kind === 'zipmap') return this.zipmapEntry(b, p, window);
    if (this.at === last) {
      if (b[p] !== END) throw new BlobError(`a ${this.kind} does not end with 0xff`);
      this.finished = true;
      return 1;
    }
    // The terminator is not an entry's byte: the header must fit before it.
    const limit = p + Math.min(window, last - this.at);
    const size = this.kind === 'ziplist' ? ziplistEntry(b, p, limit) : listpackEntry(b, p, limit);
    if (size < 0 || this.at + size > last) cut(this.kind);
    if (this.ttls !== null && this.entries % 3 === 2) {
      // A TTL is an integer entry, 10 bytes at most with its backlen: within the window.
      if (size > window) throw new BlobError('a hash field TTL in a listpack is not an integer from 0 to 2^48-1');
      this.ttls.read(b, p);
    }
    this.entries++;
    return size;
  }

  private zipmapEntry(b: Uint8Array, p: number, window: number): number {
    const last = this.total - 1;
    if (!this.zipmapValue && b[p] === END) {
      if (this.at !== last) throw new BlobError('a zipmap has bytes after its terminator');
      this.finished = true;
      return 1;
    }
    const size = zipmapItem(b, p, p + window, this.zipmapValue);
    if (size < 0 || this.at + size > last) cut('zipmap');
    if (this.zipmapValue) this.entries++;
    this.zipmapValue = !this.zipmapValue;
    return size;
  }
}
