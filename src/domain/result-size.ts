/**
 * A task's stored result has a size it cannot exceed (retention.max_result_bytes): what a
 * server makes an analysis report (a thousand hot keys, 64 types of a thousand big keys, a
 * thousand cluster nodes) is bounded by configuration when it is stored, and so is what reading
 * the task loads. A result over the bound keeps the most telling part of each list (the hottest
 * keys, the biggest keys of each type, the first nodes) and says what it left out in an advice
 * entry, `result-trimmed`.
 */
import type { BigKeyResult } from './big-key.js';
import type { ExpireScanResult } from './expire-report.js';
import type { Advice, Insights } from './insights.js';
import type { OfflineAnalysis } from './offline-report.js';
import type { AnalysisOutcome, BigKeyOutcome, ExpireOutcome, OfflineOutcome, TaskOutcome } from './task.js';
import type { TaskKind } from './task-status.js';

/** What a trimmed result says about itself. */
export const RESULT_TRIMMED = 'result-trimmed';

/** Bytes of `value` as stored (JSON, UTF-8). */
export function jsonBytes(value: unknown): number {
  return Buffer.byteLength(JSON.stringify(value));
}

/**
 * A list of an outcome that may lose its tail: its items' stored sizes, and the outcome with only
 * its first `n` (the outcome itself where it has no such list).
 */
interface Cuttable<O> {
  readonly what: string;
  sizes(outcome: O): readonly number[];
  cut(outcome: O, n: number): O;
}

function cuttable<O, T>(what: string, get: (outcome: O) => readonly T[] | undefined, set: (outcome: O, items: readonly T[]) => O): Cuttable<O> {
  return {
    what,
    sizes: (outcome) => sizesOf(get(outcome)),
    cut: (outcome, n) => {
      const items = get(outcome);
      return items === undefined ? outcome : set(outcome, items.slice(0, n));
    },
  };
}

/** How a kind's outcome is cut: its lists, most telling items first, and where it says it was. */
interface Trimming<O> {
  readonly lists: readonly Cuttable<O>[];
  note(outcome: O, advice: Advice): O;
}

type OutcomeOf = { readonly hot: AnalysisOutcome; readonly big: BigKeyOutcome; readonly expire: ExpireOutcome; readonly offline: OfflineOutcome };

/** A hot key outcome with its insights changed by `change` (one without insights stays so). */
function withInsights(outcome: AnalysisOutcome, change: (insights: Insights) => Insights): AnalysisOutcome {
  return outcome.insights === undefined ? outcome : { ...outcome, insights: change(outcome.insights) };
}

const big = (outcome: BigKeyOutcome, result: Partial<BigKeyResult>): BigKeyOutcome => ({ kind: 'big', result: { ...outcome.result, ...result } });
const expire = (outcome: ExpireOutcome, result: Partial<ExpireScanResult>): ExpireOutcome => ({ kind: 'expire', result: { ...outcome.result, ...result } });
const offline = (outcome: OfflineOutcome, result: Partial<OfflineAnalysis>): OfflineOutcome => ({ kind: 'offline', result: { ...outcome.result, ...result } });

