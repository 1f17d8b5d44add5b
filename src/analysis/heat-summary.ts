/**
 * Where the heat is: every warm key (counter above 5) scanned, not only the top-K, summed by
 * namespace and by shard or database. Pure; the collector feeds it.
 *
 * A key's heat is its estimated rate (reads/s) where the counters hold rates, else the accesses
 * its counter stands for (lfu-estimate.ts); the unit is the analysis's, from the seed node's
 * settings, so one sum never mixes units.
 *
 * Memory is bounded whatever the keyspace: namespaces go into one Space-Saving summary per node
 * (space-saving.ts) of PREFIX_COUNTERS / nodes counters (between 64 and 1000), merged at the
 * end; a node read again after a failover has its summary dropped and rebuilt, so nothing is
 * counted twice. Accuracy, W the total heat and k the counters per node: on one node a namespace
 * heavier than W / k is always kept, overestimated by at most W / k; merged, a namespace's heat
 * is within W / k of the truth (docs/reading-results.md).
 * Groups (shards, databases) are exact: there are few of them.
 */
import { LFU_INIT_VAL } from '../domain/hot-key.js';
import type { GroupHeat, PrefixHeat } from '../domain/insights.js';
import { displayKeyName } from './key-name.js';
import type { LfuSettings } from '../domain/lfu.js';
import { SpaceSaving } from './space-saving.js';

export interface PrefixSettings {
  /** Each character is a delimiter (default ':'). */
  readonly delimiters: string;
  /** The namespace is the name up to the depth-th delimiter (1-3). */
  readonly depth: number;
}

export type HeatUnit = 'qps' | 'accesses';

/** Namespace counters per analysis, shared by its nodes. */
export const PREFIX_COUNTERS = 64_000;
/** Longest namespace kept, bytes: a key name up to its first delimiter may be anything. */
const MAX_PREFIX_BYTES = 256;

interface GroupSums {
  scanned: number;
  warm: number;
  heat: number;
}

interface NodeHeat {
  readonly prefixes: SpaceSaving<string>;
  readonly groups: Map<string, GroupSums>;
}

/** The namespace of a name: up to its depth-th delimiter, or its last one; '' without any. */
export function prefixOf(name: Buffer, delimiters: ReadonlySet<number>, depth: number): Buffer {
  let end = -1;
  let found = 0;
  for (let i = 0; i < name.length && i <= MAX_PREFIX_BYTES; i++) {
    if (delimiters.has(name[i] as number)) {
      end = i;
      found += 1;
      if (found === depth) break;
    }
  }
  return end < 0 ? Buffer.alloc(0) : name.subarray(0, Math.min(end, MAX_PREFIX_BYTES));
}

/** A key's heat in the analysis's unit, from its counter and its node's LFU settings. */
export function heatOf(freq: number, lfu: LfuSettings, unit: HeatUnit): number {
  const base = Math.max(0, Math.min(freq, 255) - LFU_INIT_VAL);
  return unit === 'qps' ? (base * lfu.logFactor + 1) / 60 : base + (lfu.logFactor * base * (base - 1)) / 2;
}

export class HeatSummary {
  private readonly nodes = new Map<string, NodeHeat>();
  private readonly groupNames = new Set<string>();
  private readonly delimiterBytes: Set<number>;
  private capacity = 1000;

  constructor(
    private readonly settings: PrefixSettings,
    readonly unit: HeatUnit,
  ) {
    this.delimiterBytes = new Set([...settings.delimiters].map((c) => c.charCodeAt(0)));
  }

  /** How many nodes will be scanned (a cluster's primaries): they share PREFIX_COUNTERS. Before any key. */
  expectNodes(count: number): void {
    this.capacity = Math.max(64, Math.min(1000, Math.floor(PREFIX_COUNTERS / Math.max(1, count))));
  }

  /** Groups (shards, databases) seen so far, over every node. */
  groupCount(): number {
    return this.groupNames.size;
  }

  hasGroup(group: string): boolean {
    return this.groupNames.has(group);
  }

