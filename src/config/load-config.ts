/**
 * Builds the effective configuration: defaults < config file < environment < flags.
 * Environment names are KEYHEAT_ plus the option path in upper case (KEYHEAT_SERVER_PORT,
 * KEYHEAT_DATABASE_URL, KEYHEAT_ANALYSIS_TOP_K...), with the short forms KEYHEAT_HOST and
 * KEYHEAT_PORT; KEYHEAT_CONFIG names the config file.
 */
import { closeSync, openSync, readFileSync, readSync } from 'node:fs';
import { BlockList } from 'node:net';
import path from 'node:path';
import { Kind, type TSchema } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { parse as parseYaml } from 'yaml';
import { parseCidr, type Cidr } from '../domain/cidr.js';
import { findRepeatedCredential } from './check-credentials.js';
import { ConfigError } from './config-error.js';
import { ConfigSchema, type KeyheatConfig } from './config-schema.js';

export { ConfigError };

export interface ConfigSources {
  readonly file?: string | undefined;
  readonly env?: NodeJS.ProcessEnv;
  /** Already-parsed flags, as a partial config. */
  readonly flags?: Record<string, unknown>;
}

export const ENV_ALIASES: Readonly<Record<string, readonly string[]>> = {
  KEYHEAT_HOST: ['server', 'host'],
  KEYHEAT_PORT: ['server', 'port'],
  KEYHEAT_SECRET_KEY: ['secrets', 'key'],
};

export function loadConfig(sources: ConfigSources = {}): KeyheatConfig {
  const env = sources.env ?? process.env;
  const file = sources.file ?? env['KEYHEAT_CONFIG'];
  let merged: Record<string, unknown> = file === undefined || file === '' ? {} : readConfigFile(file);
  merged = deepMerge(merged, envOverrides(env));
  merged = deepMerge(merged, sources.flags ?? {});

  const withDefaults = Value.Default(ConfigSchema, Value.Convert(ConfigSchema, merged));
  const errors = [...Value.Errors(ConfigSchema, withDefaults)];
  if (errors.length > 0) {
    const lines = errors.slice(0, 10).map((e) => `  ${e.path === '' ? '(root)' : e.path}: ${e.message}`);
    throw new ConfigError(`invalid configuration${file === undefined ? '' : ` (${file})`}:\n${lines.join('\n')}`);
  }
  const config = withDefaults as KeyheatConfig;
  for (const cidr of config.network.allow) {
    let problem: string | null;
    try {
      problem = coversIpv4(parseCidr(cidr)) ? `"${cidr}" would allow every IPv4 address too (IPv4 is matched as ::ffff:a.b.c.d); list 0.0.0.0/0 for that, or a narrower IPv6 range` : null;
    } catch (error) {
      problem = (error as Error).message;
    }
    if (problem !== null) throw new ConfigError(`invalid configuration${file === undefined ? '' : ` (${file})`}:\n  /network/allow: ${problem}`);
  }
  config.notifications.webhooks.forEach((webhook, i) => {
    const problem = webhookUrlProblem(webhook.url);
    if (problem !== null) throw new ConfigError(`invalid configuration${file === undefined ? '' : ` (${file})`}:\n  /notifications/webhooks/${i}/url: ${problem}`);
  });
  const tokenProblem = readMetricsTokenFile(config);
  if (tokenProblem !== null) throw new ConfigError(`invalid configuration${file === undefined ? '' : ` (${file})`}:\n  /metrics/token_file: ${tokenProblem}`);
  const repeated = findRepeatedCredential(config.projects);
  if (repeated !== null) throw new ConfigError(`invalid configuration${file === undefined ? '' : ` (${file})`}:\n  ${repeated}`);
  return config;
}

