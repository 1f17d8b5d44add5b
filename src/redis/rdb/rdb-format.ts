/**
 * What the RDB format is, as keyheat reads it (rdb-parser.ts is the state machine that walks
 * it): the public shapes of a parsed key, the opcodes, the string encodings, and the table of
 * value types (Redis 4.0-7.2, RDB versions 1-11) with how each is laid out.
 */
import type { BlobKind } from './blobs.js';

export type RdbKeyType = 'string' | 'list' | 'set' | 'zset' | 'hash' | 'stream' | 'module';

export interface RdbKey {
  readonly db: number;
  /** A view valid during onKey only. */
  readonly key: Buffer;
  readonly type: RdbKeyType;
  /** The module type's 9-character name, for module values. */
  readonly moduleName: string | undefined;
  /** Bytes for strings, elements (pairs for hashes, members for zsets) for collections, entries for streams, null for modules. */
  readonly size: number | null;
  readonly unit: 'bytes' | 'elements' | 'entries' | null;
  /** The LFU counter from the FREQ opcode (written under an LFU maxmemory-policy, RDB 9+), else null. */
  readonly freq: number | null;
  /** Seconds since the last access from the IDLE opcode (LRU policies, RDB 9+), else null. */
  readonly idleSeconds: number | null;
  readonly expiresAtMs: number | null;
  /**
   * Bytes of the key's entry in the RDB (type, key and serialized value; not the expiry, FREQ or
   * IDLE opcodes before it): a compressed lower bound of its memory, for big keys by bytes.
   */
  readonly rdbBytes: number;
  /** How the value is stored in the RDB: raw, int, lzf (strings), linkedlist, ziplist, quicklist, quicklist2, listpack, intset, zipmap, hashtable, skiplist, stream, stream2, stream3, module. */
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
  readonly maxKeyBytes: number;
  readonly maxBlobBytes: number;
}

export const RDB_LIMITS: RdbLimits = { maxKeyBytes: 512 * 1024 * 1024, maxBlobBytes: 64 * 1024 * 1024 };

/** The newest format read: RDB 11 (Redis 7.2). */
export const MAX_RDB_VERSION = 11;

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

export interface TypeInfo {
  readonly type: RdbKeyType;
  readonly encoding: string;
  readonly kind: number;
  /** RDB strings per element (hash: field and value). */
  readonly per: number;
  readonly blob?: BlobKind;
  /** A blob holding field/value or member/score pairs: the size is half its entries. */
  readonly pairs?: boolean;
  readonly streamVersion?: number;
}

export const TYPES: (TypeInfo | undefined)[] = [];
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
