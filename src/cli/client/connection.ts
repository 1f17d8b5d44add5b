/**
 * Where the client finds keyheat and who it is: --server, --project, --token, else
 * KEYHEAT_SERVER, KEYHEAT_PROJECT, KEYHEAT_TOKEN (flags beat the environment, as for serve).
 */
import type { ParseArgsConfig } from 'node:util';
import { escapeControls } from '../../domain/display-text.js';
import { ID_PATTERN } from '../../wire/common-schemas.js';
import { optionalNumeric } from '../flag-values.js';
import { UsageError } from '../usage-error.js';

export const DEFAULT_SERVER = 'http://127.0.0.1:8080';

/**
 * Registration and task creation check the Redis before answering: connect + AUTH (5 s) and a
 * command (10 s) by default, so a request may take 15 s and still be answered.
 */
export const DEFAULT_TIMEOUT_MS = 30_000;
const TIMEOUT_RANGE = { min: 100, max: 3_600_000, integer: true } as const;

/** Flags every client command takes. */
export const CONNECTION_OPTIONS = {
  server: { type: 'string' },
  project: { type: 'string' },
  token: { type: 'string' },
  timeout: { type: 'string' },
  json: { type: 'boolean' },
} as const satisfies NonNullable<ParseArgsConfig['options']>;

export interface Connection {
  /** The base URL, without a trailing slash; a path prefix (keyheat behind a proxy) is kept. */
  readonly server: string;
  readonly project: string;
  readonly token: string;
  readonly timeoutMs: number;
}

const ID = new RegExp(ID_PATTERN);
/** Header values: printable ASCII only, so a stray newline cannot end the header. */
const TOKEN = /^[\x21-\x7e]+$/;

export function connectionFrom(flags: { readonly [name: string]: unknown }, env: NodeJS.ProcessEnv, usage: string): Connection {
  const pick = (flag: string, variable: string): string | undefined => {
    const value = flags[flag];
    if (typeof value === 'string') return value;
    const fromEnv = env[variable];
    return fromEnv === undefined || fromEnv === '' ? undefined : fromEnv;
  };
  const project = pick('project', 'KEYHEAT_PROJECT');
  if (project === undefined) throw new UsageError('no project: give --project ID or set KEYHEAT_PROJECT (keyheat serve prints the id at its first start)', usage);
  if (!ID.test(project)) throw new UsageError(`the project id must be 1 to 64 letters, digits, "_" or "-", got "${printable(project)}"`, usage);
  const token = pick('token', 'KEYHEAT_TOKEN');
  if (token === undefined) throw new UsageError('no token: set KEYHEAT_TOKEN (or give --token, which shows in the process list)', usage);
  if (!TOKEN.test(token)) throw new UsageError('the token must be printable ASCII without spaces', usage);
  const timeout = typeof flags['timeout'] === 'string' ? flags['timeout'] : undefined;
  return {
    server: serverUrl(pick('server', 'KEYHEAT_SERVER') ?? DEFAULT_SERVER, usage),
    project,
    token,
    timeoutMs: optionalNumeric(timeout, '--timeout', TIMEOUT_RANGE) ?? DEFAULT_TIMEOUT_MS,
  };
}

/** Checks an id argument (instance, task) against the API's path rule before it goes into a URL. */
export function checkId(value: string, what: string, usage: string): string {
  if (!ID.test(value)) throw new UsageError(`${what} must be 1 to 64 letters, digits, "_" or "-", got "${printable(value)}"`, usage);
  return value;
}

function serverUrl(value: string, usage: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new UsageError(`--server must be a URL such as ${DEFAULT_SERVER}, got "${printable(value)}"`, usage);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new UsageError(`--server must be an http:// or https:// URL, got "${printable(value)}"`, usage);
  if (url.search !== '' || url.hash !== '' || url.username !== '' || url.password !== '') {
    throw new UsageError('--server takes no query, fragment or credentials: the token goes in --token or KEYHEAT_TOKEN', usage);
  }
  return `${url.origin}${url.pathname.replace(/\/+$/, '')}`;
}

/** Arguments are echoed in messages: shown escaped and bounded, like server text. */
function printable(value: string): string {
  return escapeControls(value, 80);
}
