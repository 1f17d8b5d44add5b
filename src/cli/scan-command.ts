/**
 * `keyheat scan <redis-url>`: the analysis engine run directly, without the service.
 * Exit codes (domain/failure-map.ts): 0 done, 2 usage, 3 unreachable or refused
 * authentication, 4 the Redis cannot be analysed as configured, 130 interrupted, 1 anything else.
 */
import { describeFailure, meaningOf, SCAN_EXIT } from '../domain/failure-map.js';
import { endpointAddress } from '../domain/instance.js';
import { escapeControls } from '../domain/display-text.js';
import { RedisFailure } from '../domain/redis-failure.js';
import type { NodeProgress } from '../domain/task.js';
import { analyzeBigKeys } from '../engine/analyze-bigkeys.js';
import { analyzeDeployment, type AnalysisResult } from '../engine/analyze-deployment.js';
import { analyzeExpiredKeys } from '../engine/expire-scan.js';
import { analyzeOfflineFile, analyzeOfflineNode } from '../engine/offline-analysis.js';
import { analyzeRdbFile, analyzeSnapshot, type SnapshotOutcome } from '../engine/snapshot-analysis.js';
import { preflightDeployment } from '../redis/deployment-preflight.js';
import { redactedUrl } from '../redis/redis-url.js';
import { bigKeyResultToWire } from '../wire/bigkey-mappers.js';
import { expireResultToWire } from '../wire/expire-mappers.js';
import { insightsToWire } from '../wire/insight-mappers.js';
import { offlineResultToWire } from '../wire/offline-mappers.js';
import { hotKeyToWire, statsToWire } from '../wire/wire-mappers.js';
import { formatExpireReport } from './expire-output.js';
import { formatOfflineReport } from './offline-output.js';
import { formatBigTable, formatProgress, formatTable } from './scan-output.js';

import { parseScanArgs } from './scan-args.js';

export { SCAN_EXIT };

export interface ScanIo {
  readonly stdout: NodeJS.WritableStream & { isTTY?: boolean };
  readonly stderr: NodeJS.WritableStream & { isTTY?: boolean };
  readonly env: NodeJS.ProcessEnv;
}

const defaultIo: ScanIo = { stdout: process.stdout, stderr: process.stderr, env: process.env };

export async function scanCommand(args: readonly string[], io: ScanIo = defaultIo): Promise<number> {
  const { endpoint, rdb, options, json, big, expire, offline } = parseScanArgs(args, io.env);
  const controller = new AbortController();
  const interrupt = (): void => controller.abort(new RedisFailure('cancelled', '', 'interrupted'));
  process.once('SIGINT', interrupt);
  const progress = io.stderr.isTTY === true ? progressPrinter(io.stderr) : null;
  const target = endpoint === null ? escapeControls(rdb ?? '') : redactedUrl(endpoint);
  try {
    if (expire !== null && endpoint !== null) {
      // As the service checks an expired key scan at creation: every primary reachable, any policy.
      await preflightDeployment(endpoint, options.redis, controller.signal, { noLfu: true });
      const result = await analyzeExpiredKeys({ endpoint }, { ...options, ...expire, signal: controller.signal, onProgress: progress?.update });
      progress?.finish();
      const wire = expireResultToWire(result);
      io.stdout.write(json ? `${JSON.stringify(wire)}\n` : (formatExpireReport(wire, target) ?? ''));
      return SCAN_EXIT.ok;
    }
    if (offline !== null) {
      const run = { ...options, topKeys: offline.topKeys, topPrefixes: offline.topPrefixes, signal: controller.signal, onProgress: progress?.update };
      let source = target;
      let result;
      if (endpoint === null) {
        result = await analyzeOfflineFile(rdb ?? '', run);
      } else {
        const node = offline.node ?? endpointAddress(endpoint);
        // As the service checks an offline analysis at creation: the node is the deployment's, and may fork.
        await preflightDeployment(endpoint, options.redis, controller.signal, { noLfu: true, snapshot: { replicas: false, maxMemoryShare: options.snapshotMaxMemoryShare }, node });
        result = await analyzeOfflineNode({ endpoint }, node, run);
        source = `${target}, node ${escapeControls(result.node)}${result.nodeType === null ? '' : ` (${result.nodeType})`}`;
      }
      progress?.finish();
      const wire = offlineResultToWire(result);
      io.stdout.write(json ? `${JSON.stringify(wire)}\n` : (formatOfflineReport(wire, source, result.durationMs) ?? ''));
      return SCAN_EXIT.ok;
    }
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

/** The hot key side of a snapshot pass, as the table and the JSON show a scan's. */
function hotResultOf(outcome: SnapshotOutcome, durationMs: number): AnalysisResult {
  const hot = outcome.hot;
  const nodes = outcome.nodes.reports();
  if (hot === null) return { mode: outcome.mode, keys: [], stats: { scannedKeys: 0, vanishedKeys: 0, changedKeys: 0, durationMs, nodes }, insights: { lfu: [], prefixes: [], trend: null, advice: [] } };
  return { mode: outcome.mode, keys: hot.keys, stats: { scannedKeys: hot.scannedKeys, vanishedKeys: hot.vanishedKeys, changedKeys: 0, durationMs, nodes }, insights: hot.insights };
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
