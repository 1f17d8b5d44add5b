/**
 * `keyheat scan <redis-url>`: the analysis engine run directly, without the service.
 * Exit codes (domain/failure-map.ts): 0 done, 2 usage, 3 unreachable or refused
 * authentication, 4 the Redis cannot be analysed as configured, 130 interrupted, 1 anything else.
 */
import { statSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { describeFailure, meaningOf, SCAN_EXIT } from '../domain/failure-map.js';
import type { RedisEndpoint } from '../domain/instance.js';
import { ANALYSIS_LIMITS, BIGKEY_LIMITS, PREFIX_DELIMITERS } from '../domain/limits.js';
import { escapeControls } from '../domain/display-text.js';
import { RedisFailure } from '../domain/redis-failure.js';
import type { NodeProgress } from '../domain/task.js';
import { ANALYSIS_DEFAULTS, BIG_KEY_ANALYSIS_DEFAULTS, type AnalysisOptions, type BigKeyAnalysisOptions } from '../engine/analysis-options.js';
import { analyzeBigKeys } from '../engine/analyze-bigkeys.js';
import { analyzeDeployment, type AnalysisResult } from '../engine/analyze-deployment.js';
import { analyzeRdbFile, analyzeSnapshot, type SnapshotOutcome } from '../engine/snapshot-analysis.js';
import { preflightDeployment } from '../redis/deployment-preflight.js';
import { redisAccess } from '../redis/redis-access.js';
import { parseRedisUrl, redactedUrl } from '../redis/redis-url.js';
import { bigKeyResultToWire } from '../wire/bigkey-mappers.js';
import { insightsToWire } from '../wire/insight-mappers.js';
import { hotKeyToWire, statsToWire } from '../wire/wire-mappers.js';
import { numeric, sampleSeconds } from './flag-values.js';
import { REDIS_TLS_OPTIONS, tlsFromFlags } from './redis-tls-flags.js';
import { formatBigTable, formatProgress, formatTable } from './scan-output.js';
import { UsageError } from './usage-error.js';

export { SCAN_EXIT };

export interface ScanIo {
  readonly stdout: NodeJS.WritableStream & { isTTY?: boolean };
  readonly stderr: NodeJS.WritableStream & { isTTY?: boolean };
  readonly env: NodeJS.ProcessEnv;
}

const defaultIo: ScanIo = { stdout: process.stdout, stderr: process.stderr, env: process.env };

export async function scanCommand(args: readonly string[], io: ScanIo = defaultIo): Promise<number> {
  const { endpoint, rdb, options, json, big } = parseScanArgs(args, io.env);
  const controller = new AbortController();
  const interrupt = (): void => controller.abort(new RedisFailure('cancelled', '', 'interrupted'));
  process.once('SIGINT', interrupt);
  const progress = io.stderr.isTTY === true ? progressPrinter(io.stderr) : null;
  const target = endpoint === null ? escapeControls(rdb ?? '') : redactedUrl(endpoint);
  try {
    // One pass over an RDB gives both results: with --big, the hot keys come along where the RDB has counters.
    if (endpoint === null || (options.strategy === 'snapshot' && big !== null)) {
      const wants = { hot: endpoint === null || big !== null ? ('optional' as const) : true, big: big?.thresholds ?? null };
      const started = performance.now();
      const run = { ...options, signal: controller.signal, onProgress: progress?.update };
      if (endpoint !== null) {
        await preflightDeployment(endpoint, options.redis, controller.signal, { noLfu: true, snapshot: { replicas: options.snapshotReplicas, maxMemoryShare: options.snapshotMaxMemoryShare } });
      }
      const outcome = endpoint === null ? await analyzeRdbFile(rdb ?? '', run, wants) : await analyzeSnapshot({ endpoint }, run, wants);
      progress?.finish();
      const durationMs = Math.round(performance.now() - started);
      const hot = hotResultOf(outcome, durationMs);
      const bigResult = outcome.big === null ? null : { mode: outcome.mode, ...outcome.big, stats: { ...outcome.big.stats, durationMs } };
      if (json) io.stdout.write(`${JSON.stringify({ ...toJson(hot), ...(bigResult === null ? {} : { bigkeys: bigKeyResultToWire(bigResult) }) })}\n`);
      else io.stdout.write(`${formatTable(hot, target)}${bigResult === null ? '' : `\n${formatBigTable(bigResult, target)}`}`);
      return SCAN_EXIT.ok;
    }
    if (big !== null) {
      // No hot key preflight: any version and maxmemory-policy will do (the engine refuses a Sentinel).
      const result = await analyzeBigKeys({ endpoint }, { ...options, ...big, signal: controller.signal, onProgress: progress?.update });
      progress?.finish();
      io.stdout.write(json ? `${JSON.stringify(bigKeyResultToWire(result))}\n` : formatBigTable(result, redactedUrl(endpoint)));
      return SCAN_EXIT.ok;
    }
    const snapshot = options.strategy === 'snapshot' ? { replicas: options.snapshotReplicas, maxMemoryShare: options.snapshotMaxMemoryShare } : undefined;
    await preflightDeployment(endpoint, options.redis, controller.signal, { sampling: options.sampleSeconds > 0 ? { replicas: options.sampleReplicas } : undefined, snapshot });
    const result = await analyzeDeployment({ endpoint }, { ...options, signal: controller.signal, onProgress: progress?.update });
    progress?.finish();
    io.stdout.write(json ? `${JSON.stringify(toJson(result))}\n` : formatTable(result, redactedUrl(endpoint)));
    return SCAN_EXIT.ok;
  } catch (error) {
    progress?.finish();
    if (controller.signal.aborted) {
      io.stderr.write('keyheat: scan interrupted\n');
      return SCAN_EXIT.interrupted;
    }
    if (!(error instanceof RedisFailure)) throw error;
    io.stderr.write(`keyheat: ${target}: ${describeFailure(error)}\n`);
    return meaningOf(error).exitCode;
  } finally {
    process.off('SIGINT', interrupt);
  }
}

/** What `--big` adds to the options; null for a hot key scan. */
type BigKeyFlags = Pick<BigKeyAnalysisOptions, 'thresholds' | 'memoryUsage' | 'preferReplicas'>;

interface ScanArgs {
  /** null with --rdb. */
  readonly endpoint: RedisEndpoint | null;
  readonly rdb: string | null;
  readonly options: AnalysisOptions;
  readonly json: boolean;
  readonly big: BigKeyFlags | null;
}

function parseScanArgs(args: readonly string[], env: NodeJS.ProcessEnv): ScanArgs {
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
        ...REDIS_TLS_OPTIONS,
      },
    });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const { values, positionals } = parsed;
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
  return { endpoint, rdb, options, json: values.json, big: bigKeyFlags(values) };
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
function refuseScanFlags(values: Readonly<Record<string, unknown>>, mode: string): void {
  const scanOnly = ['rate', 'max-cpu-share', 'idle-cpu-share', 'max-block-us', 'batch', 'busy-batch', 'pattern', 'memory', 'primaries'];
  const given = scanOnly.find((flag) => values[flag] !== undefined && values[flag] !== false);
  if (given !== undefined) throw new UsageError(`--${given} is for the scan strategy; ${mode} reads an RDB, which is not paced or filtered`);
}

