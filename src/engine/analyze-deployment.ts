/**
 * The analysis engine: one pass over a Redis deployment (every database of a standalone
 * server, or every primary of a cluster, in parallel), keeping a bounded top-K of keys by LFU
 * counter, then a size probe for the keys kept. Used by the task runner and by `keyheat scan`.
 *
 * Memory: O(topK) candidates plus SCAN_WINDOW pages of key names per primary in flight,
 * whatever the keyspace size.
 * With sampleSeconds, a sampling phase comes first (engine/sample-deployment.ts): MONITOR on
 * every primary (and replica if asked) for that long; on a node without an LFU policy it is
 * then the whole analysis.
 *
 * Commands run on production nodes: INFO, SELECT, SCAN and OBJECT FREQ for every key; for the
 * final keys only CLIENT NO-TOUCH, TYPE and one size command; on a cluster also CLUSTER NODES,
 * and CLUSTER COUNTKEYSINSLOT / GETKEYSINSLOT for slots that moved during the scan.
 */
import { HeatSummary } from '../analysis/heat-summary.js';
import { ratesEstimable } from '../analysis/lfu-estimate.js';
import type { AnalysisStats, HotKey, NodeReport } from '../domain/hot-key.js';
import type { Insights } from '../domain/insights.js';
import type { InstanceMode, RedisEndpoint } from '../domain/instance.js';
import { readLfuSettings } from '../redis/lfu-config.js';
import { lfuScanPossible, refuseUnsupported } from '../redis/preflight.js';
import { sampleTargets } from '../redis/sample-targets.js';
import { openDeployment } from '../redis/topology.js';
import type { Candidate, KeyDetail } from '../analysis/candidate.js';
import { ANALYSIS_DEFAULTS, type AnalysisOptions } from './analysis-options.js';
import { withAnalysisScope } from './analysis-scope.js';
import { scanCluster } from './cluster-scan.js';
import { HotKeyCollector } from './hot-key-collector.js';
import { HotKeyConsumer } from './hot-key-consumer.js';
import { hotKeyOf, insightsOf, samplingOnlyInsights } from './insights.js';
import { probeCandidates, type ProbeOutcome } from './probe-candidates.js';
import type { NodePool } from '../redis/node-pool.js';
import { ProgressBoard } from './progress-board.js';
import { rateKey, sampleDeployment, type SamplingRun } from './sample-deployment.js';
import { scanNode, type ScanContext } from './scan-node.js';
import { snapshotDeployment, type HotOutcome } from './snapshot-analysis.js';

export interface AnalysisTarget {
  readonly endpoint: RedisEndpoint;
}

export interface AnalysisResult {
  readonly mode: InstanceMode;
  readonly keys: HotKey[];
  /** LFU settings, namespaces, shards or databases, advice (trend: the runner's, it needs the store). */
  readonly insights: Insights;
  /** With every node scanned (a failed-over primary appears with its replacement) and what it cost the node. */
  readonly stats: AnalysisStats & { readonly nodes: readonly NodeReport[] };
}

/** An LFU key with what the sampling phase measured of it, when it was seen there. */
function withSampledRate(key: HotKey, candidate: Candidate, sampled: SamplingRun | null): HotKey {
  const measured = sampled?.rates.get(rateKey(candidate.db, candidate));
  return measured === undefined ? key : { ...key, sampledQps: measured.qps, sampledShare: measured.share };
}

/**
 * Runs one analysis. Throws RedisFailure (of kind 'deadline' after options.maxDurationMs), or
 * the caller's abort reason once its signal aborts: every connection, including ones still
 * connecting or authenticating, is closed at once, so the analysis stops whatever the nodes do.
 */
