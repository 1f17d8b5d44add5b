/**
 * The task page after a sampling phase, in Debian's Chromium: a real redis-server read by a
 * load client at clearly different rates while keyheat watches it with MONITOR, then the page
 * read by role and accessible name. On an LFU instance the measured ranking sits beside the LFU
 * list, which gains a sortable "Sampled qps" column; on an LRU instance (no LFU counters) the
 * measured ranking is the only one and the LFU area says why. On failure a screenshot is saved.
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Arg, RespConnection } from '../../src/redis/resp-connection.js';
import { desktopPage, launchChromium, screenshotOnFailure, serveDashboard, signIn } from '../helpers/browser.js';
import { ADMIN, P1, startHarness, type Harness } from '../helpers/keyheat-harness.js';
import { startRedis, type RedisServer } from '../helpers/redis-server.js';

/** GETs per second per key. `sample:miss` is never written: reads of a missing key (cache misses) that no LFU scan can find. */
const RATES = { 'sample:hot': 1200, 'sample:warm': 400, 'sample:miss': 200, 'sample:cool': 60 } as const;
const DRIVEN = Object.keys(RATES);
const WRITTEN = ['sample:hot', 'sample:warm', 'sample:cool', 'sample:idle'];
const TICK_MS = 10;

interface Load {
  /** Stops sending and waits for every reply; the GETs sent per key. */
  stop(): Promise<Record<string, number>>;
}

/**
 * Pipelined GETs on a timer from one client. Each tick sends what elapsed time owes each key,
 * so the rates hold however late the timer fires.
 */
async function driveLoad(server: RedisServer, rates: Readonly<Record<string, number>>): Promise<Load> {
  const connection: RespConnection = await server.connect();
  const sent: Record<string, number> = Object.fromEntries(Object.keys(rates).map((k) => [k, 0]));
  const inFlight = new Set<Promise<unknown>>();
  let failure: unknown = null;
  const start = performance.now();
  const tick = (): void => {
    const elapsed = (performance.now() - start) / 1000;
    const batch: Arg[][] = [];
    for (const [key, rate] of Object.entries(rates)) {
      const due = Math.floor(rate * elapsed) - (sent[key] ?? 0);
      for (let i = 0; i < due; i++) batch.push(['GET', key]);
      sent[key] = (sent[key] ?? 0) + due;
    }
    if (batch.length === 0) return;
    const reply = connection.pipeline(batch).catch((error: unknown) => (failure ??= error));
    inFlight.add(reply);
    void reply.finally(() => inFlight.delete(reply));
  };
  const timer = setInterval(tick, TICK_MS);
  return {
    async stop() {
      clearInterval(timer);
      await Promise.all(inFlight);
      connection.close();
      if (failure !== null) throw failure instanceof Error ? failure : new Error(String(failure));
      return sent;
    },
  };
}

/**
 * Writes the keys the load reads, and reads `sample:idle` a few times so that its counter is
 * above a new key's 5 and the LFU list reports it: an LFU key the window never sees. All of
 * this happens before the window, so none of it is counted there.
 */
async function writeKeys(server: RedisServer): Promise<void> {
  const connection = await server.connect();
  try {
    await connection.pipeline(WRITTEN.map((key) => ['SET', key, 'v']));
    await connection.pipeline(Array.from({ length: 20 }, () => ['GET', 'sample:idle']));
  } finally {
    connection.close();
  }
}

