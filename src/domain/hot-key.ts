/** One reported hot key, in keyheat's words (the wire mapper turns it into DCS's HotkeysBody). */
export interface HotKey {
  /** UTF-8 key name, or the redis-cli style escaped form when the bytes are not valid UTF-8. */
  readonly name: string;
  /** Exact bytes of the name, base64, present only when `name` had to be escaped. */
  readonly nameBase64?: string;
  /** string, list, set, zset, hash, or the server's own type name (stream, module types). */
  readonly type: string;
  readonly db: number;
  /** `ip:port` of the primary holding the key; only for cluster instances. */
  readonly shard?: string;
  readonly size: number;
  readonly unit: 'byte' | 'count';
  /** The LFU logarithmic counter as OBJECT FREQ reported it during the scan. */
  readonly freq: number;
}

/** Counters of one analysis, reported next to the keys. */
export interface AnalysisStats {
  /** Keys returned by SCAN and checked with OBJECT FREQ. */
  readonly scannedKeys: number;
  /** Keys that disappeared between SCAN and a later probe: data, not an error. */
  readonly vanishedKeys: number;
  /** Keys whose type changed between TYPE and the size probe; skipped. */
  readonly changedKeys: number;
  readonly durationMs: number;
}

/** Keys at or below the counter a new key starts with were never accessed enough to be hot. */
export const LFU_INIT_VAL = 5;