const TRIMMING: { readonly [K in TaskKind]: Trimming<OutcomeOf[K]> } = {
  hot: {
    lists: [
      cuttable('hot keys', (o) => o.keys, (o, keys) => ({ ...o, keys })),
      cuttable('new keys of the trend', (o) => o.insights?.trend?.new, (o, items) => withInsights(o, (i) => ({ ...i, trend: i.trend === null ? null : { ...i.trend, new: items } }))),
      cuttable('gone keys of the trend', (o) => o.insights?.trend?.gone, (o, items) => withInsights(o, (i) => ({ ...i, trend: i.trend === null ? null : { ...i.trend, gone: items } }))),
      cuttable('sampled keys', (o) => o.insights?.sampling?.sampled, (o, sampled) => withInsights(o, (i) => (i.sampling === undefined ? i : { ...i, sampling: { ...i.sampling, sampled } }))),
      cuttable('shards', (o) => o.insights?.shards, (o, shards) => withInsights(o, (i) => ({ ...i, shards }))),
      cuttable('databases', (o) => o.insights?.databases, (o, databases) => withInsights(o, (i) => ({ ...i, databases }))),
      cuttable('nodes', (o) => o.stats.nodes, (o, nodes) => ({ ...o, stats: { ...o.stats, nodes } })),
      cuttable('snapshot nodes', (o) => o.insights?.snapshot?.nodes, (o, nodes) => withInsights(o, (i) => (i.snapshot === undefined ? i : { ...i, snapshot: { ...i.snapshot, nodes } }))),
    ],
    note: (o, advice) => withInsights(o, (i) => ({ ...i, advice: [...i.advice.filter((a) => a.code !== RESULT_TRIMMED), advice] })),
  },
  big: {
    lists: [
      cuttable('big keys', (o) => o.result.keys, (o, keys) => big(o, { keys })),
      cuttable('nodes', (o) => o.result.stats.nodes, (o, nodes) => big(o, { stats: { ...o.result.stats, nodes } })),
      cuttable('snapshot nodes', (o) => o.result.snapshot?.nodes, (o, nodes) => big(o, o.result.snapshot === undefined ? {} : { snapshot: { ...o.result.snapshot, nodes } })),
    ],
    note: (o, advice) => big(o, { advice: [...o.result.advice.filter((a) => a.code !== RESULT_TRIMMED), advice] }),
  },
  expire: {
    lists: [
      cuttable('namespaces', (o) => o.result.ttl.namespaces, (o, namespaces) => expire(o, { ttl: { ...o.result.ttl, namespaces } })),
      cuttable('databases', (o) => o.result.ttl.databases, (o, databases) => expire(o, { ttl: { ...o.result.ttl, databases } })),
      cuttable('nodes', (o) => o.result.nodes, (o, nodes) => expire(o, { nodes })),
    ],
    note: (o, advice) => expire(o, { trimmed: advice.message }),
  },
  offline: {
    lists: [
      cuttable('largest keys', (o) => o.result.report.largestKeys, (o, largestKeys) => offline(o, { report: { ...o.result.report, largestKeys } })),
      cuttable('largest key prefixes', (o) => o.result.report.largestKeyPrefixes, (o, largestKeyPrefixes) => offline(o, { report: { ...o.result.report, largestKeyPrefixes } })),
      cuttable('hot keys', (o) => o.result.hot?.keys, (o, keys) => offline(o, { hot: o.result.hot === null ? null : { ...o.result.hot, keys } })),
      cuttable('snapshot nodes', (o) => o.result.snapshot.nodes, (o, nodes) => offline(o, { snapshot: { ...o.result.snapshot, nodes } })),
    ],
    note: (o, advice) => offline(o, { trimmed: advice.message }),
  },
};

/** The trimming of an outcome's kind (a hot key outcome is stored without its kind). */
function trimmingOf(outcome: TaskOutcome): Trimming<TaskOutcome> {
  return TRIMMING[outcome.kind ?? 'hot'] as unknown as Trimming<TaskOutcome>;
}

/**
 * The outcome as it may be stored: itself when it fits in `maxBytes`, else with its lists cut
 * to the longest prefixes that fit (every list to the same share of its length, found by
 * bisection), and an advice entry saying what was left out.
 */
export function fitOutcome(outcome: TaskOutcome, maxBytes: number): TaskOutcome {
  const total = jsonBytes(outcome);
  if (total <= maxBytes) return outcome;
  // Room for the advice entry that says what was cut.
  const budget = maxBytes - 1024;
  const trimming = trimmingOf(outcome);
  const lists = trimming.lists.map((list) => ({ what: list.what, sizes: list.sizes(outcome) }));
  const itemBytes = lists.reduce((sum, list) => sum + list.sizes.reduce((a, b) => a + b, 0), 0);
  const fixed = total - itemBytes;
  const keptBytes = (share: number): number => lists.reduce((sum, list) => sum + list.sizes.slice(0, kept(list, share)).reduce((a, b) => a + b, 0), 0);
  let low = 0;
  let high = 1;
  for (let i = 0; i < 30; i++) {
    const mid = (low + high) / 2;
    if (fixed + keptBytes(mid) <= budget) low = mid;
    else high = mid;
  }
  const counts = lists.map((list) => kept(list, low));
  const left = lists.flatMap((list, i) => {
    const n = counts[i] as number;
    return n < list.sizes.length ? [`${list.sizes.length - n} of ${list.sizes.length} ${list.what}`] : [];
  });
  const advice: Advice = {
    code: RESULT_TRIMMED,
    message: `The result was ${total.toLocaleString('en-US')} bytes, more than retention.max_result_bytes (${maxBytes.toLocaleString('en-US')}): ${left.join(', ')} were left out (the least hot, the smallest, the last listed). Raise it to keep whole results.`,
  };
  const cutTo = (ns: readonly number[]): TaskOutcome => trimming.note(trimming.lists.reduce((o, list, i) => list.cut(o, ns[i] as number), outcome), advice);
  const cut = cutTo(counts);
  // What cannot be cut (the fixed part alone over the bound): the lists go entirely.
  return jsonBytes(cut) <= maxBytes ? cut : cutTo(counts.map(() => 0));
}

function kept(list: { readonly sizes: readonly number[] }, share: number): number {
  return Math.floor(list.sizes.length * share);
}

function sizesOf(items: readonly unknown[] | undefined | null): number[] {
  return (items ?? []).map((item) => jsonBytes(item) + 1);
}
