/** Options of one analysis, with their defaults next to them. */
import type { NodeProgress } from '../domain/task.js';

export interface AnalysisOptions {
  /** Hot keys to report. */
  readonly topK: number;
  /** Keys per SCAN page and per pipelined OBJECT FREQ batch while the node serves nobody else. */
  readonly batchSize: number;
  /** Keys per page while the node serves other clients (see traffic-monitor.ts); = batchSize disables adapting. */
  readonly busyBatchSize: number;
  /** Keys per second per primary; 0 = as fast as the node answers. */
  readonly rateLimit: number;
  /** Only keys matching this glob (SCAN MATCH); undefined = every key. */
  readonly pattern?: string | undefined;
  /** How long a cluster analysis waits for another node to take over a failed primary's slots. */
  readonly failoverWaitMs: number;
  readonly connectTimeoutMs: number;
  readonly commandTimeoutMs: number;
  readonly signal?: AbortSignal | undefined;
  /** Called after every page with the progress of every node scanned so far. */
  readonly onProgress?: ((nodes: readonly NodeProgress[]) => void) | undefined;
}

export const ANALYSIS_DEFAULTS = Object.freeze({
  topK: 100,
  // bench/speed.ts and bench/impact.ts (numbers in docs/architecture.md): on an idle node 1000-key
  // pages with two batches in flight scan 1M keys ~8x faster than redis-cli --hotkeys; while
  // others are served, 5-key pages, one at a time, leave their p99 where redis-cli does
  // (1000-key pages added ~1.3 ms, 10-key pages ~0.03 ms).
  batchSize: 1000,
  busyBatchSize: 5,
  rateLimit: 0,
  failoverWaitMs: 15_000,
  connectTimeoutMs: 5000,
  commandTimeoutMs: 10_000,
} satisfies Partial<AnalysisOptions>);

/** Extra OBJECT FREQ batches in flight on an idle node: keeps it busy, bounds client memory. */
export const IDLE_WINDOW = 2;
