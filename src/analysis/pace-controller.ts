/**
 * How fast to read one node, from two budgets that mean something to an operator:
 * - maxCpuShare: the share of the node's main thread the scan may use (Redis's own accounting,
 *   INFO commandstats usec of SCAN and OBJECT);
 * - maxBlockUs: the longest stretch of work one page may cost the node: Redis runs a page's
 *   SCAN and its pipelined OBJECT FREQ batch in one go, and other clients wait meanwhile
 *   (default: 500 us x maxCpuShare).
 *
 * The node's per-key cost (c, microseconds) is measured from INFO commandstats; the round trip
 * (r) from the scan's own pages. A page of n keys costs the node n*c, and one page goes per
 * round trip (SCAN's cursor comes from the previous reply), so without pauses the share is
 * n*c / (r + n*c). The page size is therefore
 *     n = min(maxBlockUs / c, max(S*r / (c*(1-S)), MIN_PAGE))
 * - on a long round trip, pages just big enough to reach the share S with no pause, capped by
 *   the block budget;
 * - on a short one (loopback), small pages, and pauses that hold the share at S: each page
 *   reserves n*c/S of wall time on a virtual clock, and the scan sleeps once it is a
 *   millisecond ahead (timers have millisecond resolution; the average share is exact).
 *
 * While the node serves nobody else, pages are `batchSize` keys with IDLE_WINDOW batches in
 * flight and the share is idleCpuShare (1.0: no pause). A fixed `busyBatchSize` overrides the
 * computed page size while busy. Pure: the clock is given, nothing here does I/O.
 */
export interface PaceSettings {
  readonly maxCpuShare: number;
  readonly idleCpuShare: number;
  /** 0: BLOCK_US_PER_SHARE x maxCpuShare. */
  readonly maxBlockUs: number;
  /** Idle page size, and the largest page ever. */
  readonly batchSize: number;
  /** > 0: the page size while busy, whatever the budgets say. */
  readonly busyBatchSize: number;
}

export interface PageSize {
  /** SCAN COUNT hint: keys per page, and OBJECT FREQ commands per batch. */
  readonly count: number;
  /** OBJECT FREQ batches in flight besides the one just sent (0 = one page at a time). */
  readonly window: number;
}

/**
 * The block budget when none is given: proportional to the share, 50 us at 10%. A page's block
 * delays the other clients that arrive during it, about share x the time; this keeps both
 * budgets in step (bench/production.ts: 50 us at 10% left the load's p99 where redis-cli's was).
 */
export const BLOCK_US_PER_SHARE = 500;
/** Extra OBJECT FREQ batches in flight on an idle node: keeps it busy, bounds client memory. */
export const IDLE_WINDOW = 2;
/** Below about redis-cli's 10 keys a page, round trips cost more than the pages are worth. */
export const MIN_PAGE = 10;
/** Before the first measurement: somewhat above what Redis 7 costs here (~2 us a key). */
export const INITIAL_COST_US = 3;
const COST_SAMPLES = 3;
/** Before the first page: a LAN round trip. */
export const INITIAL_RTT_US = 200;
/**
 * How far the share's clock may lag behind now: a sleep that overshot (timers fire late by up to
 * a millisecond or two) is made up by sending the next pages without pause, but never more than
 * this: a scan that was slowed down by other things gets no burst afterwards.
 */
const CATCH_UP_MS = 2;
/**
 * Round-trip samples kept. Their median is the round trip: it includes what every page pays
 * besides the node's work (the network, both event loops waking up), which the minimum would
 * miss, and is not moved by the odd page that waited behind another client.
 */
const RTT_SAMPLES = 16;
const MIN_RTT_US = 10;

export class PaceController {
  private costUs = INITIAL_COST_US;
  /** The last COST_SAMPLES per-key costs measured; their median is the estimate. */
  private readonly costs: number[] = [];
  private readonly rtts: number[] = [];
  private busyNow = true;
  /** Virtual clock (ms): when the Redis time reserved so far is paid for at the current share. */
  private nextFree = 0;

  constructor(
    private readonly settings: PaceSettings,
    private readonly now: () => number = () => performance.now(),
  ) {}

  get busy(): boolean {
    return this.busyNow;
  }

  /** Per-key cost estimate, microseconds. */
  get keyCostUs(): number {
    return this.costUs;
  }

  /** Round-trip estimate, microseconds. */
  get roundTripUs(): number {
    if (this.rtts.length === 0) return INITIAL_RTT_US;
    const sorted = [...this.rtts].sort((a, b) => a - b);
    return sorted[sorted.length >> 1] as number;
  }

  setBusy(busy: boolean): void {
    this.busyNow = busy;
  }

  /**
   * A measured per-key cost (one sampling interval). The estimate is the median of the last
   * three: one odd interval (the node descheduled, a burst of other work) moves nothing, a cost
   * that really changed (blocks overrunning) is followed from the second interval on. The first
   * measurement replaces the guess.
   */
  observeCost(usPerKey: number): void {
    if (!(usPerKey > 0) || !Number.isFinite(usPerKey)) return;
    this.costs.push(usPerKey);
    if (this.costs.length > COST_SAMPLES) this.costs.shift();
    const sorted = [...this.costs].sort((a, b) => a - b);
    this.costUs = this.costs.length < COST_SAMPLES ? Math.max(...sorted) : (sorted[COST_SAMPLES >> 1] as number);
  }

  /** A page of `keys` keys took `ms` from its sending to the next page's (one page in flight, pauses excluded). */
  observeCycle(keys: number, ms: number): void {
    const rtt = ms * 1000 - keys * this.costUs;
    this.rtts.push(Math.max(MIN_RTT_US, rtt));
    if (this.rtts.length > RTT_SAMPLES) this.rtts.shift();
  }

  pageSize(): PageSize {
    const { batchSize, busyBatchSize } = this.settings;
    if (!this.busyNow) return { count: batchSize, window: IDLE_WINDOW };
    if (busyBatchSize > 0) return { count: Math.min(busyBatchSize, batchSize), window: 0 };
    return { count: this.budgetPage(), window: 0 };
  }

  /** The block budget in effect, microseconds. */
  get maxBlockUs(): number {
    return this.settings.maxBlockUs > 0 ? this.settings.maxBlockUs : BLOCK_US_PER_SHARE * this.settings.maxCpuShare;
  }

  /** The largest page within the block budget (at least 1 key). */
  blockPage(): number {
    return Math.max(1, Math.floor(this.maxBlockUs / this.costUs));
  }

  private budgetPage(): number {
    const share = this.settings.maxCpuShare;
    const toReachShare = share >= 1 ? Number.POSITIVE_INFINITY : Math.ceil((share * this.roundTripUs) / (this.costUs * (1 - share)));
    return Math.max(1, Math.min(this.blockPage(), Math.max(toReachShare, MIN_PAGE), this.settings.batchSize));
  }

  /**
   * Reserves the node's time for a page of `keys` keys at the current share; returns how many
   * milliseconds to wait before sending it (0 when under a millisecond ahead).
   */
  reserve(keys: number): number {
    const share = this.busyNow ? this.settings.maxCpuShare : this.settings.idleCpuShare;
    if (share >= 1) return 0;
    const now = this.now();
    const start = Math.max(this.nextFree, now - CATCH_UP_MS);
    this.nextFree = start + (keys * this.costUs) / 1000 / share;
    const wait = start - now;
    return wait >= 1 ? wait : 0;
  }
}
