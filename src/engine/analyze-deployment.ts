/**
 * The analysis engine: one pass over a Redis deployment (every database of a standalone
 * server, or every primary of a cluster, in parallel), keeping a bounded top-K of keys by LFU
 * counter, then a size probe for the keys kept. Used by the task runner and by `keyheat scan`.
 *
 * Memory: O(topK) candidates plus SCAN_WINDOW pages of key names per primary in flight,
 * whatever the keyspace size.
 * Commands run on production nodes: INFO, SELECT, SCAN and OBJECT FREQ for every key; for the
 * final keys only CLIENT NO-TOUCH, TYPE and one size command; on a cluster also CLUSTER NODES,
 * and CLUSTER COUNTKEYSINSLOT / GETKEYSINSLOT for slots that moved during the scan.
 */
import { displayKeyName } from '../analysis/key-name.js';
import type { AnalysisStats, HotKey } from '../domain/hot-key.js';
import { endpointAddress, type InstanceMode, type RedisEndpoint } from '../domain/instance.js';
import type { NodeProgress } from '../domain/task.js';
import { classifyRedisError } from '../redis/classify-redis-error.js';
import { readServerFacts } from '../redis/preflight.js';
import { ANALYSIS_DEFAULTS, type AnalysisOptions } from './analysis-options.js';
import { scanCluster } from './cluster-scan.js';
import { HotKeyCollector } from './hot-key-collector.js';
import { NodePool } from './node-pool.js';
import { probeCandidates } from './probe-candidates.js';
import { ProgressBoard } from './progress-board.js';
import { scanNode, type ScanContext } from './scan-node.js';

export interface AnalysisTarget {
  readonly endpoint: RedisEndpoint;
}

export interface AnalysisResult {
  readonly mode: InstanceMode;
  readonly keys: HotKey[];
  readonly stats: AnalysisStats;
  /** Every node scanned, with its key counts (a failed-over primary appears with its replacement). */
  readonly nodes: NodeProgress[];
}

export async function analyzeDeployment(target: AnalysisTarget, partial: Partial<AnalysisOptions> = {}): Promise<AnalysisResult> {
  const options: AnalysisOptions = { ...ANALYSIS_DEFAULTS, ...partial };
  const started = performance.now();
  const pool = new NodePool(target.endpoint, options);
  // Cancelling closes every connection: in-flight batches fail at once instead of running on.
  const controller = new AbortController();
  const onAbort = (): void => {
    controller.abort(options.signal?.reason);
    pool.closeAll();
  };
  if (options.signal?.aborted === true) onAbort();
  options.signal?.addEventListener('abort', onAbort, { once: true });
  const collector = new HotKeyCollector(options.topK);
  const progress = new ProgressBoard(options.onProgress);
  const context: ScanContext = { options, collector, progress, pool, signal: controller.signal };
  try {
    const seed = await pool.open(endpointAddress(target.endpoint));
    const facts = await readServerFacts(seed).catch((error: unknown) => {
      throw classifyRedisError(error, seed.address);
    });
    const mode: InstanceMode = facts.mode === 'cluster' ? 'cluster' : 'single';
    if (mode === 'cluster') {
      await scanCluster(seed, target.endpoint.host, context);
    } else {
      await scanNode(seed, context);
    }
    controller.signal.throwIfAborted();
    const probed = await probeCandidates(pool, collector.candidates());
    const keys = probed.keys.map(({ candidate, node, type, size, unit }): HotKey => {
      const display = displayKeyName(candidate.name);
      return {
        name: display.name,
        ...(display.base64 === undefined ? {} : { nameBase64: display.base64 }),
        type,
        db: candidate.db,
        ...(mode === 'cluster' ? { shard: node } : {}),
        size,
        unit,
        freq: candidate.freq,
      };
    });
    return {
      mode,
      keys,
      nodes: progress.snapshot(),
      stats: {
        scannedKeys: collector.scannedKeys,
        vanishedKeys: collector.vanishedKeys + probed.vanished,
        changedKeys: probed.changed,
        durationMs: Math.round(performance.now() - started),
      },
    };
  } catch (error) {
    if (controller.signal.aborted && options.signal?.aborted === true) throw options.signal.reason;
    throw error;
  } finally {
    options.signal?.removeEventListener('abort', onAbort);
    pool.closeAll();
  }
}
