/**
 * `tasks create`'s option flags, made from the option catalogue (domain/task-options.ts): the
 * flags, their ranges, which kinds take them and their --help lines are the same entries the
 * server's body schemas and refusals are made from. Each flag given is sent as the create body's
 * option by its wire name; a flag not given leaves the server's configuration in charge.
 */
import type { ParseArgsConfig } from 'node:util';
import { escapeControls } from '../../domain/display-text.js';
import { kindSpec, kindsPhrase } from '../../domain/task-kinds.js';
import { TASK_OPTIONS, TASK_OPTION_WIRE_NAMES, type TaskOptionSpec } from '../../domain/task-options.js';
import type { TaskKind } from '../../domain/task-status.js';
import { optionalNumeric, sampleSeconds } from '../flag-values.js';
import { UsageError } from '../usage-error.js';
import { KIND_FLAG } from './kind-flags.js';
import type { Flags } from './run-client.js';

/** The catalogue's options that have a flag. */
const FLAGGED = TASK_OPTIONS.filter((spec): spec is TaskOptionSpec & { flag: string } => spec.flag !== null);

/** Every option flag, for parseArgs; --snapshot stands for strategy "snapshot". */
export const OPTION_FLAGS: NonNullable<ParseArgsConfig['options']> = {
  ...Object.fromEntries(FLAGGED.map((spec) => [spec.flag, { type: spec.value.type === 'boolean' ? 'boolean' : 'string' }])),
  snapshot: { type: 'boolean' },
};

/** The create body of a task of `kind`: the flags given, by their wire names. */
export function optionsFromFlags(flags: Flags, kind: TaskKind, usage: string): Record<string, number | boolean | string> {
  const body: Record<string, number | boolean | string> = {};
  const snapshot = flags.boolean('snapshot');
  if (snapshot) {
    const strategy = TASK_OPTIONS.find((spec) => spec.option === 'strategy');
    if (strategy !== undefined && !strategy.kinds.includes(kind)) {
      const how = kindSpec(kind).strategies.includes('snapshot') ? 'always reads an RDB' : `reads the keyspace by ${kindSpec(kind).strategies.join(' or ')} only`;
      throw new UsageError(`--snapshot is for ${kindsPhrase(strategy.kinds)}: ${kindSpec(kind).article} ${how}`, usage);
    }
    body[TASK_OPTION_WIRE_NAMES.strategy] = 'snapshot';
  }
  for (const spec of FLAGGED) {
    const given = spec.value.type === 'boolean' ? flags.boolean(spec.flag) : flags.string(spec.flag) !== undefined;
    if (!given) continue;
    if (!spec.kinds.includes(kind)) throw new UsageError(`--${spec.flag} is for ${kindsPhrase(spec.kinds)}${kindFlagHint(spec.kinds, kind)}`, usage);
    body[spec.wire] = valueOf(spec, flags, usage);
  }
  for (const spec of FLAGGED) {
    if (spec.kinds.includes(kind) && spec.required === true && body[spec.wire] === undefined) {
      throw new UsageError(`tasks create${kindFlagOf(kind)} needs --${spec.flag}${spec.placeholder === '' ? '' : ` ${spec.placeholder}`}: ${spec.help}`, usage);
    }
    if (body[spec.wire] === undefined || spec.needs === undefined) continue;
    const needed = FLAGGED.find((other) => other.option === spec.needs?.option);
    const neededFlag = spec.needs.option === 'strategy' ? 'snapshot' : needed?.flag;
    if (body[TASK_OPTION_WIRE_NAMES[spec.needs.option]] === undefined) throw new UsageError(`--${spec.flag} needs --${neededFlag ?? spec.needs.option}`, usage);
  }
  return body;
}

/** ` --big`: the flag of a kind, with its space; '' for hot keys. */
function kindFlagOf(kind: TaskKind): string {
  const flag = KIND_FLAG[kind];
  return flag === null ? '' : ` --${flag}`;
}

