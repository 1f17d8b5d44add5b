/**
 * The pacing controller against a simulated node on a fake clock: one batch per round trip,
 * each batch costing the node keys x cost, INFO commandstats sampled every 100 ms. A page SCAN
 * returns may hold more keys than asked (`excess`); its keys then go in several batches, as
 * redis/node-scanner.ts sends them.
 */
import { describe, expect, it } from 'vitest';
import { BLOCK_COST_SAMPLES, BLOCK_TARGET, BlockLedger, IDLE_WINDOW, INITIAL_BLOCK_COST_US, MIN_PAGE, PaceController, QUIET_SAMPLES, SCAN_SLACK, type PaceSettings } from '../../src/analysis/pace-controller.js';
import { seededRandom } from '../helpers/seeded-random.js';

interface Node {
  readonly rttUs: number;
  /** Microseconds of the node's main thread per key; may change during the run. */
  costUs: (elapsedMs: number) => number;
  /** Keys SCAN returns beyond the COUNT asked (a bucket's chain); none by default. */
  excess?: () => number;
}

interface Run {
  readonly share: number;
  /** Longest page's work after the first commandstats sample (before it the cost is a guess). */
  readonly maxBlockUs: number;
  readonly seconds: number;
  readonly pages: number[];
}

const SETTINGS: PaceSettings = { maxCpuShare: 0.1, idleCpuShare: 1, maxBlockUs: 100, batchSize: 1000, busyBatchSize: 0 };

function simulate(node: Node, settings: Partial<PaceSettings> = {}, keys = 300_000): Run {
  let now = 0;
  const controller = new PaceController({ ...SETTINGS, ...settings }, () => now);
  controller.setBusy(true);
  let serverUs = 0;
  let scanned = 0;
  let maxBlockUs = 0;
  let lastSample = 0;
  let sampled = false;
  let interval = { keys: 0, us: 0 };
  const pages: number[] = [];
  while (scanned < keys) {
    const size = controller.pageSize();
    const n = size.count + (node.excess?.() ?? 0);
    const limit = size.batch ?? n;
    for (let from = 0; from < n; from += limit) {
      const m = Math.min(limit, n - from);
      now += controller.reserve(m);
      const work = m * node.costUs(now);
      if (sampled) maxBlockUs = Math.max(maxBlockUs, work);
      const cycleMs = (node.rttUs + work) / 1000;
      now += cycleMs;
      serverUs += work;
      controller.observeCycle(m, cycleMs);
      interval = { keys: interval.keys + m, us: interval.us + work };
      if (now - lastSample >= 100) {
        controller.observeCost(interval.us / interval.keys);
        interval = { keys: 0, us: 0 };
        lastSample = now;
        sampled = true;
      }
    }
    scanned += n;
    pages.push(n);
  }
  return { share: serverUs / (now * 1000), maxBlockUs, seconds: now / 1000, pages };
}

const steady = (rttUs: number, costUs: number): Node => ({ rttUs, costUs: () => costUs });

