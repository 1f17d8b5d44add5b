/**
 * Which task kind a client command means (domain/task-kinds.ts): hot keys without a flag,
 * --big, --expired (the expired key scan), --offline (offline key analysis). One table, so
 * that `tasks`, `autoscan`, the option flags' refusals and the hints printed agree.
 */
import type { ParseArgsConfig } from 'node:util';
import { TASK_KINDS, type TaskKind } from '../../domain/task-status.js';
import { UsageError } from '../usage-error.js';
import type { Flags } from './run-client.js';

/** The flag that asks for a kind; null for hot keys, the default. */
export const KIND_FLAG: { readonly [K in TaskKind]: string | null } = Object.freeze({ hot: null, big: 'big', expire: 'expired', offline: 'offline' });

/** The kind flags of `kinds`, for parseArgs. */
export function kindOptions(kinds: readonly TaskKind[] = TASK_KINDS): NonNullable<ParseArgsConfig['options']> {
  return Object.fromEntries(kinds.flatMap((kind) => (KIND_FLAG[kind] === null ? [] : [[KIND_FLAG[kind], { type: 'boolean' as const }]])));
}

/** ` --big` (with its space) for a kind with a flag, '' for hot keys: to print a command to run next. */
export function kindSuffix(kind: TaskKind): string {
  const flag = KIND_FLAG[kind];
  return flag === null ? '' : ` --${flag}`;
}

/** How a person asks for `kind` on a command line: "--big", or "hot keys (no kind flag)". */
export function kindAsked(kind: TaskKind): string {
  const flag = KIND_FLAG[kind];
  return flag === null ? 'hot key analysis (no kind flag)' : `--${flag}`;
}

/** The kind the flags ask for; two kind flags are a usage error. */
export function kindOf(flags: Flags, usage: string, kinds: readonly TaskKind[] = TASK_KINDS): TaskKind {
  const given = kinds.filter((kind) => {
    const flag = KIND_FLAG[kind];
    return flag !== null && flags.boolean(flag);
  });
  if (given.length > 1) throw new UsageError(`${given.map(kindAsked).join(' and ')} are different analyses: give one of them`, usage);
  return given[0] ?? 'hot';
}
