/**
 * What a sampling phase measured (docs/reading-results.md "Sampled rates"): MONITOR on every
 * node for a bounded window, each command's keys counted in a bounded heavy-hitters summary.
 * Unlike LFU counters, these are measured rates: they do not saturate and need no LFU policy.
 */

import type { ReportedName } from './reported-name.js';

/** One key ranked by its measured rate; its name as HotKey's (a long one truncated, with its hash). */
export interface SampledKey extends ReportedName {
  readonly db: number;
  /** `ip:port` of the primary of the key's shard; cluster instances only. */
  readonly shard?: string;
  /** Commands per second that named the key, over the window (an upper bound: see `error`). */
  readonly qps: number;
  /** The key's commands as a share of every command seen, 0-1. */
  readonly share: number;
  /** How much of `qps` may belong to other keys (Space-Saving's overestimate); qps - error is a lower bound. */
  readonly error: number;
}

/** One node watched. */
export interface SampleNodeReport {
  readonly node: string;
  readonly role: 'primary' | 'replica';
  readonly commandsSeen: number;
  /** Seconds this node was watched (shorter when it stopped early). */
  readonly seconds: number;
  /** Why this node's window ended before the others', or null. */
  readonly stoppedEarly: string | null;
}

export interface SampleSummary {
  /** The window asked for, seconds. */
  readonly requestedSeconds: number;
  /** The window as it ran: the longest node's, seconds. */
  readonly seconds: number;
  /** Every command seen on every node, with or without keys. */
  readonly commandsSeen: number;
  readonly commandsPerS: number;
  /** Nodes watched. */
  readonly nodes: number;
  /** The largest overestimate any reported qps can carry (Space-Saving: commands / counters / seconds), per s. */
  readonly bound: number;
  /** Counters per node in the summary. */
  readonly counters: number;
  /** The first node's reason when a node stopped early, else null. */
  readonly stoppedEarly: string | null;
  readonly perNode: readonly SampleNodeReport[];
}

export interface Sampling {
  /** Top keys by measured rate, hottest first. */
  readonly sampled: readonly SampledKey[];
  readonly sample: SampleSummary;
}
