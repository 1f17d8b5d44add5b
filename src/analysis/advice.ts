/**
 * Advice for an operator, from a finished analysis: what the numbers mean and what to do about
 * them. Stable codes; the messages are for people.
 */
import type { HotKey } from '../domain/hot-key.js';
import type { Advice, GroupHeat, LfuReport, PrefixHeat } from '../domain/insights.js';
import type { SampleSummary } from '../domain/sampling.js';
import { logFactorFor } from './lfu-estimate.js';

export interface AdviceInput {
  readonly keys: readonly HotKey[];
  readonly lfu: readonly LfuReport[];
  readonly shards: readonly GroupHeat[] | null;
  readonly prefixes: readonly PrefixHeat[];
  readonly scannedKeys: number;
  readonly warmKeys: number;
  /** The sampling phase, when the task had one; noLfuPolicy names the policy when there was no LFU scan. */
  readonly sampling?: { readonly summary: SampleSummary; readonly noLfuPolicy: string | null } | null;
  /** Nodes whose ACL denied CLIENT NO-TOUCH to the size probes of the reported keys. */
  readonly noTouchDenied?: readonly string[];
}

/** The measured cost of MONITOR (bench/sampling-cost.ts; docs/sampling.md "What sampling costs"). */
export const SAMPLING_COST =
  'measured in bench/sampling-cost.ts, a saturated Redis served 0.75x its throughput meanwhile (0.38x with pipelined clients), a steady load of 20k/s kept its throughput with its p99 at 1.5x';

/** A group carrying at least this share of the heat "carries most of it". */
const DOMINANT_SHARE = 0.5;

export function adviseOn(input: AdviceInput): Advice[] {
  return [
    samplingOnly(input),
    saturated(input),
    noWarmKeys(input),
    shardImbalance(input),
    namespaceDominates(input),
    noRates(input),
    assumed(input),
    noTouchDenied(input),
    differing(input),
    samplingStopped(input),
    samplingCost(input),
  ].filter(
    (advice): advice is Advice => advice !== null,
  );
}

function saturated(input: AdviceInput): Advice | null {
  const { keys, lfu } = input;
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
      `${ceiling === null ? '' : ` (${Number((ceiling * 10).toPrecision(3))}/s)`}; counters then climb more slowly.` +
      (input.sampling == null ? ' A task with sample_seconds ranks such keys by their measured rate.' : ' `sampled` ranks them by their measured rate (sampled_qps).'),
  };
}

/** No LFU scan: the policy keeps no counters, the sampled ranking is the answer. */
function samplingOnly({ sampling }: AdviceInput): Advice | null {
  if (sampling == null || sampling.noLfuPolicy === null) return null;
  return {
    code: 'sampling-only',
    message:
      `maxmemory-policy ${sampling.noLfuPolicy} keeps no LFU counters, so the LFU list (keys) is empty: \`sampled\` ranks keys by the commands seen in ` +
      `${sampling.summary.seconds} s of MONITOR, which covers only keys used in that window. CONFIG SET maxmemory-policy allkeys-lfu (or volatile-lfu) ` +
      'adds the complete, counter-based list.',
  };
}

/** A node's window was cut: the rates cover less time there, or keyheat could not keep up. */
function samplingStopped({ sampling }: AdviceInput): Advice | null {
  const stopped = sampling?.summary.perNode.filter((n) => n.stoppedEarly !== null) ?? [];
  if (stopped.length === 0) return null;
  const first = stopped[0] as SampleSummary['perNode'][number];
  return {
    code: 'sampling-stopped-early',
    message: `The sampling window ended early on ${stopped.length === 1 ? first.node : `${stopped.length} nodes, first ${first.node}`}: ${first.stoppedEarly ?? ''}. Rates there cover ${first.seconds} s; a shorter window or a quieter hour measures more evenly.`,
  };
}

/** What MONITOR cost: said every time, not hidden (docs/sampling.md "What sampling costs"). */
function samplingCost({ sampling }: AdviceInput): Advice | null {
  if (sampling == null) return null;
  const { seconds, nodes, commandsPerS } = sampling.summary;
  return {
    code: 'sampling-cost',
    message:
      `The sampling phase ran MONITOR on ${nodes} node${nodes === 1 ? '' : 's'} for ${seconds} s (${commandsPerS.toLocaleString('en-US')} commands/s seen). ` +
      `While MONITOR runs, Redis formats and sends every command to keyheat: ${SAMPLING_COST}. Keep windows short on busy instances.`,
  };
}

function noWarmKeys({ scannedKeys, warmKeys, sampling }: AdviceInput): Advice | null {
  if (scannedKeys === 0 || warmKeys > 0 || sampling?.noLfuPolicy != null) return null;
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
    message:
      "CONFIG GET was refused (renamed, or the ACL user lacks +config|get), so the estimates assume Redis's defaults (lfu-log-factor 10, lfu-decay-time 1); " +
      'allow CONFIG GET lfu-* (ACL: +config|get) for exact ones.',
  };
}

function noTouchDenied({ noTouchDenied: nodes = [] }: AdviceInput): Advice | null {
  if (nodes.length === 0) return null;
  return {
    code: 'no-touch-denied',
    message:
      `The ACL user may not run CLIENT NO-TOUCH on ${nodes.length === 1 ? nodes[0] : `${nodes.length} nodes, first ${nodes[0]}`} (add +client|no-touch): ` +
      "sizing the reported keys counted as one read of each, which the next analysis's counters include.",
  };
}

function differing({ lfu }: AdviceInput): Advice | null {
  if (lfu.length < 2) return null;
  return {
    code: 'lfu-settings-differ',
    message: "The primaries' LFU settings differ, so their counters mean different rates: keys are ranked by counter, and each key's estimate uses its own node's settings.",
  };
}
