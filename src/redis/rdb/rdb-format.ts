/**
 * What the RDB format is, as keyheat reads it (rdb-parser.ts is the state machine that walks
 * it): the public shapes of a parsed key, the opcodes, the string encodings, and the tables of
 * value types with how each is laid out. Taken from the servers' own src/rdb.h and src/rdb.c:
 * - Redis writes the magic "REDIS" and four digits: RDB 1-11 up to Redis 7.2, RDB 12 from 7.4
 *   to 8.4 (hashes with field expiration, types 22-25; the SLOT_INFO opcode on cluster nodes),
 *   RDB 13 from 8.6 (streams with IDMP, type 26; the KEY_META opcode before a key's type);
 * - Valkey writes "REDIS0011" up to 8.x, then the magic "VALKEY" and three digits: RDB 80 from
 *   9.0 (hashes with field expiration, type 22 HASH_2), RDB 81 from 9.2 (type 23 PATH_HASH).
 * The two diverge after type 21: the same byte means another type, so the table is chosen by
 * the magic. A byte no table knows is refused as 'unsupported', never read as something else.
 */
import { NAME_KEEP_BYTES } from '../../domain/kept-name.js';
import type { BlobKind } from './blobs.js';

export type RdbKeyType = 'string' | 'list' | 'set' | 'zset' | 'hash' | 'stream' | 'module' | 'pathhash';

/** Who wrote the RDB, from its magic. */
export type RdbFlavor = 'redis' | 'valkey';

export interface RdbKey {
  readonly db: number;
  /**
   * The name, or its first `keepKeyBytes` bytes (cut back to a whole UTF-8 character) when
   * `keySha1` is set. A view valid during onKey only.
   */
  readonly key: Buffer;
  /** SHA-1 (hex) of the whole name when `key` is only its beginning; null for a whole name. */
  readonly keySha1: string | null;
  /** Bytes of the whole name. */
  readonly keyLength: number;
  readonly type: RdbKeyType;
  /** The module type's 9-character name, for module values. */
  readonly moduleName: string | undefined;
  /** Bytes for strings, elements (pairs for hashes, members for zsets, paths for path hashes) for collections, entries for streams, null for modules. */
  readonly size: number | null;
  readonly unit: 'bytes' | 'elements' | 'entries' | null;
  /** The LFU counter from the FREQ opcode (written under an LFU maxmemory-policy, RDB 9+), else null. */
  readonly freq: number | null;
  /** Seconds since the last access from the IDLE opcode (LRU policies, RDB 9+), else null. */
  readonly idleSeconds: number | null;
  readonly expiresAtMs: number | null;
  /**
   * Hashes with field expiration (Redis 7.4+ HEXPIRE, Valkey 9.0+): how many of their fields have
   * a TTL of their own, and the earliest of those expiries (ms since the epoch); null for other
   * values. Fields already expired but not yet reclaimed are in the RDB, and in `size`, as HLEN counts them.
   */
  readonly volatileFields: number | null;
  readonly fieldExpiresAtMs: number | null;
  /**
   * Bytes of the key's entry in the RDB (type, key and serialized value; not the expiry, FREQ or
   * IDLE opcodes before it): a compressed lower bound of its memory, for big keys by bytes.
   */
  readonly rdbBytes: number;
  /**
   * How the value is stored in the RDB: raw, int, lzf (strings), linkedlist, ziplist, quicklist,
   * quicklist2, listpack, listpack-ex, intset, zipmap, hashtable, hashtable-ex, skiplist, stream,
   * stream2, stream3, stream4, module, pathhash.
   */
  readonly encoding: string;
}

export interface RdbHandlers {
  onKey(key: RdbKey): void;
  /** AUX fields (redis-ver, redis-bits, ctime, used-mem, repl-id, lua scripts of 4.0-6.x...). */
  onAux?(name: string, value: Buffer): void;
  /** SELECTDB (no `resize`), then RESIZEDB for the same db (with it) when the writer sent one. */
  onDb?(db: number, resize?: { keys: number; expires: number }): void;
  /** One MODULE_AUX block skipped, with its module's name. */
  onModuleAux?(moduleName: string): void;
  /** One function library (FUNCTION / FUNCTION2 opcode) skipped. */
  onFunction?(): void;
}

