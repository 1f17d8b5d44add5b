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
 *     b = BLOCK_TARGET * maxBlockUs / c_block        (the batch limit, below)
 *     n = min(b - SCAN_SLACK, max(S*r / (c*(1-S)), MIN_PAGE))
 * - on a long round trip, pages just big enough to reach the share S with no pause, capped by
 *   the block budget;
 * - on a short one (loopback), small pages, and pauses that hold the share at S: each page
 *   reserves n*c/S of wall time on a virtual clock, and the scan sleeps once it is a
 *   millisecond ahead (timers have millisecond resolution; the average share is exact).
 *
 * The block budget is kept per batch, not only per page: SCAN's COUNT is a hint, and a page can
 * come back with more keys than asked (a bucket's whole chain). `batch` is the most keys whose
 * commands go to the node in one go; the scanner sends a bigger page's commands in several
 * batches, each after the previous one's replies (redis/node-scanner.ts), and SCAN is asked for
 * SCAN_SLACK keys less than that, so that splitting is rare. The batch is sized with a
 * conservative cost c_block, the largest of the last BLOCK_COST_SAMPLES measurements
 * (INITIAL_BLOCK_COST_US before the first), to BLOCK_TARGET of the budget: the block a batch
 * costs is what other clients feel, and a cost can rise before it is measured; the share, an
 * average, uses the median c. The longest block reported is each interval's largest batch
 * times the cost measured around it (BlockLedger, below).
 *
 * While the node serves nobody else (one quiet sample at the start; QUIET_SAMPLES in a row once
 * others were served), pages are `batchSize` keys with IDLE_WINDOW batches in flight and the
 * share is idleCpuShare (1.0: no pause). A fixed `busyBatchSize` overrides the
 * computed page size while busy (and is not split). Pure: the clock is given, nothing here does I/O.
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
  /**
   * The most keys whose commands go to the node in one go: a page SCAN returned bigger is sent
   * in batches of at most this many, each after the previous one's replies. Absent: no limit.
   */
  readonly batch?: number;
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
/**
 * What a key may cost for the block budget before the first measurement: small pages cost more
 * a key (SCAN's own work is shared by fewer keys: ~2.4 us at 10-16 keys here) and a slower node
 * twice that; a scan's first pages must not overrun the budget on such a node.
 */
export const INITIAL_BLOCK_COST_US = 6;
const COST_SAMPLES = 3;
/** Measurements (100 ms each) whose largest sizes the batches: a cost that rose is followed at once, one that fell after a second. */
export const BLOCK_COST_SAMPLES = 10;
/**
 * The share of the block budget a batch is sized to at that cost: room for a cost that rises
 * before it is measured (a busier machine: on the project's loaded 2-core machine one interval
 * in a hundred cost 10-35% more a key than the largest of the second before). At 0.8,
 * bench/production.ts once reported 126 us against a 125 us budget.
 */
export const BLOCK_TARGET = 0.75;
/**
 * Keys SCAN is asked for below the batch limit: a page comes back with up to a bucket's chain
 * more than asked (here: 1 key more on a quarter of the pages, 3 or more on 1.5%), and a page
 * over the limit costs a second round trip for its last keys.
 */
export const SCAN_SLACK = 2;
/** Intervals on either side of one whose median cost its largest batch is charged (BlockLedger). */
export const LEDGER_HALF = 2;
/** Quiet samples in a row (100 ms each) after which a node that served others counts as idle again. */
export const QUIET_SAMPLES = 3;
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
  /** The last BLOCK_COST_SAMPLES per-key costs measured; their largest sizes the batches. */
  private readonly blockCosts: number[] = [];
  private readonly rtts: number[] = [];
  private readonly blocks = new BlockLedger();
  private busyNow = true;
  private trafficSeen = false;
  private quietSamples = 0;
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

  /** The per-key cost the batches are sized with (the largest recent one), microseconds. */
  get blockCostUs(): number {
    return this.blockCosts.length === 0 ? INITIAL_BLOCK_COST_US : Math.max(...this.blockCosts);
  }

  /** Round-trip estimate, microseconds. */
  get roundTripUs(): number {
    if (this.rtts.length === 0) return INITIAL_RTT_US;
    const sorted = [...this.rtts].sort((a, b) => a - b);
    return sorted[sorted.length >> 1] as number;
  }

  /**
   * What the traffic monitor saw in its last sample. Busy at once; idle after one quiet sample
   * while no traffic was seen yet (an idle node is read at full speed within 100 ms), but after
   * QUIET_SAMPLES in a row once it was: a lull in a live load, or a load that could not send
   * for a moment, is not an idle node, and idle pages are big.
   */
  setBusy(busy: boolean): void {
    if (busy) {
      this.trafficSeen = true;
      this.quietSamples = 0;
      this.busyNow = true;
      return;
    }
    this.quietSamples += 1;
    if (!this.trafficSeen || this.quietSamples >= QUIET_SAMPLES) this.busyNow = false;
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
    this.blockCosts.push(usPerKey);
    if (this.blockCosts.length > BLOCK_COST_SAMPLES) this.blockCosts.shift();
    this.blocks.interval(usPerKey);
  }

  /** The longest batch's work so far (BlockLedger), microseconds; null before any cost was measured. */
  get longestBlockUs(): number | null {
    return this.blocks.longestUs;
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
    const batch = Math.min(this.blockPage(), batchSize);
    return { count: this.budgetPage(batch), window: 0, batch };
  }

  /** The block budget in effect, microseconds. */
  get maxBlockUs(): number {
    return this.settings.maxBlockUs > 0 ? this.settings.maxBlockUs : BLOCK_US_PER_SHARE * this.settings.maxCpuShare;
  }

  /** The largest batch within the block budget (BLOCK_TARGET of it at the conservative cost; at least 1 key). */
  blockPage(): number {
    return Math.max(1, Math.floor((BLOCK_TARGET * this.maxBlockUs) / this.blockCostUs));
  }

  /**
   * The SCAN COUNT while busy: just enough to reach the share with no pause, at least MIN_PAGE,
   * but SCAN_SLACK below the batch limit (never below 1), so that a page rarely needs two batches.
   */
  private budgetPage(batch: number): number {
    const share = this.settings.maxCpuShare;
    const toReachShare = share >= 1 ? Number.POSITIVE_INFINITY : Math.ceil((share * this.roundTripUs) / (this.costUs * (1 - share)));
    return Math.max(1, Math.min(batch - SCAN_SLACK, Math.max(toReachShare, MIN_PAGE)));
  }

  /**
   * Reserves the node's time for a page of `keys` keys at the current share; returns how many
   * milliseconds to wait before sending it (0 when under a millisecond ahead).
   */
  reserve(keys: number): number {
    this.blocks.batch(keys);
    const share = this.busyNow ? this.settings.maxCpuShare : this.settings.idleCpuShare;
    if (share >= 1) return 0;
    const now = this.now();
    const start = Math.max(this.nextFree, now - CATCH_UP_MS);
    this.nextFree = start + (keys * this.costUs) / 1000 / share;
    const wait = start - now;
    return wait >= 1 ? wait : 0;
  }
}