describe('the task page after a sampling phase, in Chromium', () => {
  let lfu: RedisServer;
  let lru: RedisServer;
  let harness: Harness;
  let browser: Browser;
  let page: Page;
  let base: string;

  beforeAll(async () => {
    [lfu, lru] = await Promise.all([startRedis({ lfuDecayTime: 0 }), startRedis({ policy: 'allkeys-lru' })]);
    await Promise.all([writeKeys(lfu), writeKeys(lru)]);
    harness = await startHarness();
    base = await serveDashboard(harness.keyheat);
    browser = await launchChromium();
    page = await desktopPage(browser);
    await signIn(page, base, P1, ADMIN);
  }, 60_000);

  afterEach(async (test) => {
    if (test.task.result?.state === 'fail') await screenshotOnFailure(page, test.task.name);
  });

  afterAll(async () => {
    await browser?.close();
    await harness?.close({ removeData: true });
    await lfu?.stop();
    await lru?.stop();
  });

  /** Registers the server, runs a task with a 2 s sampling window under the load, and opens its page. */
  async function sampleUnderLoad(server: RedisServer, name: string): Promise<Record<string, unknown>> {
    const instanceId = await harness.registerInstance(server.url, name);
    const load = await driveLoad(server, RATES);
    try {
      // The load is steady before the window opens, so the window sees the driven rates whenever it starts.
      await new Promise((r) => setTimeout(r, 300));
      const created = await harness.request('POST', `/v2/${P1}/instances/${instanceId}/hotkey-task`, { body: { sample_seconds: 2 } });
      expect(created.status, created.text).toBe(200);
      const taskId = created.body['id'] as string;
      const task = await harness.waitForTask(instanceId, taskId, ['success', 'failed'], 20_000);
      expect(task['status'], String(task['error_msg'])).toBe('success');
      await page.goto(`${base}#/instances/${encodeURIComponent(instanceId)}/tasks/${encodeURIComponent(taskId)}`);
      return task;
    } finally {
      await load.stop();
    }
  }

  /** A rate as the page shows it ("1,190/s") as a number. */
  const rateOf = async (cell: { textContent(): Promise<string | null> }): Promise<number> => Number((await cell.textContent())?.replace(/[^\d.]/g, ''));

  const withoutMarks = (names: readonly string[]): string[] => names.map((n) => n.replace(/(saturated|new|rising|not in LFU list)+$/, ''));

  it('ranks the keys by measured rate beside the LFU list, with a sortable Sampled qps column', async () => {
    await sampleUnderLoad(lfu, 'cache-lfu');
    await page.getByRole('heading', { name: 'Measured rates (sampling)', level: 2 }).waitFor();
    const sampled = page.getByRole('table', { name: /^Measured rates \(sampling\)/ });
    const names = withoutMarks(await sampled.getByRole('rowheader').allTextContents());
    expect(names[0]).toBe('sample:hot');
    expect(names.filter((n) => DRIVEN.includes(n))).toEqual(['sample:hot', 'sample:warm', 'sample:miss', 'sample:cool']);
    expect(names).not.toContain('sample:idle');
    // The hottest key's measured rate, as shown, is near the driven 1,200/s.
    const hotRate = await rateOf(sampled.getByRole('row', { name: /sample:hot/ }).getByRole('cell').nth(2));
    expect(hotRate).toBeGreaterThan(RATES['sample:hot'] * 0.8);
    expect(hotRate).toBeLessThan(RATES['sample:hot'] * 1.2);
    // Only the key the scan could not find carries the mark.
    await expect(sampled.getByRole('row', { name: /sample:miss/ }).getByText('not in LFU list').isVisible()).resolves.toBe(true);
    expect(await sampled.getByRole('row', { name: /sample:hot/ }).getByText('not in LFU list').count()).toBe(0);
    await expect(page.getByText(/^\d+(\.\d)? s of MONITOR on 1 node, [\d,.]+ commands\/s seen/).isVisible()).resolves.toBe(true);

    const lfuTable = page.getByRole('table', { name: /^Hot keys/ });
    await expect(lfuTable.getByRole('columnheader', { name: 'Sampled qps' }).isVisible()).resolves.toBe(true);
    const sampledColumn = (await lfuTable.getByRole('columnheader').allTextContents()).findIndex((h) => h.startsWith('Sampled qps'));
    // Row cells exclude the row header (the key), so the column's cell index is one less.
    const cellOf = (key: string) => lfuTable.getByRole('row', { name: new RegExp(`^${key}`) }).getByRole('cell').nth(sampledColumn - 1);
    await expect(cellOf('sample:idle').textContent()).resolves.toBe('–');
    await expect(cellOf('sample:hot').textContent()).resolves.toMatch(/^[\d,.]+\/s$/);
    expect(await rateOf(cellOf('sample:hot'))).toBe(hotRate);
    await lfuTable.getByRole('button', { name: 'Sampled qps' }).click();
    expect(await lfuTable.getByRole('columnheader', { name: 'Sampled qps' }).getAttribute('aria-sort')).toBe('descending');
    expect(withoutMarks(await lfuTable.getByRole('rowheader').allTextContents())).toEqual(['sample:hot', 'sample:warm', 'sample:cool', 'sample:idle']);
  }, 40_000);

  it('on an instance without LFU counters, shows the measured ranking and says why there is no LFU list', async () => {
    const task = await sampleUnderLoad(lru, 'cache-lru');
    expect(task['keys']).toEqual([]);
    await page.getByRole('heading', { name: 'Measured rates (sampling)', level: 2 }).waitFor();
    const sampled = page.getByRole('table', { name: /^Measured rates \(sampling\)/ });
    const names = withoutMarks(await sampled.getByRole('rowheader').allTextContents());
    expect(names.filter((n) => DRIVEN.includes(n))).toEqual(['sample:hot', 'sample:warm', 'sample:miss', 'sample:cool']);
    // No LFU list to be missing from: no key is marked.
    expect(await sampled.getByText('not in LFU list').count()).toBe(0);
    const keysSection = page.getByRole('region', { name: 'Hot keys' });
    await expect(keysSection.getByText(/keeps no LFU counters/).isVisible()).resolves.toBe(true);
    expect(await page.getByRole('table', { name: /^Hot keys/ }).count()).toBe(0);
  }, 40_000);
});
