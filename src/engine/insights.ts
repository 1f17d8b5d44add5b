/**
 * The reading of a finished analysis: each hot key's estimated rate, the nodes' LFU settings,
 * where the heat is, and advice. Pure assembly of what the scan measured.
 */
import { adviseOn } from '../analysis/advice.js';
import { reportedName } from '../analysis/key-name.js';
import { ceilingQps, estimateRate } from '../analysis/lfu-estimate.js';
import type { HotKey } from '../domain/hot-key.js';
import type { GroupHeat, Insights, LfuReport } from '../domain/insights.js';
import type { InstanceMode } from '../domain/instance.js';
import type { LfuSettings } from '../domain/lfu.js';
import type { Sampling } from '../domain/sampling.js';
import type { HotKeyCollector } from './hot-key-collector.js';
import type { ProbedKey } from './probe-candidates.js';

/** Namespaces reported per task. */
export const TOP_PREFIXES = 20;

/** A probed candidate as a reported key, with what its counter means on the node it was read on. */
export function hotKeyOf({ candidate, node, type, size, unit }: ProbedKey, mode: InstanceMode, lfu: LfuSettings): HotKey {
  const estimate = estimateRate(candidate.freq, lfu);
  return {
    ...reportedName(candidate),
    type,
    db: candidate.db,
    ...(mode === 'cluster' ? { shard: node } : {}),
    size,
    unit,
    freq: candidate.freq,
    estQps: estimate.estQps,
    ...(estimate.estQps === null ? { estAccesses: estimate.estAccesses } : {}),
    saturated: estimate.saturated,
  };
}

export interface InsightsInput {
  readonly keys: readonly HotKey[];
  readonly mode: InstanceMode;
  readonly collector: HotKeyCollector;
  /** Every node scanned. */
  readonly nodes: readonly string[];
  readonly scannedKeys: number;
  /** What the sampling phase measured, when the task had one. */
  readonly sampling?: Sampling | undefined;
  /** Nodes whose ACL denied CLIENT NO-TOUCH to the size probes. */
  readonly noTouchDenied?: readonly string[];
}

export function insightsOf({ keys, mode, collector, nodes, scannedKeys, sampling, noTouchDenied = [] }: InsightsInput): Insights {
  const lfu = lfuReports(nodes.map((node) => [node, collector.lfuOf(node)]));
  const prefixes = collector.heat.prefixes(TOP_PREFIXES);
  const groups = collector.heat.groups();
  const shards = mode === 'cluster' ? groups.map(({ group, ...rest }): GroupHeat => ({ shard: group, ...rest })) : null;
  const databases = mode === 'cluster' ? null : groups.map(({ group, ...rest }): GroupHeat => ({ db: Number(group), ...rest })).sort((a, b) => (a.db ?? 0) - (b.db ?? 0));
  const warmKeys = groups.reduce((sum, g) => sum + g.warmKeys, 0);
  return {
    lfu,
    prefixes,
    ...(shards === null ? {} : { shards }),
    ...(databases === null ? {} : { databases }),
    trend: null,
    advice: adviseOn({ keys, lfu, shards, prefixes, scannedKeys, warmKeys, sampling: sampling === undefined ? null : { summary: sampling.sample, noLfuPolicy: null }, noTouchDenied }),
    ...(sampling === undefined ? {} : { sampling }),
  };
}

/** A sampling-only result (a policy without LFU counters): no LFU list, the measured ranking. */
export function samplingOnlyInsights(sampling: Sampling, policy: string): Insights {
  return {
    lfu: [],
    prefixes: [],
    trend: null,
    advice: adviseOn({ keys: [], lfu: [], shards: null, prefixes: [], scannedKeys: 0, warmKeys: 0, sampling: { summary: sampling.sample, noLfuPolicy: policy || '(unknown)' } }),
    sampling,
  };
}

/** One report when the nodes agree, one per node when they differ. */
function lfuReports(byNode: readonly (readonly [string, LfuSettings])[]): LfuReport[] {
  const report = (settings: LfuSettings, node?: string): LfuReport => ({
    ...(node === undefined ? {} : { node }),
    logFactor: settings.logFactor,
    decayTime: settings.decayTime,
    source: settings.source,
    ceilingQps: ceilingQps(settings),
  });
  const first = byNode[0]?.[1];
  if (first === undefined) return [];
  const same = byNode.every(([, s]) => s.logFactor === first.logFactor && s.decayTime === first.decayTime && s.source === first.source);
  return same ? [report(first)] : byNode.map(([node, s]) => report(s, node));
}
