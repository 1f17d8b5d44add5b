/**
 * The compact encodings Redis stores as one RDB string: ziplist, listpack, intset, zipmap. Each
 * is read for one thing, its element count, and checked while doing so, because a wrong count
 * would be a silently wrong size: the declared total length must be the string's length, the
 * terminator must be where the header says, and a walk must end exactly on it.
 *
 * Headers are read when the blob can be skipped (its count is in the header); a walk is needed
 * only when the header's count field is saturated (ziplist and listpack: 65535, zipmap: 254).
 */
export class BlobError extends Error {}

export const ZIPLIST_HEADER = 10;
export const LISTPACK_HEADER = 6;
export const INTSET_HEADER = 8;
export const ZIPMAP_HEADER = 1;
const END = 0xff;

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

function need(p: number, e: number, what: string): void {
  if (p > e) throw new BlobError(`a ${what} entry runs past the end of its blob`);
}

/** Entries of a ziplist; `e - 1` is its 0xff terminator. */
export function ziplistWalk(b: Uint8Array, s: number, e: number): number {
  let p = s + ZIPLIST_HEADER;
  const last = e - 1;
  let count = 0;
  while (p < last) {
    // prevlen: 1 byte, or 0xfe and 4 bytes.
    const prev = b[p] as number;
    if (prev === END) throw new BlobError('a ziplist ends before its last byte');
    p += prev === 0xfe ? 5 : 1;
    need(p + 1, last, 'ziplist');
    const enc = b[p] as number;
    const top = enc >> 6;
    if (top === 0) p += 1 + (enc & 0x3f);
    else if (top === 1) {
      need(p + 2, last, 'ziplist');
      p += 2 + (((enc & 0x3f) << 8) | (b[p + 1] as number));
    } else if (top === 2) {
      if (enc !== 0x80) throw new BlobError(`a ziplist entry has the invalid encoding 0x${enc.toString(16)}`);
      need(p + 5, last, 'ziplist');
      p += 5 + ((b[p + 1] as number) * 0x1000000 + (((b[p + 2] as number) << 16) | ((b[p + 3] as number) << 8) | (b[p + 4] as number)));
    } else if (enc === 0xc0) p += 3;
    else if (enc === 0xd0) p += 5;
    else if (enc === 0xe0) p += 9;
    else if (enc === 0xf0) p += 4;
    else if (enc === 0xfe) p += 2;
    else if (enc >= 0xf1 && enc <= 0xfd) p += 1;
    else throw new BlobError(`a ziplist entry has the invalid encoding 0x${enc.toString(16)}`);
    need(p, last, 'ziplist');
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
    const enc = b[p] as number;
    let size: number;
    if (enc < 0x80) size = 1;
    else if (enc < 0xc0) size = 1 + (enc & 0x3f);
    else if (enc < 0xe0) size = 2;
    else if (enc < 0xf0) {
      need(p + 2, last, 'listpack');
      size = 2 + (((enc & 0x0f) << 8) | (b[p + 1] as number));
    } else if (enc === 0xf0) {
      need(p + 5, last, 'listpack');
      size = 5 + u32le(b, p + 1);
    } else if (enc === 0xf1) size = 3;
    else if (enc === 0xf2) size = 4;
    else if (enc === 0xf3) size = 5;
    else if (enc === 0xf4) size = 9;
    else throw new BlobError(`a listpack entry has the invalid encoding 0x${enc.toString(16)}`);
    // backlen: the entry's size in 7-bit groups.
    const back = size <= 127 ? 1 : size < 16383 ? 2 : size < 2097151 ? 3 : size < 268435455 ? 4 : 5;
    p += size + back;
    need(p, last, 'listpack');
    count++;
  }
  return count;
}

