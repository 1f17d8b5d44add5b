/**
 * TLS toward Redis from the command line, with redis-cli's flags: --cacert FILE, --cert FILE,
 * --key FILE, --sni NAME, --insecure. Any of them turns TLS on (as rediss:// does); the files
 * are read here, so a missing one is a usage error (exit 2) before anything connects. The
 * service receives the PEM text (`keyheat instances add`), as its API takes it.
 */
import { readFileSync } from 'node:fs';
import { DEFAULT_TLS, type RedisTls } from '../domain/instance.js';
import { escapeControls } from '../domain/display-text.js';
import { tlsMaterialProblem } from '../redis/tls-material.js';
import { UsageError } from './usage-error.js';

/** The flags, for node:util parseArgs. */
export const REDIS_TLS_OPTIONS = {
  cacert: { type: 'string' },
  cert: { type: 'string' },
  key: { type: 'string' },
  sni: { type: 'string' },
  insecure: { type: 'boolean' },
} as const;

/** The wire's bound on PEM text (RegisterInstanceBody). */
const MAX_PEM_BYTES = 65_536;

export interface TlsFlagValues {
  readonly cacert?: string | undefined;
  readonly cert?: string | undefined;
  readonly key?: string | undefined;
  readonly sni?: string | undefined;
  readonly insecure?: boolean | undefined;
}

/** The TLS settings the flags give; null when none of them was given. */
export function tlsFromFlags(values: TlsFlagValues, usage?: string): RedisTls | null {
  const given = values.cacert !== undefined || values.cert !== undefined || values.key !== undefined || values.sni !== undefined || values.insecure === true;
  if (!given) return null;
  const settings: RedisTls = {
    ...DEFAULT_TLS,
    ca: pem(values.cacert, '--cacert', usage),
    cert: pem(values.cert, '--cert', usage),
    key: pem(values.key, '--key', usage),
    servername: values.sni ?? null,
    insecure: values.insecure === true,
  };
  const problem = tlsMaterialProblem(settings);
  if (problem !== null) throw new UsageError(problem.replace(/tls\.(ca|cert|key)/g, (_, name: string) => (name === 'ca' ? '--cacert' : `--${name}`)), usage);
  return settings;
}

function pem(file: string | undefined, flag: string, usage: string | undefined): string | null {
  if (file === undefined) return null;
  let text: Buffer;
  try {
    text = readFileSync(file);
  } catch (error) {
    throw new UsageError(`${flag} ${escapeControls(file)}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`, usage);
  }
  if (text.length > MAX_PEM_BYTES) throw new UsageError(`${flag} ${escapeControls(file)} is larger than ${MAX_PEM_BYTES} bytes: not a PEM file`, usage);
  return text.toString('utf8');
}
