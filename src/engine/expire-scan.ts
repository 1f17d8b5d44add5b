/**
 * The expired key scan (DCS's scan-expire-keys task): SCAN every primary's keyspace so that
 * Redis reclaims the keys whose TTL has passed (SCAN deletes each expired key it meets on a
 * primary), and report how many it reclaimed (`num`, from each primary's INFO stats
 * expired_keys) with the TTLs of the keys it visited. It runs on the scan machine the hot key
 * scan uses (engine/scan-node.ts, engine/cluster-scan.ts), with engine/expire-consumer.ts as its
 * consumer: the same pacing (max_cpu_share, max_block_us, rate_limit), failover wait, MOVED/ASK
 * following and re-reading of moved slots; in the analysis scope every analysis shares
 * (deadline, abort, connections closed at the end).
 *
 * Pages are `scanKeysCount` keys (SCAN COUNT, DCS's scan_keys_count) at most: the pacing makes
 * them smaller while the node serves other clients, never larger.
 *
 * Memory: the TTL report's bounded counters (analysis/ttl-report.ts) and at most three pages of
 * names per primary in flight; no key name is kept.
 *
 * Commands run on production nodes: INFO, INFO stats, INFO commandstats (pacing), SELECT, SCAN,
 * PTTL; on a cluster CLUSTER NODES, PING (failover wait), CLUSTER COUNTKEYSINSLOT /
 * GETKEYSINSLOT and ASKING for slots that moved. With Sentinel, the Sentinels' commands.
 */
import { TtlReportBuilder } from '../analysis/ttl-report.js';
import type { ExpireScanResult } from '../domain/expire-report.js';
import { EXPIRE_LIMITS } from '../domain/limits.js';
import { openDeployment } from '../redis/topology.js';
import { ANALYSIS_DEFAULTS, type AnalysisOptions } from './analysis-options.js';
import { withAnalysisScope } from './analysis-scope.js';
import type { AnalysisTarget } from './analyze-deployment.js';
import { scanCluster } from './cluster-scan.js';
import { ExpireConsumer } from './expire-consumer.js';
import { ProgressBoard } from './progress-board.js';
import { scanNode, type ScanContext } from './scan-node.js';

/** An expired key scan: the pacing, budgets and limits of every analysis, and the page size. */
export interface ExpireScanOptions extends AnalysisOptions {
  /** SCAN COUNT: keys per page at most (EXPIRE_LIMITS.scanKeysCount, 10-1000). Replaces batchSize. */
  readonly scanKeysCount: number;
}

export const EXPIRE_SCAN_DEFAULTS = Object.freeze({
  ...ANALYSIS_DEFAULTS,
  scanKeysCount: EXPIRE_LIMITS.scanKeysCount.default,
} satisfies Partial<ExpireScanOptions>);

/**
 * Runs one expired key scan over every primary of the deployment (standalone, cluster, or the
 * primary Sentinel names). Throws RedisFailure: 'unsupported' for a replica registered directly
 * or a server older than 2.8, 'no-permission' naming the command an ACL refuses, 'deadline'
 * after options.maxDurationMs; or the caller's abort reason once its signal aborts. A
 * scanKeysCount outside 10-1000 is a RangeError (callers validate options against domain/limits.ts).
 */
export async function analyzeExpiredKeys(target: AnalysisTarget, partial: Partial<ExpireScanOptions> = {}): Promise<ExpireScanResult> {
  const options: ExpireScanOptions = { ...EXPIRE_SCAN_DEFAULTS, ...partial };
  const { scanKeysCount } = options;
  const { min, max } = EXPIRE_LIMITS.scanKeysCount;
  if (!Number.isInteger(scanKeysCount) || scanKeysCount < min || scanKeysCount > max) throw new RangeError(`scanKeysCount must be an integer from ${min} to ${max}, got ${scanKeysCount}`);
  // The page size on an idle node, and the largest page ever (analysis/pace-controller.ts).
  const paced: AnalysisOptions = { ...options, batchSize: scanKeysCount };
  const started = performance.now();
  return withAnalysisScope(target.endpoint, options, async ({ pool, signal }) => {
    const progress = new ProgressBoard(options.onProgress);
    const deployment = await openDeployment(pool, target.endpoint, options.redis, signal);
    const report = new TtlReportBuilder({ delimiters: options.prefixDelimiters, depth: options.prefixDepth }, options.maxGroups);
    const consumer = new ExpireConsumer(report, pool, deployment.cluster !== null);
    const context: ScanContext = { options: paced, consumer, progress, pool, signal };
    if (deployment.cluster !== null) await scanCluster(deployment, deployment.cluster, context);
    else await scanNode(deployment.seed, context);
    signal.throwIfAborted();
    const nodes = consumer.nodeReports(progress.reports());
    return {
      mode: deployment.mode,
      num: nodes.reduce((sum, node) => sum + node.reclaimed, 0),
      scannedKeys: consumer.scannedKeys,
      vanishedKeys: consumer.vanishedKeys,
      durationMs: Math.round(performance.now() - started),
      scanKeysCount,
      nodes,
      ttl: report.report(),
    };
  });
}
