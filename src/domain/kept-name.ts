/**
 * What an analysis keeps of a key name: the whole name up to NAME_KEEP_BYTES, else its first
 * NAME_KEEP_BYTES bytes (cut back to a whole UTF-8 character) and the SHA-1 of the whole name.
 * A server can send names of up to `redis.max_bulk_bytes` (and an RDB longer ones); what a
 * top-K, a big key list, a namespace or a trend holds is then bounded by configuration, and
 * two long names never pass for one (their hashes differ).
 *
 * The identity of a kept name (which key it is, within a database) is computed once, when it is
 * kept: containers compare it, never the bytes again.
 */
import { createHash } from 'node:crypto';

/** Bytes of a key name kept; a longer name is kept as these and a hash of the whole. */
export const NAME_KEEP_BYTES = 1024;

export interface KeptName {
  /** The whole name, or its first bytes when `nameSha1` is set. An own copy, never a view of a socket buffer. */
  readonly name: Buffer;
  /** SHA-1 (hex) of the whole name, present only when `name` is its beginning. */
  readonly nameSha1?: string;
}

/** Where to cut `bytes` to at most `max` bytes without splitting a UTF-8 character. */
export function utf8Cut(bytes: Uint8Array, max: number): number {
  if (bytes.length <= max) return bytes.length;
  let cut = max;
  // Back over continuation bytes (10xxxxxx) to the start of the character that crosses the limit.
  for (let back = 0; back < 3 && cut > 0 && ((bytes[cut] as number) & 0xc0) === 0x80; back++) cut -= 1;
  return ((bytes[cut] as number) & 0xc0) === 0x80 ? max : cut;
}

/** A name as kept: copied whole when short, else its beginning and the hash of all of it. */
export function keepName(bytes: Uint8Array): KeptName {
  if (bytes.length <= NAME_KEEP_BYTES) return { name: Buffer.from(bytes) };
  return { name: Buffer.from(bytes.subarray(0, utf8Cut(bytes, NAME_KEEP_BYTES))), nameSha1: createHash('sha1').update(bytes).digest('hex') };
}

/** A long name as it would be kept: a view of its beginning, its hash computed only when asked for. */
class LongNameView implements KeptName {
  readonly name: Buffer;
  private sha1: string | undefined;

  constructor(private readonly whole: Uint8Array) {
    this.name = Buffer.from(whole.buffer, whole.byteOffset, utf8Cut(whole, NAME_KEEP_BYTES));
  }

  get nameSha1(): string {
    this.sha1 ??= createHash('sha1').update(this.whole).digest('hex');
    return this.sha1;
  }
}

/**
 * A name as it would be kept, without copying or hashing it yet: to compare a key with what is
 * kept before deciding to keep it (most keys are not kept). keepView() then makes it an own copy.
 */
export function keptView(bytes: Buffer): KeptName {
  return bytes.length <= NAME_KEEP_BYTES ? { name: bytes } : new LongNameView(bytes);
}

/** An own copy of a kept name or view: nothing of it points into a socket buffer. */
export function keepView(view: KeptName): KeptName {
  const name = Buffer.from(view.name);
  const sha1 = view.nameSha1;
  return sha1 === undefined ? { name } : { name, nameSha1: sha1 };
}

/** The identity of a kept name in a database: the key it is, for sets and top-Ks. */
export function keptIdentity(db: number, kept: KeptName): string {
  return kept.nameSha1 === undefined ? `${db}\u0000f${kept.name.toString('latin1')}` : `${db}\u0000t${kept.nameSha1}`;
}

/** Order of kept names: by their bytes, a whole name before a longer one that starts the same, then by hash. */
export function compareKept(a: KeptName, b: KeptName): number {
  const bytes = Buffer.compare(a.name, b.name);
  if (bytes !== 0) return bytes;
  if (a.nameSha1 === b.nameSha1) return 0;
  if (a.nameSha1 === undefined) return -1;
  if (b.nameSha1 === undefined) return 1;
  return a.nameSha1 < b.nameSha1 ? -1 : 1;
}