export interface RdbLimits {
  /** A longer key name fails the parse ('limit'). It is never held: see keepKeyBytes. */
  readonly maxKeyBytes: number;
  /** Bytes of a name given to onKey; a longer one comes as its beginning and the SHA-1 of all of it. */
  readonly keepKeyBytes: number;
  /** An AUX value handed to onAux (and so held whole) may be this long; without onAux they are skipped unread. */
  readonly maxAuxBytes: number;
  /**
   * Decompression budget: the bytes LZF data may inflate to, over the whole RDB, are at most
   * inflatePerByte x the RDB bytes received so far + inflateBase; past it the parse fails
   * ('limit'). Only what is materialised counts (key names, blobs walked, AUX values read):
   * compressed values that are skipped are checked without being inflated.
   */
  readonly inflatePerByte: number;
  readonly inflateBase: number;
  /** The greatest database number (SELECTDB) accepted; a larger one fails the parse ('limit'). */
  readonly maxDb: number;
}

export const RDB_LIMITS: RdbLimits = {
  maxKeyBytes: 512 * 1024 * 1024,
  keepKeyBytes: NAME_KEEP_BYTES,
  maxAuxBytes: 8 * 1024 * 1024,
  inflatePerByte: 4,
  inflateBase: 64 * 1024 * 1024,
  maxDb: 65_535,
};

/** The newest Redis format read: RDB 13 (Redis 8.6). */
export const MAX_RDB_VERSION = 13;
/** The Valkey formats read (the VALKEY magic): RDB 80 (Valkey 9.0) and 81 (Valkey 9.2). */
export const VALKEY_RDB_VERSIONS: readonly number[] = [80, 81];

/** Valkey: a replication command inlined into a forkless save sent to a replica (never asked for by keyheat). */
export const OP_UPDATE = 0xf2;
/** Redis RDB 13: module metadata of the next key (KEY_META); Valkey RDB 80+: a slot import job (SLOT_IMPORT). */
export const OP_KEY_META_OR_SLOT_IMPORT = 0xf3;
/** Cluster nodes of Redis 7.4+: a slot's key counts, a resize hint. */
export const OP_SLOT_INFO = 0xf4;
export const OP_FUNCTION2 = 0xf5;
export const OP_FUNCTION_PRE_GA = 0xf6;
export const OP_MODULE_AUX = 0xf7;
export const OP_IDLE = 0xf8;
export const OP_FREQ = 0xf9;
export const OP_AUX = 0xfa;
export const OP_RESIZEDB = 0xfb;
export const OP_EXPIRETIME_MS = 0xfc;
export const OP_EXPIRETIME = 0xfd;
export const OP_SELECTDB = 0xfe;
export const OP_EOF = 0xff;

export const ENC_INT8 = 0;
export const ENC_INT16 = 1;
export const ENC_INT32 = 2;
export const ENC_LZF = 3;


// Value kinds.
export const K_STRING = 0;
export const K_ELEMS = 1;
export const K_ZSET1 = 2;
export const K_ZSET2 = 3;
export const K_BLOB = 4;
export const K_QUICKLIST = 5;
export const K_QUICKLIST2 = 6;
export const K_STREAM = 7;
export const K_MODULE = 8;
/** Redis 7.4+ hash table with field TTLs (24; 22 without the minimum-expiry header): [ttl] field value. */
export const K_HASH_TTL = 9;
/** Valkey 9.0 HASH_2: field value expiry (8 bytes). */
export const K_HASH2 = 10;
/** Valkey 9.2 PATH_HASH: paths, each with its field/value pairs. */
export const K_PATH_HASH = 11;

export interface TypeInfo {
  readonly type: RdbKeyType;
  readonly encoding: string;
  readonly kind: number;
  /** RDB strings per element (hash: field and value). */
  readonly per: number;
  readonly blob?: BlobKind;
  /** A blob holding field/value or member/score pairs: the size is half its entries. */
  readonly pairs?: boolean;
  /** A listpack of field/value/TTL triplets (Redis listpack-ex hashes): the size is a third, the TTLs are read. */
  readonly triplets?: boolean;
  /** An 8-byte minimum field expiry precedes the value (Redis types 24 and 25). */
  readonly minExpire?: boolean;
  /** Field TTLs are stored relative to that minimum, plus one (type 24); else absolute (22). */
  readonly relativeTtl?: boolean;
  readonly streamVersion?: number;
}

