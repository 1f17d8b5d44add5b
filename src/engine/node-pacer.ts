/**
 * How fast keyheat reads one node: the page size and pauses from the budgets
 * (analysis/pace-controller.ts), fed by what the traffic monitor measures, and an optional
 * keys-per-second limit on top. Used by the scan of a node and by the re-reading of slots that
 * moved. `finish()` says what the scan cost the node.
 */
import { PaceController, type PageSize } from '../analysis/pace-controller.js';
import type { NodePacing } from '../domain/hot-key.js';
import type { NodePool } from '../redis/node-pool.js';
import type { AnalysisOptions } from './analysis-options.js';
import { RateLimiter, sleep } from './rate-limiter.js';
import { OBJECT_FREQ_COMMANDS, TrafficMonitor, type ScanCommands } from './traffic-monitor.js';

export class NodePacer {
  private readonly limiter: RateLimiter | null;
  private readonly controller: PaceController;
  private readonly monitor: TrafficMonitor;
  /** Under a rate limit no page is bigger than a tenth of a second's worth, so the pace is even. */
  private readonly rateCap: number;
  private lastPage: { keys: number; sentAt: number; busy: boolean } | null = null;

  private constructor(
    node: string,
    pool: NodePool,
    options: AnalysisOptions,
    private readonly signal: AbortSignal,
    commands: ScanCommands,
  ) {
    this.limiter = options.rateLimit > 0 ? new RateLimiter(options.rateLimit) : null;
    this.rateCap = this.limiter === null ? Number.POSITIVE_INFINITY : Math.max(1, Math.floor(options.rateLimit / 10));
    this.controller = new PaceController({
      maxCpuShare: options.maxCpuShare,
      idleCpuShare: options.idleCpuShare,
      maxBlockUs: options.maxBlockUs,
      batchSize: options.batchSize,
      busyBatchSize: options.busyBatchSize,
    });
    // busy_batch_size = batch_size: one page size always, as before budgets existed.
    const adapt = options.busyBatchSize !== options.batchSize;
    this.monitor = new TrafficMonitor(node, pool, this.controller, adapt, commands);
  }

  /**
   * Starts watching the node; finish() when done. `commands`: what the scan sends per key besides
   * SCAN (engine/traffic-monitor.ts), so that they are not taken for traffic; a number is the size
   * commands a big key scan sends per key (STRLEN..., MEMORY USAGE).
   */
  static start(node: string, pool: NodePool, options: AnalysisOptions, signal: AbortSignal, commands: ScanCommands | number = OBJECT_FREQ_COMMANDS): NodePacer {
    const pacer = new NodePacer(node, pool, options, signal, typeof commands === 'number' ? { sizePerKey: commands } : commands);
    pacer.monitor.start();
    return pacer;
  }

  pageSize(): PageSize {
    const size = this.controller.pageSize();
    return size.count <= this.rateCap ? size : { ...size, count: this.rateCap };
  }

  /**
   * Waits until a batch of `keys` keys may be sent: the share's pause, then the rate limit.
   * Called right before each batch is sent (a page's, and each further batch of a page sent in
   * several), so while busy (one batch at a time) the time since the last call, pauses excluded,
   * is a whole cycle: the round trip, the node's work and keyheat's own. Each batch is one block
   * of the node's work: the longest reported is the largest times the per-key cost measured
   * around it (analysis/pace-controller.ts BlockLedger).
   */
  async pace(keys: number): Promise<void> {
    const now = performance.now();
    const last = this.lastPage;
    if (last !== null && last.busy && this.controller.busy) this.controller.observeCycle(last.keys, now - last.sentAt);
    this.monitor.pageSent(keys);
    const wait = this.controller.reserve(keys);
    if (wait > 0) await sleep(wait, this.signal);
    if (this.limiter !== null) await this.limiter.take(keys, this.signal);
    this.lastPage = { keys, sentAt: performance.now(), busy: this.controller.busy };
  }

  /**
   * What the scan cost the node: its share from the traffic monitor; its longest block from the
   * batches this pacer sent and the per-key costs measured around each (the controller's ledger).
   */
  async finish(): Promise<NodePacing> {
    const pacing = await this.monitor.stop();
    const longest = this.controller.longestBlockUs;
    return { ...pacing, longestBlockUs: longest === null ? null : Math.round(longest) };
  }
}