/** Key/value pairs of a zipmap (Redis < 2.6 hashes), walked: `<zmlen> (<len>key<len><free>value<free bytes>)* 0xff`. */
export function zipmapCount(b: Uint8Array, s: number, e: number): number {
  if (e - s < 2) throw new BlobError('a zipmap is shorter than its header and terminator');
  const declared = b[s] as number;
  let p = s + 1;
  let count = 0;
  const length = (): number => {
    need(p + 1, e, 'zipmap');
    const l = b[p] as number;
    if (l < 254) {
      p += 1;
      return l;
    }
    if (l === 254) {
      need(p + 5, e, 'zipmap');
      const v = u32le(b, p + 1);
      p += 5;
      return v;
    }
    throw new BlobError('a zipmap entry is cut by its terminator');
  };
  for (;;) {
    need(p + 1, e, 'zipmap');
    if (b[p] === END) {
      if (p !== e - 1) throw new BlobError('a zipmap has bytes after its terminator');
      break;
    }
    const keyLength = length();
    p += keyLength;
    const valueLength = length();
    need(p + 1, e, 'zipmap');
    const free = b[p] as number;
    p += 1 + valueLength + free;
    need(p, e - 1, 'zipmap');
    count++;
  }
  if (declared < 254 && declared !== count) throw new BlobError(`a zipmap says it has ${declared} pairs but holds ${count}`);
  return count;
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

/**
 * Walks a whole listpack `b[s, e)` of field/value/TTL triplets (Redis 7.4 types 23 and 25),
 * checking it as blobCount does, and reads every third entry as the field's TTL: an integer, 0
 * for none, at most MAX_FIELD_EXPIRY_MS.
 */
export function listpackTriplets(b: Uint8Array, s: number, e: number): TripletCount {
  const declared = headerCount('listpack', b, s, e - s);
  if (b[e - 1] !== END) throw new BlobError('a listpack does not end with 0xff');
  let p = s + LISTPACK_HEADER;
  const last = e - 1;
  let entries = 0;
  let volatile = 0;
  let earliest: number | null = null;
  while (p < last) {
    const start = p;
    const size = listpackEntrySize(b, p, last);
    const back = size <= 127 ? 1 : size < 16383 ? 2 : size < 2097151 ? 3 : size < 268435455 ? 4 : 5;
    p += size + back;
    need(p, last, 'listpack');
    if (entries % 3 === 2) {
      const ttl = listpackInteger(b, start);
      if (ttl === null || ttl < 0 || ttl > MAX_FIELD_EXPIRY_MS) throw new BlobError('a hash field TTL in a listpack is not an integer from 0 to 2^48-1');
      if (ttl !== 0) {
        volatile += 1;
        if (earliest === null || ttl < earliest) earliest = ttl;
      }
    }
    entries++;
  }
  if (declared !== -1 && entries !== declared) throw new BlobError(`a listpack says it has ${declared} entries but holds ${entries}`);
  if (entries % 3 !== 0) throw new BlobError(`a listpack of field/value/TTL triplets holds ${entries} entries, not a multiple of 3`);
  return { fields: entries / 3, volatile, earliest };
}

/** Bytes of the listpack entry at `p` (its encoding and data, not its backlen). */
function listpackEntrySize(b: Uint8Array, p: number, last: number): number {
  const enc = b[p] as number;
  if (enc < 0x80) return 1;
  if (enc < 0xc0) return 1 + (enc & 0x3f);
  if (enc < 0xe0) return 2;
  if (enc < 0xf0) {
    need(p + 2, last, 'listpack');
    return 2 + (((enc & 0x0f) << 8) | (b[p + 1] as number));
  }
  if (enc === 0xf0) {
    need(p + 5, last, 'listpack');
    return 5 + u32le(b, p + 1);
  }
  if (enc === 0xf1) return 3;
  if (enc === 0xf2) return 4;
  if (enc === 0xf3) return 5;
  if (enc === 0xf4) return 9;
  throw new BlobError(`a listpack entry has the invalid encoding 0x${enc.toString(16)}`);
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