/** The types every RDB shares: 0-21 (Redis up to 7.2, Valkey up to 8.x). */
const TYPES: (TypeInfo | undefined)[] = [];
TYPES[0] = { type: 'string', encoding: 'raw', kind: K_STRING, per: 1 };
TYPES[1] = { type: 'list', encoding: 'linkedlist', kind: K_ELEMS, per: 1 };
TYPES[2] = { type: 'set', encoding: 'hashtable', kind: K_ELEMS, per: 1 };
TYPES[3] = { type: 'zset', encoding: 'skiplist', kind: K_ZSET1, per: 1 };
TYPES[4] = { type: 'hash', encoding: 'hashtable', kind: K_ELEMS, per: 2 };
TYPES[5] = { type: 'zset', encoding: 'skiplist', kind: K_ZSET2, per: 1 };
TYPES[7] = { type: 'module', encoding: 'module', kind: K_MODULE, per: 1 };
TYPES[9] = { type: 'hash', encoding: 'zipmap', kind: K_BLOB, per: 1, blob: 'zipmap' };
TYPES[10] = { type: 'list', encoding: 'ziplist', kind: K_BLOB, per: 1, blob: 'ziplist' };
TYPES[11] = { type: 'set', encoding: 'intset', kind: K_BLOB, per: 1, blob: 'intset' };
TYPES[12] = { type: 'zset', encoding: 'ziplist', kind: K_BLOB, per: 1, blob: 'ziplist', pairs: true };
TYPES[13] = { type: 'hash', encoding: 'ziplist', kind: K_BLOB, per: 1, blob: 'ziplist', pairs: true };
TYPES[14] = { type: 'list', encoding: 'quicklist', kind: K_QUICKLIST, per: 1, blob: 'ziplist' };
TYPES[15] = { type: 'stream', encoding: 'stream', kind: K_STREAM, per: 1, streamVersion: 1 };
TYPES[16] = { type: 'hash', encoding: 'listpack', kind: K_BLOB, per: 1, blob: 'listpack', pairs: true };
TYPES[17] = { type: 'zset', encoding: 'listpack', kind: K_BLOB, per: 1, blob: 'listpack', pairs: true };
TYPES[18] = { type: 'list', encoding: 'quicklist2', kind: K_QUICKLIST2, per: 1, blob: 'listpack' };
TYPES[19] = { type: 'stream', encoding: 'stream2', kind: K_STREAM, per: 1, streamVersion: 2 };
TYPES[20] = { type: 'set', encoding: 'listpack', kind: K_BLOB, per: 1, blob: 'listpack' };
TYPES[21] = { type: 'stream', encoding: 'stream3', kind: K_STREAM, per: 1, streamVersion: 3 };

/** Redis RDB 12 (7.4): hashes with field expiration; 22 and 23 are the 7.4 release candidates' forms. */
const REDIS_12: (TypeInfo | undefined)[] = [...TYPES];
REDIS_12[22] = { type: 'hash', encoding: 'hashtable-ex', kind: K_HASH_TTL, per: 1 };
REDIS_12[23] = { type: 'hash', encoding: 'listpack-ex', kind: K_BLOB, per: 1, blob: 'listpack', triplets: true };
REDIS_12[24] = { type: 'hash', encoding: 'hashtable-ex', kind: K_HASH_TTL, per: 1, minExpire: true, relativeTtl: true };
REDIS_12[25] = { type: 'hash', encoding: 'listpack-ex', kind: K_BLOB, per: 1, blob: 'listpack', triplets: true, minExpire: true };

/** Redis RDB 13 (8.6): streams with idempotent producers (IDMP). */
const REDIS_13: (TypeInfo | undefined)[] = [...REDIS_12];
REDIS_13[26] = { type: 'stream', encoding: 'stream4', kind: K_STREAM, per: 1, streamVersion: 4 };

/** Valkey RDB 80 (9.0): hashes with field expiration. */
const VALKEY_80: (TypeInfo | undefined)[] = [...TYPES];
VALKEY_80[22] = { type: 'hash', encoding: 'hashtable-ex', kind: K_HASH2, per: 1 };

/** Valkey RDB 81 (9.2): path hashes. */
const VALKEY_81: (TypeInfo | undefined)[] = [...VALKEY_80];
VALKEY_81[23] = { type: 'pathhash', encoding: 'pathhash', kind: K_PATH_HASH, per: 1 };

/** The value types of an RDB of this flavor and version. */
export function typesOf(flavor: RdbFlavor, version: number): readonly (TypeInfo | undefined)[] {
  if (flavor === 'valkey') return version >= 81 ? VALKEY_81 : VALKEY_80;
  return version >= 13 ? REDIS_13 : version >= 12 ? REDIS_12 : TYPES;
}

/** The common types, for the parser's initial state. */
export const STRING_TYPE = TYPES[0] as TypeInfo;

const MODULE_CHARSET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

/** Characters of the decimal form of an int-encoded string (its STRLEN). */
export function digits(v: number): number {
  let n = v < 0 ? 2 : 1;
  let a = Math.abs(v);
  while (a >= 10) {
    a = Math.floor(a / 10);
    n++;
  }
  return n;
}

/** A module type id: 9 characters of 6 bits above a 10-bit encoding version. */
export function moduleNameOf(id: bigint): string {
  let rest = id >> 10n;
  let name = '';
  for (let j = 0; j < 9; j++) {
    name = MODULE_CHARSET[Number(rest & 63n)] + name;
    rest >>= 6n;
  }
  return name;
}
