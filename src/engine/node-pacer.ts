/**
 * How fast keyheat reads one node: page size and in-flight pages from the traffic monitor
 * (big pages only while nobody else is served), and an optional keys-per-second limit. Used by
 * the scan of a node and by the re-reading of slots that moved.
 */
import type { PageSize } from '../redis/node-scanner.js';
import type { AnalysisOptions } from './analysis-options.js';
import { IDLE_WINDOW } from './analysis-options.js';
import type { NodePool } from '../redis/node-pool.js';
import { RateLimiter } from './rate-limiter.js';
import { TrafficMonitor } from './traffic-monitor.js';

export class NodePacer {
  private readonly limiter: RateLimiter | null;
  private readonly idle: PageSize;
  private readonly busy: PageSize;
  private monitor: TrafficMonitor | null = null;

  private constructor(
    options: AnalysisOptions,
    private readonly signal: AbortSignal,
  ) {
    this.limiter = options.rateLimit > 0 ? new RateLimiter(options.rateLimit) : null;
    // Under a rate limit no page is bigger than a tenth of a second's budget, so the pace is even.
    const cap = this.limiter === null ? Infinity : Math.max(1, Math.floor(options.rateLimit / 10));
    this.idle = { count: Math.min(options.batchSize, cap), window: IDLE_WINDOW };
    this.busy = { count: Math.min(options.busyBatchSize, this.idle.count), window: 0 };
  }

  /** Starts watching the node's traffic (when the two page sizes differ); stop() when done. */
  static start(node: string, pool: NodePool, options: AnalysisOptions, signal: AbortSignal): NodePacer {
    const pacer = new NodePacer(options, signal);
    if (pacer.busy.count !== pacer.idle.count) {
      pacer.monitor = new TrafficMonitor(node, pool);
      pacer.monitor.start();
    }
    return pacer;
  }

  pageSize(): PageSize {
    return this.monitor === null || !this.monitor.busy ? this.idle : this.busy;
  }

  /** Waits until `keys` more keys may be read (rate limit), or resolves at once. */
  pace(keys: number): Promise<void> {
    return this.limiter === null ? Promise.resolve() : this.limiter.take(keys, this.signal);
  }

  stop(): void {
    this.monitor?.stop();
  }
}
