/**
 * What a Redis failure means, decided once. The HTTP API (registration and task creation), the
 * task runner (error_msg, instance health) and `keyheat scan` (exit code) all read this table;
 * none of them decides on its own. docs/errors.md shows the same table.
 */
import type { ErrorKind } from './errors.js';
import type { InstanceStatus } from './instance.js';
import type { RedisFailure, RedisFailureKind } from './redis-failure.js';

/** `keyheat scan` exit codes (docs/cli.md "keyheat scan"). */
export const SCAN_EXIT = { ok: 0, failure: 1, usage: 2, unreachable: 3, unsupported: 4, interrupted: 130 } as const;

export interface FailureMeaning {
  /** The DCS error of a request that met this failure while checking the instance (create task). */
  readonly error: ErrorKind;
  /**
   * Registration answers DCS.4800 `Invalid {param} in the request.` naming this parameter; null:
   * it answers `error` instead (the instance is there, keyheat cannot get through to it).
   */
  readonly registerParam: 'url' | 'password' | null;
  readonly exitCode: number;
  /** What the instance's status becomes; null leaves it as it was. */
  readonly health: InstanceStatus | null;
  /** Opens the task's error_msg and the CLI's message: what happened, in an operator's words. */
  readonly summary: string;
}

export const FAILURE_MAP: Readonly<Record<RedisFailureKind, FailureMeaning>> = {
  unreachable: { error: 'instanceNotRunning', registerParam: 'url', exitCode: SCAN_EXIT.unreachable, health: 'ERROR', summary: 'cannot reach Redis' },
  timeout: { error: 'instanceNotRunning', registerParam: 'url', exitCode: SCAN_EXIT.unreachable, health: 'ERROR', summary: 'Redis did not answer in time' },
  auth: { error: 'instanceNotRunning', registerParam: 'password', exitCode: SCAN_EXIT.unreachable, health: 'ERROR', summary: 'Redis refused the credentials' },
  tls: { error: 'instanceNotRunning', registerParam: null, exitCode: SCAN_EXIT.unreachable, health: 'ERROR', summary: 'the TLS connection failed' },
  'no-permission': {
    error: 'hotkeyUnsupported',
    registerParam: 'url',
    exitCode: SCAN_EXIT.unsupported,
    health: 'RUNNING',
    summary: "the Redis user may not run a command keyheat needs",
  },
  unsupported: { error: 'hotkeyUnsupported', registerParam: 'url', exitCode: SCAN_EXIT.unsupported, health: 'RUNNING', summary: 'the analysis is not supported here' },
  denied: { error: 'instanceNotRunning', registerParam: 'url', exitCode: SCAN_EXIT.unsupported, health: 'ERROR', summary: 'keyheat may not connect there (network.allow)' },
  sentinel: { error: 'instanceNotRunning', registerParam: null, exitCode: SCAN_EXIT.unreachable, health: 'ERROR', summary: 'no Sentinel could name the primary' },
  protocol: { error: 'instanceNotRunning', registerParam: 'url', exitCode: SCAN_EXIT.failure, health: 'ERROR', summary: 'the server does not speak the Redis protocol as expected' },
  limit: { error: 'instanceNotRunning', registerParam: 'url', exitCode: SCAN_EXIT.failure, health: 'ERROR', summary: 'a reply exceeded a configured limit' },
  'cluster-down': { error: 'instanceNotRunning', registerParam: 'url', exitCode: SCAN_EXIT.unreachable, health: 'ERROR', summary: 'the cluster is not serving all its slots' },
  loading: { error: 'instanceNotRunning', registerParam: 'url', exitCode: SCAN_EXIT.unreachable, health: 'ERROR', summary: 'Redis is still loading its dataset' },
  busy: { error: 'instanceNotRunning', registerParam: 'url', exitCode: SCAN_EXIT.unreachable, health: 'ERROR', summary: 'Redis is blocked by a script' },
  cancelled: { error: 'serviceStopping', registerParam: 'url', exitCode: SCAN_EXIT.interrupted, health: null, summary: 'the analysis was stopped' },
  deadline: { error: 'internal', registerParam: 'url', exitCode: SCAN_EXIT.failure, health: null, summary: 'the analysis ran longer than allowed' },
  other: { error: 'instanceNotRunning', registerParam: 'url', exitCode: SCAN_EXIT.failure, health: null, summary: 'Redis answered with an error' },
};

export function meaningOf(failure: RedisFailure): FailureMeaning {
  return FAILURE_MAP[failure.kind];
}

/** The sentence a task's error_msg and the CLI show: the summary, then the node's own detail. */
export function describeFailure(failure: RedisFailure): string {
  return `${meaningOf(failure).summary}: ${failure.message}`;
}

/**
 * The kind a described failure (a failed task's error_msg, a registration's error_ext_msg) was
 * made from, read back from the summary describeFailure put first; null for any other text.
 * The CLI client needs it: over HTTP it sees only the sentence, and its exit code must be the
 * one `keyheat scan` gives for the same failure.
 */
export function failureKindOf(text: string): RedisFailureKind | null {
  // The wording before big key analysis shared it, in tasks that failed then.
  if (text.startsWith('hot key analysis is not supported: ')) return 'unsupported';
  for (const [kind, meaning] of Object.entries(FAILURE_MAP) as [RedisFailureKind, FailureMeaning][]) {
    if (text.startsWith(`${meaning.summary}: `)) return kind;
  }
  return null;
}
