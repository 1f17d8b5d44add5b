/**
 * The analysis engine: one pass over every database of a Redis deployment, keeping a bounded
 * top-K of keys by LFU counter, then a size probe for the keys kept. Used by the task runner and
 * by `keyheat scan`.
 *
 * Memory: O(topK) candidates plus one SCAN page per node, whatever the keyspace size.
 * Commands run on the production node: INFO, SELECT, SCAN, OBJECT FREQ for every key, and for
 * the final keys only CLIENT NO-TOUCH, TYPE and one size command (STRLEN/LLEN/...).
 */
import { isHotter, type Candidate } from '../analysis/candidate.js';
import { displayKeyName } from '../analysis/key-name.js';
import { TopK } from '../analysis/top-k.js';
import type { NodeProgress } from '../domain/task.js';
import { LFU_INIT_VAL, type AnalysisStats, type HotKey } from '../domain/hot-key.js';
import { endpointAddress, type InstanceMode, type RedisEndpoint } from '../domain/instance.js';
import { classifyRedisError } from '../redis/classify-redis-error.js';
import { hotkeyUnsupportedReason, readServerFacts } from '../redis/preflight.js';
import { RespConnection } from '../redis/resp-connection.js';
import { scanDatabase } from '../redis/node-scanner.js';
import { AnalysisRefused } from './analysis-errors.js';
import { probeCandidates } from './probe-candidates.js';

export interface AnalysisTarget {
  readonly endpoint: RedisEndpoint;
  readonly mode: InstanceMode;
}

export interface AnalysisOptions {
  readonly topK: number;
  /** SCAN COUNT per page; also the number of OBJECT FREQ commands per pipelined batch. */
  readonly scanCount: number;
  readonly pattern?: string;
  readonly signal?: AbortSignal;
  readonly connectTimeoutMs?: number;
  readonly commandTimeoutMs?: number;
  readonly onProgress?: (nodes: readonly NodeProgress[]) => void;
}

export interface AnalysisResult {
  readonly keys: HotKey[];
  readonly stats: AnalysisStats;
}

export const CLIENT_NAME = 'keyheat';

export async function analyzeDeployment(target: AnalysisTarget, options: AnalysisOptions): Promise<AnalysisResult> {
  const started = performance.now();
  if (target.mode === 'cluster') {
    throw new AnalysisRefused('Redis Cluster instances are not supported yet; register a standalone Redis');
  }
  const connection = await connectNode(target.endpoint, options);
  // Cancelling closes the connection: an in-flight batch fails at once instead of running on.
  const onAbort = (): void => connection.close();
  options.signal?.addEventListener('abort', onAbort, { once: true });
  try {
    const facts = await readServerFacts(connection).catch((error: unknown) => {
      throw classifyRedisError(error, connection.address);
    });
    const reason = hotkeyUnsupportedReason(facts, connection.address);
    if (reason !== null) throw new AnalysisRefused(reason);

    const top = new TopK<Candidate>(options.topK, isHotter);
    const progress = { node: connection.address, scannedKeys: 0, expectedKeys: facts.keyspace.reduce((n, db) => n + db.keys, 0) };
    let vanished = 0;
    for (const { db } of facts.keyspace) {
      const pages = scanDatabase(connection, {
        db,
        count: options.scanCount,
        ...(options.pattern === undefined ? {} : { pattern: options.pattern }),
        ...(options.signal === undefined ? {} : { signal: options.signal }),
      });
      for await (const page of pages) {
        vanished += collect(page.keys, page.freqs, db, connection.address, top);
        progress.scannedKeys += page.keys.length;
        options.onProgress?.([{ ...progress }]);
      }
    }
    options.signal?.throwIfAborted();
    const probed = await probeCandidates(connection, top.sorted());
    const keys = probed.keys.map(({ candidate, type, size, unit }): HotKey => {
      const display = displayKeyName(candidate.name);
      return {
        name: display.name,
        ...(display.base64 === undefined ? {} : { nameBase64: display.base64 }),
        type,
        db: candidate.db,
        size,
        unit,
        freq: candidate.freq,
      };
    });
    return {
      keys,
      stats: {
        scannedKeys: progress.scannedKeys,
        vanishedKeys: vanished + probed.vanished,
        changedKeys: probed.changed,
        durationMs: Math.round(performance.now() - started),
      },
    };
  } catch (error) {
    if (options.signal?.aborted === true) throw options.signal.reason;
    throw error;
  } finally {
    options.signal?.removeEventListener('abort', onAbort);
    connection.close();
  }
}

/** Offers one page to the top-K; returns how many keys had vanished before OBJECT FREQ. */
function collect(keys: readonly Buffer[], freqs: readonly (number | null)[], db: number, node: string, top: TopK<Candidate>): number {
  let vanished = 0;
  for (let i = 0; i < keys.length; i++) {
    const freq = freqs[i];
    if (freq === null || freq === undefined) {
      vanished += 1;
      continue;
    }
    if (freq <= LFU_INIT_VAL) continue;
    const name = keys[i] as Buffer;
    const worst = top.worstKept();
    // Compare before copying: most keys are colder than the worst kept and cost no allocation.
    if (worst !== undefined && !isHotter({ freq, db, node, name }, worst)) continue;
    top.offer({ freq, db, node, name: Buffer.from(name) });
  }
  return vanished;
}

export async function connectNode(
  endpoint: RedisEndpoint,
  options: Pick<AnalysisOptions, 'connectTimeoutMs' | 'commandTimeoutMs'>,
): Promise<RespConnection> {
  try {
    return await RespConnection.connect(endpoint, {
      clientName: CLIENT_NAME,
      ...(options.connectTimeoutMs === undefined ? {} : { connectTimeoutMs: options.connectTimeoutMs }),
      ...(options.commandTimeoutMs === undefined ? {} : { commandTimeoutMs: options.commandTimeoutMs }),
    });
  } catch (error) {
    throw classifyRedisError(error, endpointAddress(endpoint));
  }
}
