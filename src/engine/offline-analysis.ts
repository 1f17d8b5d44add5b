/**
 * DCS's offline key analysis (domain/offline-report.ts): the report of one node's RDB, either a
 * fresh snapshot of a node the caller names (a primary or a replica of the deployment: DCS's
 * "new backup") or a saved RDB file (DCS's "old backup"). One pass of the snapshot strategy
 * (snapshot-analysis.ts) gives the report and, where the RDB carries LFU counters (FREQ, written
 * under an LFU maxmemory-policy), the node's hot keys.
 *
 * Commands run: INFO (and CLUSTER NODES on a cluster, the Sentinels' commands behind Sentinel)
 * on the registered node to list the deployment's nodes (redis/topology.ts); on the node named,
 * what a snapshot runs (snapshot-analysis.ts: CLIENT NO-TOUCH ON, INFO, CONFIG GET lfu-*, the
 * snapshot preflight, then REPLCONF rdb-only 1, REPLCONF capa eof, SYNC on a connection of its
 * own, then INFO persistence/stats/replication for the fork's cost). The node forks once, in its
 * host's fork slot; nothing per key. A node that is not part of the deployment is refused
 * before anything is sent to it.
 *
 * Memory: the offline report's bounds (analysis/offline-report.ts), the hot key top-K, and the
 * parser's caps; the RDB streams through and is never stored.
 */
import { offlineSettings } from '../analysis/offline-report.js';
import type { InstanceMode, RedisEndpoint } from '../domain/instance.js';
import { OFFLINE_DEFAULTS, type DeploymentNode, type OfflineAnalysis, type OfflineHot, type OfflineReport, type OfflineSettings } from '../domain/offline-report.js';
import { nodesOfDeployment, notInDeployment, openDeployment, type Shard } from '../redis/topology.js';
import { ANALYSIS_DEFAULTS, type AnalysisOptions } from './analysis-options.js';
import { withAnalysisScope } from './analysis-scope.js';
import { analyzeRdbFile, snapshotDeployment, type SnapshotOutcome, type SnapshotWants } from './snapshot-analysis.js';

/** An analysis's options plus how many keys and prefixes per type the report keeps. */
export interface OfflineAnalysisOptions extends AnalysisOptions, OfflineSettings {}

export const OFFLINE_ANALYSIS_DEFAULTS = Object.freeze({ ...ANALYSIS_DEFAULTS, ...OFFLINE_DEFAULTS } satisfies Partial<OfflineAnalysisOptions>);

/**
 * The nodes of the deployment `target` names: every shard's primary (a standalone server, every
 * cluster primary owning slots, the primary a Sentinel names) and its usable replicas, with the
 * shard they belong to. A standalone replica registered directly is listed as it is, a slave.
 */
export async function deploymentNodes(target: { readonly endpoint: RedisEndpoint }, partial: Partial<AnalysisOptions> = {}): Promise<DeploymentNode[]> {
  const options = { ...ANALYSIS_DEFAULTS, ...partial };
  return withAnalysisScope(target.endpoint, options, async (scope) => {
    const deployment = await openDeployment(scope.pool, target.endpoint, options.redis, scope.signal);
    deployment.seed.close();
    return nodesOfDeployment(deployment);
  });
}

/**
 * The offline report of a fresh RDB of `node` (`ip:port`, as deploymentNodes lists it), streamed
 * from that node and parsed as it arrives. Throws RedisFailure: 'unsupported' for a node that is
 * not one of the deployment's (naming it and listing the deployment's nodes), or a snapshot's
 * refusals and failures (snapshot-analysis.ts); RangeError for topKeys or topPrefixes outside
 * OFFLINE_LIMITS (before connecting).
 */
export async function analyzeOfflineNode(target: { readonly endpoint: RedisEndpoint }, node: string, partial: Partial<OfflineAnalysisOptions> = {}): Promise<OfflineAnalysis> {
  const options: OfflineAnalysisOptions = { ...OFFLINE_ANALYSIS_DEFAULTS, ...partial };
  const wants = wantsOf(options);
  const started = performance.now();
  return withAnalysisScope(target.endpoint, options, async (scope) => {
    const deployment = await openDeployment(scope.pool, target.endpoint, options.redis, scope.signal);
    const nodes = nodesOfDeployment(deployment);
    const picked = nodes.find((n) => n.id === node);
    if (picked === undefined) {
      deployment.seed.close();
      throw notInDeployment(node, scope.address, nodes);
    }
    // Exactly that node: a shard of one, read as it is (no replica preferred instead of it).
    const plan: Shard = {
      ...(deployment.mode === 'cluster' ? { shard: picked.groupName } : {}),
      primary: picked.id,
      primaryRole: picked.role === 'master' ? 'primary' : 'replica',
      replicas: [],
      cluster: deployment.mode === 'cluster',
    };
    const outcome = await snapshotDeployment(scope, { ...deployment, shards: [plan] }, { ...options, snapshotReplicas: false }, wants);
    return analysisOf(outcome, { node: picked.id, nodeType: picked.role, groupName: picked.groupName, mode: deployment.mode, started });
  });
}

/** The offline report of a saved RDB file, read as a stream (`keyheat scan --rdb`'s pass). Keys expired at the time of the analysis are left out. */
export async function analyzeOfflineFile(path: string, partial: Partial<OfflineAnalysisOptions> = {}): Promise<OfflineAnalysis> {
  const options: OfflineAnalysisOptions = { ...OFFLINE_ANALYSIS_DEFAULTS, ...partial };
  const wants = wantsOf(options);
  const started = performance.now();
  const outcome = await analyzeRdbFile(path, options, wants);
  return analysisOf(outcome, { node: path, nodeType: null, groupName: null, mode: 'single', started });
}

/** The report, and the hot keys where the RDB has counters (no node is refused for lacking them). */
function wantsOf(options: OfflineAnalysisOptions): SnapshotWants {
  return { hot: 'optional', big: null, offline: offlineSettings(options) };
}

function analysisOf(
  outcome: SnapshotOutcome,
  source: { node: string; nodeType: 'master' | 'slave' | null; groupName: string | null; mode: InstanceMode; started: number },
): OfflineAnalysis {
  const { hot, hotSkipped } = hotOf(outcome);
  return {
    report: outcome.offline as OfflineReport,
    hot,
    hotSkipped,
    snapshot: outcome.snapshot,
    node: source.node,
    nodeType: source.nodeType,
    groupName: source.groupName,
    mode: source.mode,
    durationMs: Math.round(performance.now() - source.started),
  };
}

/** Hot keys only from an RDB with counters: without any, "no hot keys" would be a wrong answer. */
function hotOf(outcome: SnapshotOutcome): { hot: OfflineHot | null; hotSkipped: string | null } {
  const hot = outcome.hot;
  if (hot === null) return { hot: null, hotSkipped: 'hot keys were not asked for' };
  if (hot.scannedKeys > 0 && hot.withFreq === 0) {
    return { hot: null, hotSkipped: 'the RDB carries no LFU counters (written under a maxmemory-policy without LFU, or by Redis before 5.0): hot keys cannot be told from it' };
  }
  return { hot: { keys: hot.keys, insights: hot.insights }, hotSkipped: null };
}

/** Every shard's primary, then its replicas; a shard is named by its primary on a cluster, else 'single'. */
