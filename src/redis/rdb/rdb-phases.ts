/**
 * The RDB parser's phases and small codes, shared by its layers (rdb-cursor.ts bytes,
 * rdb-strings.ts strings across chunks, rdb-values.ts value encodings, rdb-parser.ts the file).
 */

/** Items up to this size wait for their last byte in the carry-over instead of being collected. */
export const INLINE_LIMIT = 64 * 1024;

// Parser phases.
export const P_MAGIC = 0;
export const P_TOP = 1;
export const P_VALUE = 2;
export const P_ELEMS = 3;
export const P_STREAM = 4;
export const P_MODULE = 5;
export const P_SKIP = 6;
export const P_COLLECT = 7;
export const P_FINISH = 8;
export const P_CHECKSUM = 9;
export const P_DONE = 10;
/** A run of lengths whose values are not needed (a slot import's ranges). */
export const P_LENS = 11;
/** The 4-byte class of the next metadata class of a key (Redis RDB 13 KEY_META). */
export const P_META_CLASS = 12;
export const PHASE_NAMES = [
  'the header',
  'an opcode',
  'a value',
  'a collection',
  'a stream',
  'a module value',
  'a string',
  'a string',
  'a value',
  'the checksum',
  'nothing',
  'a slot import',
  'key metadata',
];

// What collected bytes are for (C_LZF: still compressed, collectUlen is their length).
export const C_NONE = 0;
export const C_KEY = 1;
export const C_AUX = 2;
export const C_BLOB = 3;
export const C_LZF = 8;
export const C_BLOB_LZF = C_BLOB | C_LZF;

/** What a finished value is reported as. */
export const FOR_KEY = 0;
export const FOR_FUNCTION = 1;
export const FOR_MODULE_AUX = 2;
/** A key's module metadata (KEY_META), skipped; the key itself follows. */
export const FOR_KEY_META = 3;