/** The hot key side of a snapshot pass, as the table and the JSON show a scan's. */
function hotResultOf(outcome: SnapshotOutcome, durationMs: number): AnalysisResult {
  const hot = outcome.hot;
  const nodes = outcome.nodes.reports();
  if (hot === null) return { mode: outcome.mode, keys: [], stats: { scannedKeys: 0, vanishedKeys: 0, changedKeys: 0, durationMs, nodes }, insights: { lfu: [], prefixes: [], trend: null, advice: [] } };
  return { mode: outcome.mode, keys: hot.keys, stats: { scannedKeys: hot.scannedKeys, vanishedKeys: hot.vanishedKeys, changedKeys: 0, durationMs, nodes }, insights: hot.insights };
}

/** Namespace delimiters: as analysis.prefix_delimiters in the config, 1-8 printable ASCII characters. */
function delimiters(value: string | undefined): string {
  if (value === undefined) return PREFIX_DELIMITERS.default;
  if (!new RegExp(PREFIX_DELIMITERS.pattern).test(value)) throw new UsageError(`--prefix-delimiters must be 1 to 8 printable ASCII characters, got "${escapeControls(value)}"`);
  return value;
}

/** The API's wire shapes: keys as in a task's `keys`, counters as in its `analysis`. */
function toJson(result: AnalysisResult): Record<string, unknown> {
  return {
    mode: result.mode,
    keys: result.keys.map((key) => hotKeyToWire({ ...key, previousFreq: null })),
    analysis: statsToWire(result.stats, result.insights),
    ...insightsToWire(result.insights),
  };
}

function progressPrinter(stderr: NodeJS.WritableStream): { update: (nodes: readonly NodeProgress[]) => void; finish: () => void } {
  const started = performance.now();
  let last = 0;
  let drawn = false;
  return {
    update: (nodes) => {
      const now = performance.now();
      if (now - last < 100) return;
      last = now;
      drawn = true;
      stderr.write(`\r${formatProgress(nodes, now - started)}`);
    },
    finish: () => {
      if (drawn) stderr.write('\r\x1b[K');
    },
  };
}
