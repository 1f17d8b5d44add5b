/**
 * The pacing controller against a simulated node on a fake clock: one page per round trip,
 * each page costing the node keys x cost, INFO commandstats sampled every 100 ms.
 */
import { describe, expect, it } from 'vitest';
import { IDLE_WINDOW, MIN_PAGE, PaceController, type PaceSettings } from '../../src/analysis/pace-controller.js';

interface Node {
  readonly rttUs: number;
  /** Microseconds of the node's main thread per key; may change during the run. */
  costUs: (elapsedMs: number) => number;
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
    const n = controller.pageSize().count;
    now += controller.reserve(n);
    const work = n * node.costUs(now);
    if (sampled) maxBlockUs = Math.max(maxBlockUs, work);
    const cycleMs = (node.rttUs + work) / 1000;
    now += cycleMs;
    serverUs += work;
    scanned += n;
    pages.push(n);
    controller.observeCycle(n, cycleMs);
    interval = { keys: interval.keys + n, us: interval.us + work };
    if (now - lastSample >= 100) {
      controller.observeCost(interval.us / interval.keys);
      interval = { keys: 0, us: 0 };
      lastSample = now;
      sampled = true;
    }
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
      // The most the block budget allows: one page of maxBlockUs per round trip.
      const blockPage = Math.floor(SETTINGS.maxBlockUs / costUs);
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

  it('backs off within two samples when a key becomes dearer and pages overrun the block budget', () => {
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
    // Only the pages of two sampling intervals (100 ms each, at most ~200 pages each) overran.
    expect(overruns).toBeGreaterThan(0);
    expect(overruns).toBeLessThan(440);
    expect(controller.pageSize().count).toBe(Math.floor(SETTINGS.maxBlockUs / 6));
  });

  it('uses big pages, several in flight and no pause while the node serves nobody else', () => {
    let now = 0;
    const controller = new PaceController(SETTINGS, () => now);
    controller.setBusy(false);
    expect(controller.pageSize()).toEqual({ count: 1000, window: IDLE_WINDOW });
    for (let i = 0; i < 100; i++) expect(controller.reserve(1000)).toBe(0);
    now += 1;
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
