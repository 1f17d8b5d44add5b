/**
 * `keyheat scan <redis-url>`: the analysis engine run directly, without the service.
 * Exit codes: 0 done, 2 usage, 3 unreachable or refused authentication, 4 the Redis cannot be
 * analysed as configured (non-LFU policy, version < 4.0), 1 anything else.
 */
import { parseArgs } from 'node:util';
import type { RedisEndpoint } from '../domain/instance.js';
import type { NodeProgress } from '../domain/task.js';
import { AnalysisRefused } from '../engine/analysis-errors.js';
import { ANALYSIS_DEFAULTS, type AnalysisOptions } from '../engine/analysis-options.js';
import { analyzeDeployment, type AnalysisResult } from '../engine/analyze-deployment.js';
import { preflightDeployment } from '../engine/preflight-deployment.js';
import { RedisFailure } from '../redis/classify-redis-error.js';
import { parseRedisUrl, redactedUrl } from '../redis/redis-url.js';
import { formatProgress, formatTable } from './scan-output.js';
import { EXIT, UsageError } from './usage-error.js';

export const SCAN_EXIT = { ...EXIT, unreachable: 3, unsupported: 4, interrupted: 130 } as const;

export interface ScanIo {
  readonly stdout: NodeJS.WritableStream & { isTTY?: boolean };
  readonly stderr: NodeJS.WritableStream & { isTTY?: boolean };
  readonly env: NodeJS.ProcessEnv;
}

const defaultIo: ScanIo = { stdout: process.stdout, stderr: process.stderr, env: process.env };

export async function scanCommand(args: readonly string[], io: ScanIo = defaultIo): Promise<number> {
  const { endpoint, options, json } = parseScanArgs(args, io.env);
  const controller = new AbortController();
  const interrupt = (): void => controller.abort(new Error('interrupted'));
  process.once('SIGINT', interrupt);
  const progress = io.stderr.isTTY === true ? progressPrinter(io.stderr) : null;
  try {
    await preflightDeployment(endpoint, options);
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
    if (error instanceof AnalysisRefused) {
      io.stderr.write(`keyheat: cannot analyse ${redactedUrl(endpoint)}: ${error.message}\n`);
      return SCAN_EXIT.unsupported;
    }
    if (error instanceof RedisFailure) {
      io.stderr.write(`keyheat: ${error.message}\n`);
      return error.kind === 'unreachable' || error.kind === 'timeout' || error.kind === 'auth' ? SCAN_EXIT.unreachable : SCAN_EXIT.failure;
    }
    throw error;
  } finally {
    process.off('SIGINT', interrupt);
  }
}

function parseScanArgs(args: readonly string[], env: NodeJS.ProcessEnv): { endpoint: RedisEndpoint; options: AnalysisOptions; json: boolean } {
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
        batch: { type: 'string' },
        'busy-batch': { type: 'string' },
        timeout: { type: 'string' },
      },
    });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const { values, positionals } = parsed;
  if (positionals.length !== 1) throw new UsageError('scan needs exactly one Redis URL, for example redis://127.0.0.1:6379');
  let endpoint: RedisEndpoint;
  try {
    // The password may come from the environment, to keep it out of the process list.
    endpoint = parseRedisUrl(positionals[0] as string, env['KEYHEAT_REDIS_PASSWORD'] ?? null);
  } catch (error) {
    throw new UsageError(`invalid Redis URL: ${(error as Error).message}`);
  }
  const options: AnalysisOptions = {
    ...ANALYSIS_DEFAULTS,
    topK: integer(values.top, '--top', 1, 100_000, ANALYSIS_DEFAULTS.topK),
    batchSize: integer(values.batch, '--batch', 1, 100_000, ANALYSIS_DEFAULTS.batchSize),
    busyBatchSize: integer(values['busy-batch'], '--busy-batch', 1, 100_000, ANALYSIS_DEFAULTS.busyBatchSize),
    rateLimit: integer(values.rate, '--rate', 0, 100_000_000, ANALYSIS_DEFAULTS.rateLimit),
    commandTimeoutMs: integer(values.timeout, '--timeout', 100, 600_000, ANALYSIS_DEFAULTS.commandTimeoutMs),
    pattern: values.pattern,
  };
  return { endpoint, options, json: values.json };
}

function integer(value: string | undefined, flag: string, min: number, max: number, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max) throw new UsageError(`${flag} must be an integer from ${min} to ${max}, got "${value}"`);
  return n;
}

function toJson(result: AnalysisResult): Record<string, unknown> {
  return {
    mode: result.mode,
    keys: result.keys.map((k) => ({
      name: k.name,
      ...(k.nameBase64 === undefined ? {} : { name_base64: k.nameBase64 }),
      type: k.type,
      db: k.db,
      ...(k.shard === undefined ? {} : { shard: k.shard }),
      size: k.size,
      unit: k.unit,
      freq: k.freq,
    })),
    scanned_keys: result.stats.scannedKeys,
    vanished_keys: result.stats.vanishedKeys,
    changed_keys: result.stats.changedKeys,
    duration_ms: result.stats.durationMs,
    nodes: result.nodes.map((n) => ({ node: n.node, scanned_keys: n.scannedKeys, expected_keys: n.expectedKeys })),
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
