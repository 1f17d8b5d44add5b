/**
 * What can go wrong between the client and keyheat, and the exit code of each: the codes of
 * `keyheat scan` (domain/failure-map.ts), so a script treats both commands alike.
 */
import type { Static } from '@sinclair/typebox';
import { escapeControls } from '../../domain/display-text.js';
import { ERROR_CATALOGUE } from '../../domain/errors.js';
import { failureKindOf, FAILURE_MAP, SCAN_EXIT } from '../../domain/failure-map.js';
import { TASK_KIND_SPECS } from '../../domain/task-kinds.js';
import type { ErrorBody } from '../../wire/common-schemas.js';

/** The longest server text shown: the wire schema's bound for error_msg. */
const MAX_SHOWN = 1024;

/** keyheat answered with a DCS error envelope. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly body: Static<typeof ErrorBody>,
    readonly requestId: string | null,
  ) {
    super(`${body.error_code}: ${body.error_msg}`);
    this.name = 'ApiError';
  }
}

/** No answer at all: connection refused, no such host, TLS failure, or no answer within --timeout. */
export class ServerUnreachable extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ServerUnreachable';
  }
}

/** An answer that is not keyheat's: a proxy's error page, a redirect, a body of another shape. */
export class UnexpectedAnswer extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UnexpectedAnswer';
  }
}

/** Ctrl-C. The message says what the interruption left behind (a task still running). */
export class Interrupted extends Error {
  constructor(message = 'interrupted') {
    super(message);
    this.name = 'Interrupted';
  }
}

/** A failure the command has already put in words, with its exit code (a failed task, a task deleted while waited for). */
export class CommandFailure extends Error {
  constructor(
    message: string,
    readonly exitCode: number,
  ) {
    super(message);
    this.name = 'CommandFailure';
  }
}

/** Each kind's "the instance cannot be analysed so" (DCS.4922, DCS.4919, DCS.4818, DCS.4026). */
const UNSUPPORTED: ReadonlySet<string> = new Set(Object.values(TASK_KIND_SPECS).map((spec) => ERROR_CATALOGUE[spec.errors.unsupported].dcsCode));

/**
 * 401: the token was refused, like a Redis refusing a password (3). 503: this keyheat is
 * shutting down and another may answer (3, like a server that cannot be reached). DCS.4922
 * (and each kind's own code for it, domain/task-kinds.ts): the Redis cannot be analysed (4). DCS.4049: a primary cannot be reached or refuses the stored
 * credentials (3; its error_ext_msg is the node's detail without the failure's kind, so the
 * rarer kinds behind it, a protocol error or network.allow, cannot be told apart and share it).
 * A registration refused for a Redis failure names the kind in error_ext_msg: that kind's code,
 * as scan's. Anything else (403, 404, other 400s, 500) is 1.
 */
export function exitCodeOf(error: ApiError): number {
  if (error.status === 401 || error.status === 503) return SCAN_EXIT.unreachable;
  if (UNSUPPORTED.has(error.body.error_code)) return SCAN_EXIT.unsupported;
  if (error.body.error_code === 'DCS.4049') return SCAN_EXIT.unreachable;
  return exitCodeOfFailureText(error.body.error_ext_msg);
}

/** A failed task's error_msg opens with its failure's summary: exit as `keyheat scan` would have. */
export function exitCodeOfFailureText(text: string | null | undefined): number {
  const kind = text === null || text === undefined ? null : failureKindOf(text);
  return kind === null ? SCAN_EXIT.failure : FAILURE_MAP[kind].exitCode;
}

/** The error as stderr shows it: code and message, keyheat's precise reason, a hint where one helps. */
export function describeApiError(error: ApiError): string {
  const { error_code: code, error_msg: message, error_ext_msg: detail } = error.body;
  const lines = [`${shown(code)}: ${shown(message)}`];
  if (detail !== null && detail !== '') lines.push(`  ${shown(detail)}`);
  if (error.status === 401) lines.push('  (the project comes from --project or KEYHEAT_PROJECT, the token from --token or KEYHEAT_TOKEN)');
  // Unexpected errors are detailed only in the server's log, under this id.
  if (error.status >= 500 && error.requestId !== null) lines.push(`  (X-Request-Id ${shown(error.requestId)})`);
  return lines.join('\n');
}

/** Text from the server, made safe for a terminal: controls and bidi characters escaped, length bounded. */
export function shown(text: string): string {
  return escapeControls(text, MAX_SHOWN);
}