/** How to ask for a task of the kinds that take a flag: `: add --big`, `, not with --expired`. */
function kindFlagHint(kinds: readonly TaskKind[], given: TaskKind): string {
  const givenFlag = KIND_FLAG[given];
  if (givenFlag !== null) return `, not with --${givenFlag}`;
  const only = kinds.length === 1 && kinds[0] !== undefined ? KIND_FLAG[kinds[0]] : null;
  return only === null ? '' : `: add --${only}`;
}

function valueOf(spec: TaskOptionSpec & { flag: string }, flags: Flags, usage: string): number | boolean | string {
  const text = flags.string(spec.flag);
  switch (spec.value.type) {
    case 'boolean':
      return true;
    case 'enum':
      return text ?? '';
    case 'string': {
      // The body schema's own rule, checked here so the flag is named before any request.
      const value = text ?? '';
      if (value.length > spec.value.maxLength || !new RegExp(spec.value.pattern).test(value)) {
        throw new UsageError(`--${spec.flag} takes ${spec.placeholder === '' ? 'a value' : spec.placeholder} (${spec.help}), got "${escapeControls(value, 80)}"`, usage);
      }
      return value;
    }
    case 'number':
      // --sample takes a window such as 10s or 2m.
      if (spec.option === 'sampleSeconds') return sampleSeconds(text, `--${spec.flag}`) ?? 0;
      return optionalNumeric(text, `--${spec.flag}`, spec.value.limit) ?? spec.value.limit.default;
  }
}

/** Width of the flag column in --help: the longest flag ("--collection-count N") and a space. */
const HELP_COLUMN = 22;

function helpLine(spec: TaskOptionSpec & { flag: string }, withDefault: boolean): string {
  const head = `  ${`--${spec.flag}${spec.placeholder === '' ? '' : ` ${spec.placeholder}`}`.padEnd(HELP_COLUMN)}${spec.help}`;
  if (spec.value.type !== 'number' || spec.option === 'sampleSeconds') return head;
  const { limit } = spec.value;
  return `${head} (${limit.min}-${limit.max.toLocaleString('en-US')}${withDefault ? `; default ${limit.default.toLocaleString('en-US')}` : ''})`;
}

/** The kinds that take a shared flag, when not every kind with pacing does: ` [hot, --big]`. */
function kindsNote(kinds: readonly TaskKind[], of: readonly TaskKind[]): string {
  if (of.every((kind) => kinds.includes(kind))) return '';
  return ` [${kinds.map((kind) => (KIND_FLAG[kind] === null ? 'hot' : `--${KIND_FLAG[kind]}`)).join(', ')}]`;
}

/** The --help lines of the flags several kinds take (pacing, snapshots): `--max-cpu-share S  share of ... (0.01-1)`. */
export function sharedOptionsHelp(): string {
  const specs = FLAGGED.filter((spec) => spec.kinds.length > 1);
  // Every kind some pacing flag is for: a flag for fewer says which.
  const paced = [...new Set(specs.flatMap((spec) => spec.kinds))];
  const shared = specs.map((spec) => `${helpLine(spec, false)}${kindsNote(spec.kinds, paced)}`);
  const strategy = TASK_OPTIONS.find((spec) => spec.option === 'strategy')?.kinds ?? [];
  const [last] = shared.splice(-1);
  return [...shared, `  ${'--snapshot'.padEnd(HELP_COLUMN)}read each node's RDB (one fork) instead of scanning; docs/snapshots.md${kindsNote(strategy, paced)}`, ...(last === undefined ? [] : [last])].join('\n');
}

/** The --help lines of the flags only `kind` takes, with their defaults. */
export function ownOptionsHelp(kind: TaskKind): string {
  return FLAGGED.filter((spec) => spec.kinds.length === 1 && spec.kinds[0] === kind)
    .map((spec) => helpLine(spec, spec.kinds[0] !== 'hot'))
    .join('\n');
}
