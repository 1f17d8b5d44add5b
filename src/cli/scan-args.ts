/**
 * `keyheat scan`'s command line read into what the engine runs: the target (a Redis URL or an
 * RDB file), the kind (hot keys, --big, --expired, --offline), each kind's options with their
 * limits, and the refusals of flags that do not apply to the kind or to an RDB read.
 */
import { statSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { type RedisEndpoint } from '../domain/instance.js';
import { ANALYSIS_LIMITS, BIGKEY_LIMITS, EXPIRE_LIMITS, OFFLINE_LIMITS, PREFIX_DELIMITERS } from '../domain/limits.js';
import { escapeControls } from '../domain/display-text.js';
import { NODE_ID_PATTERN, TASK_OPTIONS } from '../domain/task-options.js';
import type { TaskKind } from '../domain/task-status.js';
import { ANALYSIS_DEFAULTS, BIG_KEY_ANALYSIS_DEFAULTS, type AnalysisOptions, type BigKeyAnalysisOptions } from '../engine/analysis-options.js';
import { redisAccess } from '../redis/redis-access.js';
import { parseRedisUrl } from '../redis/redis-url.js';
import { KIND_FLAG } from './client/kind-flags.js';
import { numeric, sampleSeconds } from './flag-values.js';
import { REDIS_TLS_OPTIONS, tlsFromFlags } from './redis-tls-flags.js';
import { UsageError } from './usage-error.js';


/** What `--big` adds to the options; null for a hot key scan. */
type BigKeyFlags = Pick<BigKeyAnalysisOptions, 'thresholds' | 'memoryUsage' | 'preferReplicas'>;

export interface ScanArgs {
  /** null with --rdb. */
  readonly endpoint: RedisEndpoint | null;
  readonly rdb: string | null;
  readonly options: AnalysisOptions;
  readonly json: boolean;
  readonly big: BigKeyFlags | null;
  /** --expired: the page size; null otherwise. */
  readonly expire: { readonly scanKeysCount: number } | null;
  /** --offline: the node to read (null: the one the URL names, or --rdb's file) and the report's bounds; null otherwise. */
  readonly offline: { readonly node: string | null; readonly topKeys: number; readonly topPrefixes: number } | null;
}

/** The analyses `keyheat scan` runs, by their flag (hot keys: none): the client's kind flags. */
const MODE_FLAGS = KIND_FLAG;

export function parseScanArgs(args: readonly string[], env: NodeJS.ProcessEnv): ScanArgs {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...args],
      allowPositionals: true,
      strict: true,
      options: {
        top: { type: 'string' },
        json: { type: 'boolean', default: false },
        pattern: { type: 'string' },
        rate: { type: 'string' },
        'max-cpu-share': { type: 'string' },
        'idle-cpu-share': { type: 'string' },
        'max-block-us': { type: 'string' },
        batch: { type: 'string' },
        'busy-batch': { type: 'string' },
        timeout: { type: 'string' },
        'prefix-delimiters': { type: 'string' },
        'prefix-depth': { type: 'string' },
        sample: { type: 'string' },
        'sample-replicas': { type: 'boolean', default: false },
        big: { type: 'boolean', default: false },
        'string-bytes': { type: 'string' },
        'collection-count': { type: 'string' },
        'per-type': { type: 'string' },
        memory: { type: 'boolean', default: false },
        primaries: { type: 'boolean', default: false },
        snapshot: { type: 'boolean', default: false },
        'snapshot-replicas': { type: 'boolean', default: false },
        rdb: { type: 'string' },
        expired: { type: 'boolean', default: false },
        'scan-keys-count': { type: 'string' },
        offline: { type: 'boolean', default: false },
        node: { type: 'string' },
        'top-keys': { type: 'string' },
        'top-prefixes': { type: 'string' },
        ...REDIS_TLS_OPTIONS,
      },
    });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const { values, positionals } = parsed;
  const mode = modeOf(values);
  // The flags an expired key scan or an offline analysis cannot take, before any other check.
  refuseForMode(values, mode);
  const rdb = values.rdb ?? null;
  if (rdb !== null && positionals.length > 0) throw new UsageError('scan --rdb reads a file: give no Redis URL with it');
  if (rdb !== null) {
    // A file that is not there is the user's slip, not a failure of an analysis.
    try {
      if (!statSync(rdb).isFile()) throw new UsageError(`--rdb ${escapeControls(rdb)} is not a file`);
    } catch (error) {
      if (error instanceof UsageError) throw error;
      throw new UsageError(`--rdb ${escapeControls(rdb)}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
    }
  }
  if (rdb === null && positionals.length !== 1) throw new UsageError('scan needs exactly one Redis URL, for example redis://127.0.0.1:6379 (or --rdb dump.rdb)');
  const tls = tlsFromFlags(values);
  if (rdb !== null && tls !== null) throw new UsageError('--rdb reads a saved file: the TLS flags need a live Redis');
  let endpoint: RedisEndpoint | null = null;
  try {
    // The passwords may come from the environment, to keep them out of the process list.
    if (rdb === null) endpoint = parseRedisUrl(positionals[0] as string, { password: env['KEYHEAT_REDIS_PASSWORD'] ?? null, tls, sentinelPassword: sentinelPassword(positionals[0] as string, env) });
  } catch (error) {
    throw new UsageError(`invalid Redis URL: ${(error as Error).message}`);
  }
  const options: AnalysisOptions = {
    ...ANALYSIS_DEFAULTS,
    topK: numeric(values.top, '--top', ANALYSIS_LIMITS.topK),
    maxCpuShare: numeric(values['max-cpu-share'], '--max-cpu-share', ANALYSIS_LIMITS.maxCpuShare),
    idleCpuShare: numeric(values['idle-cpu-share'], '--idle-cpu-share', ANALYSIS_LIMITS.idleCpuShare),
    maxBlockUs: numeric(values['max-block-us'], '--max-block-us', ANALYSIS_LIMITS.maxBlockUs),
    batchSize: numeric(values.batch, '--batch', ANALYSIS_LIMITS.batchSize),
    busyBatchSize: numeric(values['busy-batch'], '--busy-batch', ANALYSIS_LIMITS.busyBatchSize),
    rateLimit: numeric(values.rate, '--rate', ANALYSIS_LIMITS.rateLimit),
    redis: redisAccess({ commandTimeoutMs: numeric(values.timeout, '--timeout', ANALYSIS_LIMITS.commandTimeoutMs) }),
    pattern: values.pattern,
    prefixDelimiters: delimiters(values['prefix-delimiters']),
    prefixDepth: numeric(values['prefix-depth'], '--prefix-depth', ANALYSIS_LIMITS.prefixDepth),
    sampleSeconds: sampleSeconds(values.sample) ?? 0,
    sampleReplicas: values['sample-replicas'],
    strategy: values.snapshot ? 'snapshot' : 'scan',
    snapshotReplicas: values['snapshot-replicas'],
  };
  if (options.sampleReplicas && options.sampleSeconds === 0) throw new UsageError('--sample-replicas needs --sample');
  if (options.snapshotReplicas && !values.snapshot) throw new UsageError('--snapshot-replicas needs --snapshot');
  if (values.snapshot || rdb !== null) refuseScanFlags(values, rdb !== null ? '--rdb' : '--snapshot');
  if (rdb !== null && (values.snapshot || values.sample !== undefined)) throw new UsageError('--rdb reads a saved file: --snapshot and --sample need a live Redis');
  const expire = mode === 'expire' ? { scanKeysCount: numeric(values['scan-keys-count'], '--scan-keys-count', EXPIRE_LIMITS.scanKeysCount) } : null;
  return { endpoint, rdb, options, json: values.json, big: bigKeyFlags(values), expire, offline: mode === 'offline' ? offlineFlags(values, endpoint) : null };
}

/** Which analysis the flags ask for; two of --big, --expired, --offline are a usage error. */
function modeOf(values: { big: boolean; expired: boolean; offline: boolean }): TaskKind {
  const given = (['big', 'expire', 'offline'] as const).filter((kind) => values[MODE_FLAGS[kind] as 'big' | 'expired' | 'offline']);
  if (given.length > 1) throw new UsageError(`${given.map((kind) => `--${MODE_FLAGS[kind] ?? ''}`).join(' and ')} are different analyses: run them one at a time`);
  return given[0] ?? 'hot';
}

/**
 * Why a flag means nothing to the expired key scan or to offline analysis, where the option
 * catalogue (domain/task-options.ts) does not say it: the flags of keyheat scan alone.
 */
const OWN_REFUSALS: { readonly [K in 'expire' | 'offline']: Readonly<Record<string, string>> } = {
  expire: {
    top: '--top sizes a hot key list; the expired key scan reports the keys it reclaimed and the TTLs it read',
    pattern: '--pattern cannot be used with --expired: the scan must visit every key to reclaim the expired ones',
    primaries: '--primaries is for --big: the expired key scan always reads the primaries (replicas do not expire keys)',
    snapshot: '--snapshot cannot be used with --expired: keys are reclaimed by SCANning each primary, which an RDB cannot do',
    rdb: '--rdb cannot be used with --expired: keys are reclaimed by SCANning a live primary, which a saved file cannot do',
  },
  offline: {
    pattern: '--pattern cannot be used with --offline: the report covers every key of the RDB',
    primaries: '--primaries is for --big: --offline reads the node --node names, a primary or a replica',
    snapshot: '--snapshot is implied: --offline always reads an RDB (a fresh one of the node, or --rdb FILE)',
  },
};

/**
 * The flags the analysis asked for cannot take, each refused with why: the catalogue's options
 * by the kinds they are for (a pacing flag with --offline says that a snapshot is not paced),
 * then keyheat scan's own flags. Hot and big keys keep their own checks (bigKeyFlags,
 * refuseScanFlags); only the flags of the other two are refused for them here.
 */
function refuseForMode(values: Readonly<Record<string, unknown>>, mode: TaskKind): void {
  const given = (flag: string): boolean => values[flag] !== undefined && values[flag] !== false;
  const modeFlag = MODE_FLAGS[mode];
  for (const spec of TASK_OPTIONS) {
    if (spec.flag === null || spec.kinds.includes(mode) || !given(spec.flag)) continue;
    // Hot and big keys check their own flags; what is refused for them here are the new kinds' flags.
    if ((mode === 'hot' || mode === 'big') && spec.kinds.some((kind) => kind === 'hot' || kind === 'big')) continue;
    const owners = spec.kinds.map((kind) => (MODE_FLAGS[kind] === null ? 'hot keys' : `--${MODE_FLAGS[kind] ?? ''}`));
    if (modeFlag === null) throw new UsageError(`--${spec.flag} needs ${owners.join(' or ')}`);
    if (mode === 'offline' && spec.notUnder !== undefined && spec.strategies.includes('scan')) throw new UsageError(`--${spec.flag} cannot be used with --offline: it ${spec.notUnder}`);
    const page = mode === 'expire' && (spec.flag === 'batch' || spec.flag === 'busy-batch') ? ' (its pages are --scan-keys-count)' : '';
    throw new UsageError(`--${spec.flag} is for ${owners.join(' and ')}, not --${modeFlag}${page}`);
  }
  if (mode !== 'expire' && mode !== 'offline') return;
  const refused = Object.entries(OWN_REFUSALS[mode]).find(([flag]) => given(flag));
  if (refused !== undefined) throw new UsageError(refused[1]);
}

/** --offline's node and bounds; --node reads a live node, so not with --rdb, and is needed behind Sentinel. */
function offlineFlags(values: { node?: string | undefined; rdb?: string | undefined; 'top-keys'?: string | undefined; 'top-prefixes'?: string | undefined }, endpoint: RedisEndpoint | null): NonNullable<ScanArgs['offline']> {
  const node = values.node ?? null;
  if (node !== null && values.rdb !== undefined) throw new UsageError('--node names a live node to read; --rdb reads a saved file: give one of them');
  if (node !== null && !new RegExp(NODE_ID_PATTERN).test(node)) throw new UsageError(`--node takes the node's IP:PORT as the deployment announces it, got "${escapeControls(node, 80)}"`);
  if (node === null && endpoint !== null && endpoint.sentinel !== undefined && endpoint.sentinel !== null) throw new UsageError('--offline behind Sentinel needs --node IP:PORT: the primary or the replica whose RDB to read');
  return {
    node,
    topKeys: numeric(values['top-keys'], '--top-keys', OFFLINE_LIMITS.topKeys),
    topPrefixes: numeric(values['top-prefixes'], '--top-prefixes', OFFLINE_LIMITS.topPrefixes),
  };
}

/** KEYHEAT_SENTINEL_PASSWORD, for a redis+sentinel:// URL only (set for one, it must not break a plain URL). */
function sentinelPassword(url: string, env: NodeJS.ProcessEnv): string | null {
  return /^rediss?\+sentinel:/i.test(url) ? (env['KEYHEAT_SENTINEL_PASSWORD'] ?? null) : null;
}

/** `--big` and its flags; the hot key flags it cannot take, and its flags without it, are usage errors. */
function bigKeyFlags(values: {
  big: boolean;
  snapshot: boolean;
  rdb?: string | undefined;
  top?: string | undefined;
  sample?: string | undefined;
  'string-bytes'?: string | undefined;
  'collection-count'?: string | undefined;
  'per-type'?: string | undefined;
  memory: boolean;
  primaries: boolean;
}): BigKeyFlags | null {
  const own = (['string-bytes', 'collection-count', 'per-type', 'memory', 'primaries'] as const).filter((flag) => values[flag] !== undefined && values[flag] !== false);
  if (!values.big) {
    if (own.length > 0) throw new UsageError(`--${own[0] as string} needs --big`);
    return null;
  }
  // A snapshot (or file) pass gives both results: --top sizes its hot key list.
  if (values.top !== undefined && !values.snapshot && values.rdb === undefined) throw new UsageError('--top is for hot keys; with --big use --per-type');
  if (values.sample !== undefined) throw new UsageError('--sample is for hot keys; it cannot be used with --big');
  const defaults = BIG_KEY_ANALYSIS_DEFAULTS;
  return {
    thresholds: {
      stringBytes: numeric(values['string-bytes'], '--string-bytes', BIGKEY_LIMITS.stringBytes),
      collectionCount: numeric(values['collection-count'], '--collection-count', BIGKEY_LIMITS.collectionCount),
      perType: numeric(values['per-type'], '--per-type', BIGKEY_LIMITS.perType),
    },
    memoryUsage: values.memory || defaults.memoryUsage,
    preferReplicas: values.primaries ? false : defaults.preferReplicas,
  };
}

/** Flags that pace or filter a scan mean nothing to an RDB read: saying so beats ignoring them. */
export function refuseScanFlags(values: Readonly<Record<string, unknown>>, mode: string): void {
  const scanOnly = ['rate', 'max-cpu-share', 'idle-cpu-share', 'max-block-us', 'batch', 'busy-batch', 'pattern', 'memory', 'primaries'];
  const given = scanOnly.find((flag) => values[flag] !== undefined && values[flag] !== false);
  if (given !== undefined) throw new UsageError(`--${given} is for the scan strategy; ${mode} reads an RDB, which is not paced or filtered`);
}

/** Namespace delimiters: as analysis.prefix_delimiters in the config, 1-8 printable ASCII characters. */
function delimiters(value: string | undefined): string {
  if (value === undefined) return PREFIX_DELIMITERS.default;
  if (!new RegExp(PREFIX_DELIMITERS.pattern).test(value)) throw new UsageError(`--prefix-delimiters must be 1 to 8 printable ASCII characters, got "${escapeControls(value)}"`);
  return value;
}