/**
 * The longest stretch of work one batch cost the node: each batch's keys times the per-key cost
 * measured around it. The node's accounting (INFO commandstats) comes per interval (100 ms): an
 * interval's cost is an average over its ~100 batches, in wall time, so the node descheduled for
 * a few milliseconds during one of them (a busy machine) shows as the whole interval costing far
 * more; that stall meets every client, it is not longer batches. So an interval's largest batch
 * is charged the median cost of the intervals around it, LEDGER_HALF on either side (those there,
 * at either end of the scan): one or two intervals out of line are stalls, and a cost that rose
 * and stayed counts from its first interval. The batches of an interval with no measurement
 * (too few keys) count in the next one that has one.
 */
export class BlockLedger {
  private pendingBatch = 0;
  /** The last intervals measured (2 x LEDGER_HALF + 1 at most), oldest first: each one's largest batch and per-key cost. */
  private readonly window: { readonly batch: number; readonly cost: number }[] = [];
  /** Index in `window` of the first interval not yet charged (its later neighbours not all measured yet). */
  private uncharged = 0;
  private longest: number | null = null;

  /** A batch of `keys` keys is sent. */
  batch(keys: number): void {
    this.pendingBatch = Math.max(this.pendingBatch, keys);
  }

  /** An interval's per-key cost was measured: the batches sent since the last one ran in it. */
  interval(costUs: number): void {
    this.window.push({ batch: this.pendingBatch, cost: costUs });
    this.pendingBatch = 0;
    for (; this.uncharged < this.window.length - LEDGER_HALF; this.uncharged++) this.longest = Math.max(this.longest ?? 0, this.chargeOf(this.uncharged));
    if (this.window.length > 2 * LEDGER_HALF + 1) {
      this.window.shift();
      this.uncharged -= 1;
    }
  }

  /** The longest batch's work, microseconds (the last intervals with the neighbours they have); null before any measurement. */
  get longestUs(): number | null {
    let longest = this.longest;
    for (let i = this.uncharged; i < this.window.length; i++) longest = Math.max(longest ?? 0, this.chargeOf(i));
    return longest;
  }

  private chargeOf(index: number): number {
    const around = this.window
      .slice(Math.max(0, index - LEDGER_HALF), index + LEDGER_HALF + 1)
      .map((interval) => interval.cost)
      .sort((a, b) => a - b);
    // An even count (an end of the scan): the upper median.
    return (this.window[index] as { batch: number }).batch * (around[around.length >> 1] as number);
  }
}
