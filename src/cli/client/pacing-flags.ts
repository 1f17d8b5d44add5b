/**
 * `tasks create`'s pacing flags: the names `keyheat scan` uses, sent as the create body's
 * per-task options. Ranges come from domain/limits.ts, as the server's own checks do.
 */
import type { ParseArgsConfig } from 'node:util';
import { ANALYSIS_LIMITS, BIGKEY_LIMITS, type Limit } from '../../domain/limits.js';
import { TASK_OPTION_WIRE_NAMES, type TaskOptions } from '../../domain/task.js';
import { optionalNumeric, sampleSeconds } from '../flag-values.js';
import { UsageError } from '../usage-error.js';
import type { Flags } from './run-client.js';

type PacingOption = Exclude<keyof TaskOptions, 'sampleSeconds' | 'sampleReplicas' | 'stringBytes' | 'collectionCount' | 'perType' | 'memoryUsage' | 'strategy' | 'snapshotReplicas'>;

interface PacingFlag {
  readonly flag: string;
  readonly option: PacingOption;
  readonly placeholder: string;
  /** Shorter than the limit's description: one line of --help. */
  readonly help: string;
}

const PACING_FLAGS: readonly PacingFlag[] = [
  { flag: 'max-cpu-share', option: 'maxCpuShare', placeholder: 'S', help: "share of a primary's main thread while it serves others" },
  { flag: 'idle-cpu-share', option: 'idleCpuShare', placeholder: 'S', help: 'the share while it serves nobody else' },
  { flag: 'max-block-us', option: 'maxBlockUs', placeholder: 'US', help: 'longest work of one page on a busy primary; 0 = 500 x share' },
  { flag: 'batch', option: 'batchSize', placeholder: 'N', help: 'keys per page while idle; the largest page ever' },
  { flag: 'busy-batch', option: 'busyBatchSize', placeholder: 'N', help: 'a fixed page size while busy; 0 = from the budgets' },
  { flag: 'rate', option: 'rateLimit', placeholder: 'KEYS_PER_S', help: 'keys per second per primary; 0 = no limit' },
];

const limitOf = (flag: PacingFlag): Limit => ANALYSIS_LIMITS[flag.option];

export const PACING_OPTIONS: NonNullable<ParseArgsConfig['options']> = {
  ...Object.fromEntries(PACING_FLAGS.map((f) => [f.flag, { type: 'string' }])),
  sample: { type: 'string' },
  'sample-replicas': { type: 'boolean' },
  snapshot: { type: 'boolean' },
  'snapshot-replicas': { type: 'boolean' },
};

/** The create body: only the flags given, by their wire names; the server's config decides the rest. */
export function pacingFromFlags(flags: Flags): Record<string, number | boolean | string> {
  const body: Record<string, number | boolean | string> = {};
  for (const f of PACING_FLAGS) {
    const value = optionalNumeric(flags.string(f.flag), `--${f.flag}`, limitOf(f));
    if (value !== undefined) body[TASK_OPTION_WIRE_NAMES[f.option]] = value;
  }
  const seconds = sampleSeconds(flags.string('sample'));
  if (flags.boolean('sample-replicas') && seconds === undefined) throw new UsageError('--sample-replicas needs --sample');
  if (seconds !== undefined) body[TASK_OPTION_WIRE_NAMES.sampleSeconds] = seconds;
  if (flags.boolean('sample-replicas')) body[TASK_OPTION_WIRE_NAMES.sampleReplicas] = true;
  if (flags.boolean('snapshot-replicas') && !flags.boolean('snapshot')) throw new UsageError('--snapshot-replicas needs --snapshot');
  if (flags.boolean('snapshot')) body[TASK_OPTION_WIRE_NAMES.strategy] = 'snapshot';
  if (flags.boolean('snapshot-replicas')) body[TASK_OPTION_WIRE_NAMES.snapshotReplicas] = true;
  return body;
}

/** Width of the flag column in --help: the longest flag ("--idle-cpu-share S") and three spaces. */
const HELP_COLUMN = 21;

/** `--max-cpu-share S  share of ... (0.01-1)`, one line per flag. */
export function pacingHelp(): string {
  return PACING_FLAGS.map((f) => {
    const limit = limitOf(f);
    return `  ${`--${f.flag} ${f.placeholder}`.padEnd(HELP_COLUMN)}${f.help} (${limit.min}-${limit.max.toLocaleString('en-US')})`;
  })
    .concat([
      `  ${'--sample 10s'.padEnd(HELP_COLUMN)}first watch the commands (MONITOR) for this long (1s-120s); see README`,
      `  ${'--sample-replicas'.padEnd(HELP_COLUMN)}watch the replicas too`,
      `  ${'--snapshot'.padEnd(HELP_COLUMN)}read each node's RDB (one fork) instead of scanning; docs/snapshots.md`,
      `  ${'--snapshot-replicas'.padEnd(HELP_COLUMN)}take the RDB from a replica of each shard`,
    ])
    .join('\n');
}

/** `tasks create --big`'s own flags: what makes a key big, for this task only. */
const BIG_FLAGS: readonly { readonly flag: string; readonly option: 'stringBytes' | 'collectionCount' | 'perType'; readonly help: string }[] = [
  { flag: 'string-bytes', option: 'stringBytes', help: 'a string is big above N bytes' },
  { flag: 'collection-count', option: 'collectionCount', help: 'a collection is big above N elements' },
  { flag: 'per-type', option: 'perType', help: 'big keys reported per type' },
];

export const BIG_OPTIONS: NonNullable<ParseArgsConfig['options']> = {
  ...Object.fromEntries(BIG_FLAGS.map((f) => [f.flag, { type: 'string' }])),
  memory: { type: 'boolean' },
};

/** The create body of a big key task: the pacing flags and the thresholds given; --sample is a hot key flag. */
export function bigOptionsFromFlags(flags: Flags, usage: string): Record<string, number | boolean | string> {
  if (flags.string('sample') !== undefined || flags.boolean('sample-replicas')) throw new UsageError('--sample is for hot key tasks, not with --big', usage);
  const body = pacingFromFlags(flags);
  for (const f of BIG_FLAGS) {
    const value = optionalNumeric(flags.string(f.flag), `--${f.flag}`, BIGKEY_LIMITS[f.option]);
    if (value !== undefined) body[TASK_OPTION_WIRE_NAMES[f.option]] = value;
  }
  if (flags.boolean('memory')) body[TASK_OPTION_WIRE_NAMES.memoryUsage] = true;
  return body;
}

/** --big's flags in --help. */
export function bigHelp(): string {
  return BIG_FLAGS.map((f) => {
    const limit = BIGKEY_LIMITS[f.option];
    return `  ${`--${f.flag} N`.padEnd(HELP_COLUMN)}${f.help} (${limit.min}-${limit.max.toLocaleString('en-US')}; default ${limit.default.toLocaleString('en-US')})`;
  })
    .concat([`  ${'--memory'.padEnd(HELP_COLUMN)}read MEMORY USAGE of every key (costs more)`])
    .join('\n');
}