  /** `keys` keys of `group` were scanned on `node`. */
  scanned(node: string, group: string, keys: number): void {
    this.group(node, group).scanned += keys;
  }

  /** A key with a counter above 5. */
  warm(node: string, group: string, name: Buffer, freq: number, lfu: LfuSettings): void {
    const heat = heatOf(freq, lfu, this.unit);
    const sums = this.group(node, group);
    sums.warm += 1;
    sums.heat += heat;
    this.nodeHeat(node).prefixes.offer(prefixOf(name, this.delimiterBytes, this.settings.depth).toString('latin1'), heat);
  }

  /** Drops what a node contributed (it failed and is read again from its replacement). */
  forgetNode(node: string): void {
    this.nodes.delete(node);
  }

  /** The `n` hottest namespaces, merged over the nodes. */
  prefixes(n: number): PrefixHeat[] {
    const merged = new Map<string, { heat: number; keys: number }>();
    const summaries = [...this.nodes.values()].map((node) => node.prefixes);
    for (const summary of summaries) for (const { key } of summary.top(this.capacity)) merged.set(key, { heat: 0, keys: 0 });
    for (const summary of summaries) {
      const kept = new Map(summary.top(this.capacity).map((entry) => [entry.key, entry]));
      for (const [key, sums] of merged) {
        const entry = kept.get(key);
        if (entry === undefined) continue;
        sums.heat += entry.weight;
        sums.keys += entry.count;
      }
    }
    const total = this.totalHeat();
    return [...merged]
      .sort((a, b) => b[1].heat - a[1].heat)
      .slice(0, n)
      .map(([key, sums]) => {
        const display = displayKeyName(Buffer.from(key, 'latin1'));
        return {
          prefix: display.name,
          ...(display.base64 === undefined ? {} : { prefixBase64: display.base64 }),
          keys: sums.keys,
          ...this.heatFields(sums.heat, total),
        };
      });
  }

  /** Every group (shard or database), with its share of the heat. */
  groups(): (Omit<GroupHeat, 'shard' | 'db'> & { readonly group: string })[] {
    const sums = new Map<string, GroupSums>();
    for (const node of this.nodes.values()) {
      for (const [group, part] of node.groups) {
        const into = sums.get(group) ?? { scanned: 0, warm: 0, heat: 0 };
        into.scanned += part.scanned;
        into.warm += part.warm;
        into.heat += part.heat;
        sums.set(group, into);
      }
    }
    const total = this.totalHeat();
    return [...sums].map(([group, s]) => ({ group, scannedKeys: s.scanned, warmKeys: s.warm, ...this.heatFields(s.heat, total) }));
  }

  /** The largest overestimate of a namespace's heat (the Space-Saving bound), in the unit. */
  prefixErrorBound(): number {
    return [...this.nodes.values()].reduce((sum, node) => sum + node.prefixes.errorBound, 0);
  }

  private heatFields(heat: number, total: number): { estQps: number | null; estAccesses: number | null; share: number } {
    const rounded = Number(heat.toPrecision(4));
    return {
      estQps: this.unit === 'qps' ? rounded : null,
      estAccesses: this.unit === 'accesses' ? Math.round(heat) : null,
      share: total > 0 ? Math.round((heat / total) * 1000) / 1000 : 0,
    };
  }

  private totalHeat(): number {
    let total = 0;
    for (const node of this.nodes.values()) for (const part of node.groups.values()) total += part.heat;
    return total;
  }

  private nodeHeat(node: string): NodeHeat {
    let heat = this.nodes.get(node);
    if (heat === undefined) {
      heat = { prefixes: new SpaceSaving<string>(this.capacity), groups: new Map() };
      this.nodes.set(node, heat);
    }
    return heat;
  }

  private group(node: string, group: string): GroupSums {
    const groups = this.nodeHeat(node).groups;
    let sums = groups.get(group);
    if (sums === undefined) {
      sums = { scanned: 0, warm: 0, heat: 0 };
      groups.set(group, sums);
      this.groupNames.add(group);
    }
    return sums;
  }
}