export async function analyzeDeployment(target: AnalysisTarget, partial: Partial<AnalysisOptions> = {}): Promise<AnalysisResult> {
  const options: AnalysisOptions = { ...ANALYSIS_DEFAULTS, ...partial };
  const started = performance.now();
  return withAnalysisScope(target.endpoint, options, async (scope) => {
    const { pool, signal } = scope;
    const progress = new ProgressBoard(options.onProgress);
    const deployment = await openDeployment(pool, target.endpoint, options.redis, signal);
    const { seed, facts, mode } = deployment;
    // The sampling phase first: the scan's own commands must not be in what it measures.
    let sampled: SamplingRun | null = null;
    if (options.sampleSeconds > 0) {
      refuseUnsupported(facts, seed.address, true);
      const targets = sampleTargets(deployment.shards, options.sampleReplicas);
      sampled = await sampleDeployment(pool, targets, { seconds: options.sampleSeconds, counters: options.sampleCounters, topK: options.topK, signal });
      signal.throwIfAborted();
      // A policy without LFU counters: the measured rates are the whole answer.
      if (!lfuScanPossible(facts)) {
        const stats = { scannedKeys: 0, vanishedKeys: 0, changedKeys: 0, durationMs: Math.round(performance.now() - started), nodes: [] };
        return { mode, keys: [], stats, insights: samplingOnlyInsights(sampled.sampling, facts.maxmemoryPolicy) };
      }
    }
    if (options.strategy === 'snapshot') {
      if (sampled === null) refuseUnsupported(facts, seed.address);
      const outcome = await snapshotDeployment(scope, deployment, options, { hot: true, big: null }, sampled?.sampling);
      const hot = outcome.hot as HotOutcome;
      const keys = hot.keys.map((key, i) => withSampledRate(key, hot.candidates[i] as Candidate, sampled));
      const stats = { scannedKeys: hot.scannedKeys, vanishedKeys: hot.vanishedKeys, changedKeys: 0, durationMs: Math.round(performance.now() - started), nodes: outcome.nodes.reports() };
      return { mode, keys, stats, insights: hot.insights };
    }
    // The seed's LFU settings choose the heat unit: rates where counters settle at one.
    const unit = ratesEstimable(await readLfuSettings(seed)) ? 'qps' : 'accesses';
    const heat = new HeatSummary({ delimiters: options.prefixDelimiters, depth: options.prefixDepth }, unit);
    const collector = new HotKeyCollector(options.topK, heat, mode === 'cluster' ? 'shard' : 'db', options.maxGroups);
    const context: ScanContext = { options, consumer: new HotKeyConsumer(collector, pool), progress, pool, signal };
    if (deployment.cluster !== null) {
      await scanCluster(deployment, deployment.cluster, context);
    } else {
      await scanNode(seed, context);
    }
    signal.throwIfAborted();
    const probed = await probeFinal(pool, collector.candidates());
    const keys = probed.keys.map((key) => withSampledRate(hotKeyOf(key, mode, collector.lfuOf(key.candidate.node)), key.candidate, sampled));
    const stats = {
      scannedKeys: collector.scannedKeys,
      vanishedKeys: collector.vanishedKeys + probed.vanished,
      changedKeys: probed.changed,
      durationMs: Math.round(performance.now() - started),
      nodes: progress.reports(),
    };
    const insights = insightsOf({ keys, mode, collector, nodes: stats.nodes.map((n) => n.node), scannedKeys: stats.scannedKeys, sampling: sampled?.sampling, noTouchDenied: probed.noTouchDenied });
    return { mode, keys, stats, insights };
  });
}

/**
 * Type and size of the final candidates: probed now, except those whose were read when they
 * were kept (long names: engine/hot-key-consumer.ts probeLongAdmissions), given back hottest first.
 */
async function probeFinal(pool: NodePool, candidates: readonly Candidate[]): Promise<ProbeOutcome> {
  const known = candidates.filter((candidate) => candidate.detail !== undefined);
  if (known.length === 0) return probeCandidates(pool, candidates);
  const probed = await probeCandidates(pool, candidates.filter((candidate) => candidate.detail === undefined && candidate.nameSha1 === undefined));
  const keys = [...probed.keys, ...known.map((candidate) => ({ candidate, node: candidate.node, ...(candidate.detail as KeyDetail) }))];
  const rank = new Map(candidates.map((candidate, i) => [candidate, i]));
  keys.sort((a, b) => (rank.get(a.candidate) ?? 0) - (rank.get(b.candidate) ?? 0));
  return { ...probed, keys };
}
