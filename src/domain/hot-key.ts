import type { ReportedName } from './reported-name.js';

/** One reported hot key, in keyheat's words (the wire mapper turns it into DCS's HotkeysBody). */
export interface HotKey extends ReportedName {
  /** string, list, set, zset, hash, or the server's own type name (stream, module types). */
  readonly type: string;
  readonly db: number;
  /** `ip:port` of the primary holding the key; only for cluster instances. */
  readonly shard?: string;
  readonly size: number;
  readonly unit: 'byte' | 'count';
  /** The LFU logarithmic counter as OBJECT FREQ reported it during the scan. */
  readonly freq: number;
  /**
   * Reads per second at which the counter settles at `freq` on its node (docs/reading-results.md);
   * null where the node's LFU settings make counters count accesses instead of a rate.
   * Absent on tasks finished before keyheat estimated rates.
   */
  readonly estQps?: number | null;
  /** Where estQps is null: the accesses expected to bring a new key's counter to `freq`. */
  readonly estAccesses?: number | null;
  /** freq is 255: the estimate is a lower bound. */
  readonly saturated?: boolean;
  /** The key's counter in the instance's previous successful task; null when it was not in that task's keys. */
  readonly previousFreq?: number | null;
  /** Measured by the task's sampling phase, when the key was seen in it (domain/sampling.ts). */
  readonly sampledQps?: number;
  readonly sampledShare?: number;
  /** Also in the instance's latest successful big key task (set when a task is read, not stored). */
  readonly alsoBig?: boolean;
}

/** What scanning a node cost it, measured from its INFO commandstats. */
export interface NodePacing {
  /** Share of the node's main thread spent in SCAN and OBJECT while it was scanned; null where INFO commandstats is refused. */
  readonly cpuShare: number | null;
  /** Longest block of work one batch of the scan cost the node (its keys times the per-key cost measured around it), microseconds; null if unmeasured. */
  readonly longestBlockUs: number | null;
  /** Whether the node served other clients at some point of its scan (the busy budgets applied then). */
  readonly trafficSeen: boolean;
}

/** One node of a finished analysis. */
export interface NodeReport extends NodePacing {
  /** `ip:port` of the node. */
  readonly node: string;
  readonly scannedKeys: number;
  /** Keys the node held when its scan started. */
  readonly expectedKeys: number;
}

/** Counters of one analysis, reported next to the keys. */
export interface AnalysisStats {
  /** Per node scanned (absent in tasks finished before keyheat measured pacing). */
  readonly nodes?: readonly NodeReport[];
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
