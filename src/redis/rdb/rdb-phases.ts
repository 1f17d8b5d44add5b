/**
 * The RDB parser's phases and small codes, shared by its layers (rdb-cursor.ts bytes,
 * rdb-strings.ts strings across chunks, rdb-values.ts value encodings, rdb-parser.ts the file).
 */

/** Items up to this size wait for their last byte in the carry-over instead of being collected. */
export const INLINE_LIMIT = 64 * 1024;
/**
 * LZF data to materialise (a key name, a blob to walk) up to this many compressed bytes waits to
 * be here whole and is inflated in one go; longer data is inflated as it arrives. LZF inflates
 * at most about 88 times, so one step inflates at most about 1.4 MB whatever the input.
 */
export const LZF_WAIT_LIMIT = 16 * 1024;

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
/** A string read as it arrives by a consumer (a long key name into its hash, a blob into its walk), through its LZF decompression if compressed. */
export const P_FEED = 13;
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
  'a long key name or compact value',
];

// What collected bytes are for (C_LZF: still compressed, collectUlen is their length).
export const C_NONE = 0;
export const C_AUX = 2;
export const C_LZF = 8;

/** What a finished value is reported as. */
export const FOR_KEY = 0;
export const FOR_FUNCTION = 1;
export const FOR_MODULE_AUX = 2;
/** A key's module metadata (KEY_META), skipped; the key itself follows. */
export const FOR_KEY_META = 3;