describe('PaceController', () => {
  describe.each([
    [50, 1],
    [50, 2],
    [200, 2],
    [460, 2],
    [460, 4],
    [2000, 1],
  ])('on a %i us round trip at %i us a key', (rttUs, costUs) => {
    it.each([0.05, 0.1, 0.25])('holds the share at %s or as close below as the block budget allows', (share) => {
      const run = simulate(steady(rttUs, costUs), { maxCpuShare: share });
      expect(run.maxBlockUs).toBeLessThanOrEqual(SETTINGS.maxBlockUs);
      // The most the block budget allows: one page per round trip of BLOCK_TARGET of the budget,
      // SCAN asked for SCAN_SLACK keys less (room for the keys it returns beyond COUNT).
      const blockPage = Math.floor((BLOCK_TARGET * SETTINGS.maxBlockUs) / costUs) - SCAN_SLACK;
      const reachable = Math.min(share, (blockPage * costUs) / (rttUs + blockPage * costUs));
      expect(run.share).toBeLessThanOrEqual(share * 1.05);
      expect(run.share).toBeGreaterThanOrEqual(reachable * 0.85);
    });
  });

  it('takes bigger pages on a long round trip and smaller pages with pauses on a short one', () => {
    const far = simulate(steady(460, 2));
    const near = simulate(steady(50, 2));
    const median = (pages: number[]) => [...pages].sort((a, b) => a - b)[pages.length >> 1] as number;
    expect(median(far.pages)).toBeGreaterThan(median(near.pages));
    expect(median(near.pages)).toBe(MIN_PAGE);
    // 10-key pages on a 50 us round trip would use 29% of the node: pauses bring it to 10%.
    expect(near.share).toBeCloseTo(0.1, 1);
  });

  it('backs off within a sample or two when a key becomes dearer and pages overrun the block budget', () => {
    // 2 us a key for the first 2 s, then 6 us (a node under memory pressure, a slower replica).
    const node: Node = { rttUs: 460, costUs: (ms) => (ms < 2000 ? 2 : 6) };
    let now = 0;
    const controller = new PaceController({ ...SETTINGS, maxCpuShare: 0.25 }, () => now);
    controller.setBusy(true);
    let overruns = 0;
    let lastSample = 0;
    let interval = { keys: 0, us: 0 };
    while (now < 4000) {
      const n = controller.pageSize().count;
      now += controller.reserve(n);
      const work = n * node.costUs(now);
      if (work > SETTINGS.maxBlockUs) overruns += 1;
      now += (node.rttUs + work) / 1000;
      controller.observeCycle(n, (node.rttUs + work) / 1000);
      interval = { keys: interval.keys + n, us: interval.us + work };
      if (now - lastSample >= 100) {
        controller.observeCost(interval.us / interval.keys);
        interval = { keys: 0, us: 0 };
        lastSample = now;
      }
    }
    // Only the pages of one sampling interval (100 ms, at most ~200 pages) overran: the
    // batches are sized with the largest recent cost, which follows a rise at once.
    expect(overruns).toBeGreaterThan(0);
    expect(overruns).toBeLessThan(220);
    const batch = Math.floor((BLOCK_TARGET * SETTINGS.maxBlockUs) / 6);
    expect(controller.pageSize()).toEqual({ count: batch - SCAN_SLACK, window: 0, batch });
  });

  it('keeps every batch within the block budget when SCAN returns more keys than asked and the cost varies', () => {
    const random = seededRandom(7);
    // Up to 5 keys beyond COUNT (a bucket's chain), and a cost per 100 ms between 1.5 and 2.5 us.
    let cost = 2;
    let costAt = 0;
    const node: Node = {
      rttUs: 700,
      excess: () => [0, 0, 0, 0, 0, 0, 1, 1, 2, 5][Math.floor(random() * 10)] as number,
      costUs: (ms) => {
        if (ms - costAt >= 100) {
          cost = 1.5 + random();
          costAt = ms;
        }
        return cost;
      },
    };
    const run = simulate(node, { maxBlockUs: 50 });
    expect(run.maxBlockUs).toBeLessThanOrEqual(50);
    // Pages are still as big as the budget allows, most of the time in one batch.
    expect(Math.max(...run.pages)).toBeGreaterThan(15);
  });

  it('starts conservatively before the first measurement, and shrinks a page below MIN_PAGE when a key is dear', () => {
    const controller = new PaceController({ ...SETTINGS, maxBlockUs: 50 });
    controller.setBusy(true);
    const first = controller.pageSize();
    expect(first.batch).toBe(Math.floor((BLOCK_TARGET * 50) / INITIAL_BLOCK_COST_US));
    expect(first.count).toBeLessThanOrEqual((first.batch as number) - SCAN_SLACK);
    // 16 us a key (a slow node, big values): 2 keys a batch (32 us), 1 key asked of SCAN.
    for (let i = 0; i < 3; i++) controller.observeCost(16);
    expect(controller.pageSize()).toEqual({ count: 1, window: 0, batch: 2 });
    expect(controller.pageSize().count).toBeLessThan(MIN_PAGE);
  });

  it('sizes batches by the largest cost of the last second, the share by the median', () => {
    const controller = new PaceController({ ...SETTINGS, maxBlockUs: 75 });
    controller.setBusy(true);
    for (const cost of [2, 2, 3, 2, 2]) controller.observeCost(cost);
    expect(controller.keyCostUs).toBe(2);
    expect(controller.blockCostUs).toBe(3);
    expect(controller.pageSize().batch).toBe(Math.floor((BLOCK_TARGET * 75) / 3));
    for (let i = 0; i < BLOCK_COST_SAMPLES; i++) controller.observeCost(2);
    expect(controller.blockCostUs).toBe(2);
    expect(controller.pageSize().batch).toBe(Math.floor((BLOCK_TARGET * 75) / 2));
  });

  it('reports the longest batch at the cost measured around it: stalls of one or two intervals are not batches', () => {
    const run = (costs: number[], batch = 20): number | null => {
      const ledger = new BlockLedger();
      for (const cost of costs) {
        ledger.batch(batch);
        ledger.batch(batch - 3);
        ledger.interval(cost);
      }
      return ledger.longestUs;
    };
    expect(new BlockLedger().longestUs).toBeNull();
    // 2 us a key, the node descheduled during one interval, or two in a row: 20 keys x 2 us.
    expect(run([2, 2, 2, 9, 2, 2, 2])).toBe(40);
    expect(run([2, 2, 2, 9, 7, 2, 2, 2])).toBe(40);
    // A cost that rose and stayed counts from its first interval, at either end of the scan too.
    expect(run([2, 2, 2, 3, 3, 3, 2, 2, 2])).toBe(60);
    expect(run([2, 2, 2, 2, 2, 3, 3])).toBe(60);
    expect(run([3, 3, 2, 2, 2, 2])).toBe(60);
    expect(run([2.5])).toBe(50);
  });

  it('reports nothing when no cost was measured, and the only interval at its own cost', () => {
    const controller = new PaceController(SETTINGS);
    controller.reserve(40);
    expect(controller.longestBlockUs).toBeNull();
    controller.observeCost(1.5);
    expect(controller.longestBlockUs).toBe(60);
    controller.reserve(20);
    controller.observeCost(4);
    // Two intervals: each charged the upper of the two costs (40 keys x 4 us).
    expect(controller.longestBlockUs).toBe(160);
  });

  it('uses big pages, several in flight and no pause while the node serves nobody else', () => {
    let now = 0;
    const controller = new PaceController(SETTINGS, () => now);
    controller.setBusy(false);
    expect(controller.pageSize()).toEqual({ count: 1000, window: IDLE_WINDOW });
    for (let i = 0; i < 100; i++) expect(controller.reserve(1000)).toBe(0);
    now += 1;
  });

  it('counts a node idle after one quiet sample until it served others, then after QUIET_SAMPLES in a row', () => {
    const controller = new PaceController(SETTINGS);
    expect(controller.busy).toBe(true); // gentle until the first sample
    controller.setBusy(false);
    expect(controller.busy).toBe(false);
    controller.setBusy(true);
    expect(controller.busy).toBe(true);
    // A lull in the load (or a load that could not send for 100 ms) keeps the busy pages.
    for (let i = 1; i < QUIET_SAMPLES; i++) {
      controller.setBusy(false);
      expect(controller.busy).toBe(true);
    }
    controller.setBusy(true);
    for (let i = 1; i < QUIET_SAMPLES; i++) controller.setBusy(false);
    expect(controller.busy).toBe(true);
    controller.setBusy(false);
    expect(controller.busy).toBe(false);
  });

  it('paces an idle node too when idle_cpu_share is below 1', () => {
    const run = (() => {
      let now = 0;
      const controller = new PaceController({ ...SETTINGS, idleCpuShare: 0.5 }, () => now);
      controller.setBusy(false);
      controller.observeCost(2);
      let serverUs = 0;
      for (let i = 0; i < 1000; i++) {
        now += controller.reserve(1000);
        now += 1000 * 2 / 1000; // the page's work, no round trip (pipelined)
        serverUs += 2000;
      }
      return serverUs / (now * 1000);
    })();
    expect(run).toBeCloseTo(0.5, 1);
  });

  it('is not moved by one odd measurement', () => {
    const controller = new PaceController(SETTINGS);
    for (const cost of [2, 2, 2, 9, 2]) {
      controller.observeCost(cost);
      expect(controller.keyCostUs).toBe(2);
    }
  });

  it('takes a block budget of 500 us x the share when none is given', () => {
    expect(new PaceController({ ...SETTINGS, maxBlockUs: 0 }).maxBlockUs).toBe(50);
    expect(new PaceController({ ...SETTINGS, maxBlockUs: 0, maxCpuShare: 0.25 }).maxBlockUs).toBe(125);
    expect(new PaceController({ ...SETTINGS, maxBlockUs: 80, maxCpuShare: 0.25 }).maxBlockUs).toBe(80);
    const run = simulate(steady(460, 2), { maxBlockUs: 0 });
    expect(run.maxBlockUs).toBeLessThanOrEqual(50);
  });

  it('keeps a fixed busy_batch_size when one is configured', () => {
    const controller = new PaceController({ ...SETTINGS, busyBatchSize: 5 });
    expect(controller.pageSize()).toEqual({ count: 5, window: 0 });
  });
});
