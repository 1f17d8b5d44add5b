/**
 * A task's stored result has a size it cannot exceed (retention.max_result_bytes): what a
 * server makes an analysis report (a thousand hot keys, 64 types of a thousand big keys, a
 * thousand cluster nodes) is bounded by configuration when it is stored, and so is what reading
 * the task loads. A result over the bound keeps the most telling part of each list (the hottest
 * keys, the biggest keys of each type, the first nodes) and says what it left out in an advice
 * entry, `result-trimmed`.
 */
import type { Advice } from './insights.js';
import type { TaskOutcome } from './task.js';

/** What a trimmed result says about itself. */
export const RESULT_TRIMMED = 'result-trimmed';

/** Bytes of `value` as stored (JSON, UTF-8). */
export function jsonBytes(value: unknown): number {
  return Buffer.byteLength(JSON.stringify(value));
}

/** A list of the outcome that may be cut: its items' sizes, and how to rebuild the outcome with its first `n`. */
interface Cuttable {
  readonly what: string;
  readonly sizes: readonly number[];
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
  const lists = listsOf(outcome);
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
  const cut = cutOutcome(outcome, counts, advice);
  // What cannot be cut (the fixed part alone over the bound): the lists go entirely.
  return jsonBytes(cut) <= maxBytes ? cut : cutOutcome(outcome, counts.map(() => 0), advice);
}

function kept(list: Cuttable, share: number): number {
  return Math.floor(list.sizes.length * share);
}

function sizesOf(items: readonly unknown[] | undefined | null): number[] {
  return (items ?? []).map((item) => jsonBytes(item) + 1);
}

/** The lists an outcome may lose the tail of, in a fixed order (cutOutcome follows it). */
function listsOf(outcome: TaskOutcome): Cuttable[] {
  if (outcome.kind === 'big') {
    const r = outcome.result;
    return [
      { what: 'big keys', sizes: sizesOf(r.keys) },
      { what: 'nodes', sizes: sizesOf(r.stats.nodes) },
      { what: 'snapshot nodes', sizes: sizesOf(r.snapshot?.nodes) },
    ];
  }
  if (outcome.kind === 'expire') {
    const r = outcome.result;
    return [
      { what: 'namespaces', sizes: sizesOf(r.ttl.namespaces) },
      { what: 'databases', sizes: sizesOf(r.ttl.databases) },
      { what: 'nodes', sizes: sizesOf(r.nodes) },
    ];
  }
  if (outcome.kind === 'offline') {
    const r = outcome.result;
    return [
      { what: 'largest keys', sizes: sizesOf(r.report.largestKeys) },
      { what: 'largest key prefixes', sizes: sizesOf(r.report.largestKeyPrefixes) },
      { what: 'hot keys', sizes: sizesOf(r.hot?.keys) },
      { what: 'snapshot nodes', sizes: sizesOf(r.snapshot.nodes) },
    ];
  }
  const insights = outcome.insights;
  return [
    { what: 'hot keys', sizes: sizesOf(outcome.keys) },
    { what: 'new keys of the trend', sizes: sizesOf(insights?.trend?.new) },
    { what: 'gone keys of the trend', sizes: sizesOf(insights?.trend?.gone) },
    { what: 'sampled keys', sizes: sizesOf(insights?.sampling?.sampled) },
    { what: 'shards', sizes: sizesOf(insights?.shards) },
    { what: 'databases', sizes: sizesOf(insights?.databases) },
    { what: 'nodes', sizes: sizesOf(outcome.stats.nodes) },
    { what: 'snapshot nodes', sizes: sizesOf(insights?.snapshot?.nodes) },
  ];
}

function cutOutcome(outcome: TaskOutcome, counts: readonly number[], advice: Advice): TaskOutcome {
  const n = (i: number): number => counts[i] as number;
  if (outcome.kind === 'big') {
    const r = outcome.result;
    return {
      kind: 'big',
      result: {
        ...r,
        keys: r.keys.slice(0, n(0)),
        stats: { ...r.stats, nodes: r.stats.nodes.slice(0, n(1)) },
        ...(r.snapshot === undefined ? {} : { snapshot: { ...r.snapshot, nodes: r.snapshot.nodes.slice(0, n(2)) } }),
        advice: [...r.advice.filter((a) => a.code !== RESULT_TRIMMED), advice],
      },
    };
  }
  if (outcome.kind === 'expire') {
    const r = outcome.result;
    return { kind: 'expire', result: { ...r, ttl: { ...r.ttl, namespaces: r.ttl.namespaces.slice(0, n(0)), databases: r.ttl.databases.slice(0, n(1)) }, nodes: r.nodes.slice(0, n(2)), trimmed: advice.message } };
  }
  if (outcome.kind === 'offline') {
    const r = outcome.result;
    return {
      kind: 'offline',
      result: {
        ...r,
        report: { ...r.report, largestKeys: r.report.largestKeys.slice(0, n(0)), largestKeyPrefixes: r.report.largestKeyPrefixes.slice(0, n(1)) },
        hot: r.hot === null ? null : { ...r.hot, keys: r.hot.keys.slice(0, n(2)) },
        snapshot: { ...r.snapshot, nodes: r.snapshot.nodes.slice(0, n(3)) },
        trimmed: advice.message,
      },
    };
  }
  const insights = outcome.insights;
  return {
    ...outcome,
    keys: outcome.keys.slice(0, n(0)),
    stats: { ...outcome.stats, ...(outcome.stats.nodes === undefined ? {} : { nodes: outcome.stats.nodes.slice(0, n(6)) }) },
    ...(insights === undefined
      ? {}
      : {
          insights: {
            ...insights,
            trend: insights.trend === null ? null : { ...insights.trend, new: insights.trend.new.slice(0, n(1)), gone: insights.trend.gone.slice(0, n(2)) },
            ...(insights.sampling === undefined ? {} : { sampling: { ...insights.sampling, sampled: insights.sampling.sampled.slice(0, n(3)) } }),
            ...(insights.shards === undefined ? {} : { shards: insights.shards.slice(0, n(4)) }),
            ...(insights.databases === undefined ? {} : { databases: insights.databases.slice(0, n(5)) }),
            ...(insights.snapshot === undefined ? {} : { snapshot: { ...insights.snapshot, nodes: insights.snapshot.nodes.slice(0, n(7)) } }),
            advice: [...insights.advice.filter((a) => a.code !== RESULT_TRIMMED), advice],
          },
        }),
  };
}