/** Sets metrics.token from metrics.token_file; returns why it cannot, or null. */
function readMetricsTokenFile(config: KeyheatConfig): string | null {
  const tokenFile = config.metrics.token_file;
  if (tokenFile === undefined) return null;
  if (config.metrics.token !== undefined) return 'metrics.token is set too (KEYHEAT_METRICS_TOKEN?): give the token one way';
  // Its first line only, read as at most 4 KiB: a path to something endless cannot hang the start.
  const buffer = Buffer.alloc(4096);
  let length: number;
  try {
    const fd = openSync(tokenFile, 'r');
    try {
      length = readSync(fd, buffer, 0, buffer.length, 0);
    } finally {
      closeSync(fd);
    }
  } catch (error) {
    return `cannot read ${tokenFile}: ${(error as Error).message}`;
  }
  const token = (buffer.subarray(0, length).toString('utf8').split('\n')[0] ?? '').trim();
  if (token.length < 16) return `${tokenFile} must hold a token of at least 16 characters on its first line`;
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(token)) return `${tokenFile} holds control characters on its first line: a bearer token is printable`;
  (config.metrics as { token?: string }).token = token;
  return null;
}

/** Why a webhook URL cannot be used, or null: an http(s) URL with a host and without credentials (they would be logged and sent). */
function webhookUrlProblem(text: string): string | null {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return 'not a URL';
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return `${url.protocol} is not http: or https:`;
  if (url.hostname === '') return 'no host';
  if (url.username !== '' || url.password !== '') return 'credentials in the URL: the signature (secret) authenticates keyheat to the receiver';
  return null;
}

/** The database URL, defaulting to SQLite inside the data directory. */
export function databaseUrl(config: KeyheatConfig): string {
  return config.database.url ?? `sqlite:${path.join(config.data_dir, 'keyheat.db')}`;
}

/** Where offline key analyses find saved backups (offline.backup_dir, default <data_dir>/backups). */
export function backupDir(config: KeyheatConfig): string {
  return config.offline.backup_dir ?? path.join(config.data_dir, 'backups');
}

function readConfigFile(file: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new ConfigError(`cannot read config file ${file}: ${(error as Error).message}`);
  }
  let parsed: unknown;
  try {
    parsed = parseYaml(text);
  } catch (error) {
    throw new ConfigError(`config file ${file} is not valid YAML or JSON: ${(error as Error).message}`);
  }
  if (parsed === null || parsed === undefined) return {};
  if (typeof parsed !== 'object' || Array.isArray(parsed)) throw new ConfigError(`config file ${file} must hold a mapping at the top`);
  return parsed as Record<string, unknown>;
}

function envOverrides(env: NodeJS.ProcessEnv): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const set = (keys: readonly string[], value: string): void => {
    let node = out;
    keys.slice(0, -1).forEach((key) => {
      node[key] = (node[key] as Record<string, unknown> | undefined) ?? {};
      node = node[key] as Record<string, unknown>;
    });
    node[keys[keys.length - 1] as string] = value;
  };
  for (const keys of scalarPaths(ConfigSchema, [])) {
    const value = env[`KEYHEAT_${keys.join('_').toUpperCase()}`];
    if (value !== undefined && value !== '') set(keys, value);
  }
  for (const [name, keys] of Object.entries(ENV_ALIASES)) {
    const value = env[name];
    if (value !== undefined && value !== '') set(keys, value);
  }
  // The one list with an environment variable: comma-separated CIDRs.
  const allow = env['KEYHEAT_NETWORK_ALLOW'];
  if (allow !== undefined && allow !== '') out['network'] = { allow: allow.split(',').map((cidr) => cidr.trim()).filter((cidr) => cidr !== '') };
  return out;
}

/** Paths to every scalar option of an object schema (arrays such as projects are file-only). */
function scalarPaths(schema: TSchema, prefix: string[]): string[][] {
  if (schema[Kind] === 'Object') {
    const properties = (schema as unknown as { properties: Record<string, TSchema> }).properties;
    return Object.entries(properties).flatMap(([key, child]) => scalarPaths(child, [...prefix, key]));
  }
  if (schema[Kind] === 'Array') return [];
  return [prefix];
}

function deepMerge(base: Record<string, unknown>, override: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(override)) {
    const current = out[key];
    out[key] =
      isPlainObject(current) && isPlainObject(value) ? deepMerge(current, value) : value;
  }
  return out;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** An IPv6 range that contains the IPv4-mapped addresses (::ffff:0:0/96), as ::/0 does. */
function coversIpv4(cidr: Cidr): boolean {
  if (cidr.family !== 'ipv6') return false;
  const list = new BlockList();
  list.addSubnet(cidr.address, cidr.prefix, 'ipv6');
  return list.check('::ffff:0.0.0.0', 'ipv6') && list.check('::ffff:255.255.255.255', 'ipv6');
}
