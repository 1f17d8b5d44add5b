/**
 * Advice for an operator, from a finished analysis: what the numbers mean and what to do about
 * them. Stable codes; the messages are for people.
 */
import type { HotKey } from '../domain/hot-key.js';
import type { Advice, GroupHeat, LfuReport, PrefixHeat } from '../domain/insights.js';
import { logFactorFor } from './lfu-estimate.js';

export interface AdviceInput {
  readonly keys: readonly HotKey[];
  readonly lfu: readonly LfuReport[];
  readonly shards: readonly GroupHeat[] | null;
  readonly prefixes: readonly PrefixHeat[];
  readonly scannedKeys: number;
  readonly warmKeys: number;
}

/** A group carrying at least this share of the heat "carries most of it". */
const DOMINANT_SHARE = 0.5;

export function adviseOn(input: AdviceInput): Advice[] {
  return [saturated(input), noWarmKeys(input), shardImbalance(input), namespaceDominates(input), noRates(input), assumed(input), differing(input)].filter(
    (advice): advice is Advice => advice !== null,
  );
}

function saturated({ keys, lfu }: AdviceInput): Advice | null {
  const count = keys.filter((key) => key.saturated === true).length;
  const settings = lfu[0];
  if (count === 0 || settings === undefined) return null;
  const ceiling = settings.ceilingQps;
  const factor = logFactorFor(settings, 10);
  const reads = ceiling === null ? 'more accesses than the counter can count' : `at least ${ceiling} reads/s`;
  return {
    code: 'saturated-keys',
    message:
      `${count} of the reported keys ${count === 1 ? 'is' : 'are'} at the counter's ceiling (255): ${reads}, and LFU cannot rank ${count === 1 ? 'it' : 'them'} further. ` +
      `CONFIG SET lfu-log-factor ${factor} (now ${settings.logFactor}) would put a rate ten times higher under the ceiling` +
      `${ceiling === null ? '' : ` (${Number((ceiling * 10).toPrecision(3))}/s)`}; counters then climb more slowly.`,
  };
}

function noWarmKeys({ scannedKeys, warmKeys }: AdviceInput): Advice | null {
  if (scannedKeys === 0 || warmKeys > 0) return null;
  return {
    code: 'no-warm-keys',
    message:
      'No key has a counter above 5 (a new key\'s value): the instance served no reads lately, or its counters started again ' +
      '(after a failover the new primary has its own counters; a restart without persistence resets them).',
  };
}

function shardImbalance({ shards }: AdviceInput): Advice | null {
  if (shards === null || shards.length < 2) return null;
  const top = [...shards].sort((a, b) => b.share - a.share)[0];
  if (top === undefined || top.share < DOMINANT_SHARE) return null;
  return {
    code: 'shard-imbalance',
    message: `Shard ${top.shard ?? '?'} carries ${Math.round(top.share * 100)}% of the estimated reads of ${shards.length} shards: its primary is the one to watch, and the hot keys on it are the ones to spread (hash tags, local caching, replicas for reads).`,
  };
}

function namespaceDominates({ prefixes }: AdviceInput): Advice | null {
  const top = prefixes[0];
  if (top === undefined || top.share < DOMINANT_SHARE) return null;
  const who = top.prefix === '' ? 'Keys without a namespace carry' : `The namespace "${top.prefix}" carries`;
  const warm = `${top.keys} warm key${top.keys === 1 ? '' : 's'}`;
  return { code: 'namespace-dominates', message: `${who} ${Math.round(top.share * 100)}% of the estimated reads (${warm}).` };
}

function noRates({ lfu }: AdviceInput): Advice | null {
  const without = lfu.filter((l) => l.ceilingQps === null);
  if (without.length === 0) return null;
  const l = without[0] as LfuReport;
  const why =
    l.decayTime === 0
      ? 'lfu-decay-time 0: counters never decay'
      : l.logFactor === 0
        ? 'lfu-log-factor 0: every access adds one, and the counter settles at no rate'
        : `lfu-decay-time ${l.decayTime}: a key read at least once every ${l.decayTime} minutes never decays (Redis decays only after that long without access)`;
  return {
    code: 'no-rates',
    message: `${why}${l.node === undefined ? '' : ` (${l.node})`}, so counters count accesses, not a rate: est_accesses is reported instead of est_qps. CONFIG SET lfu-decay-time 1 makes counters settle at a rate.`,
  };
}

function assumed({ lfu }: AdviceInput): Advice | null {
  if (!lfu.some((l) => l.source === 'assumed')) return null;
  return {
    code: 'lfu-assumed',
    message: "CONFIG GET was refused, so the estimates assume Redis's defaults (lfu-log-factor 10, lfu-decay-time 1); allow CONFIG GET lfu-* for exact ones.",
  };
}

function differing({ lfu }: AdviceInput): Advice | null {
  if (lfu.length < 2) return null;
  return {
    code: 'lfu-settings-differ',
    message: "The primaries' LFU settings differ, so their counters mean different rates: keys are ranked by counter, and each key's estimate uses its own node's settings.",
  };
}
