/**
 * Snapshot analyses from the dashboard, in Debian's Chromium: the instance page's "From a
 * snapshot" choice starts hot and big key tasks with strategy "snapshot", and each task page
 * shows the RDB it read and what the fork cost the node. On failure a screenshot is saved.
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { desktopPage, launchChromium, screenshotOnFailure, serveDashboard, signIn } from '../helpers/browser.js';
import { ADMIN, P1, startHarness, type Harness } from '../helpers/keyheat-harness.js';
import { startRedis, type RedisServer } from '../helpers/redis-server.js';
import { restoreWithFreq } from '../helpers/seed-keys.js';

describe('snapshot analyses in the dashboard, in Chromium', () => {
  let redis: RedisServer;
  let harness: Harness;
  let browser: Browser;
  let page: Page;
  let base: string;
  let instanceId: string;

  beforeAll(async () => {
    redis = await startRedis({ lfuDecayTime: 0, extraArgs: ['--repl-diskless-sync-delay', '0'] });
    await restoreWithFreq(redis, [
      { name: 'snap:hot', freq: 150 },
      { name: 'snap:warm', freq: 60 },
    ]);
    await redis.command(['SET', 'snap:big', 'x'.repeat(20_000)]);
    harness = await startHarness();
    instanceId = await harness.registerInstance(redis.url, 'cache-snap');
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
    await redis?.stop();
  });

  it('starts a hot and a big key task from a snapshot and shows what each fork cost', async () => {
    await page.goto(`${base}#/instances/${encodeURIComponent(instanceId)}`);
    await page.getByRole('heading', { name: 'cache-snap', level: 1 }).waitFor();
    await page.getByRole('checkbox', { name: /From a snapshot/ }).check();
    await page.getByRole('button', { name: 'Analyse now' }).click();
    await page.getByRole('link', { name: 'See the result' }).click({ timeout: 20_000 });

    await page.getByRole('heading', { name: 'Snapshots read', level: 2 }).waitFor();
    await expect(page.getByText(/keys read from snapshots in/).isVisible()).resolves.toBe(true);
    const snapshots = page.getByRole('table', { name: /^Snapshots read/ });
    const row = snapshots.getByRole('row', { name: new RegExp(`127\\.0\\.0\\.1:${redis.port}`) });
    const cells = await row.getByRole('cell').allTextContents();
    expect(cells[0]).toBe('primary');
    expect(cells[1]).toMatch(/^[\d.,]+ (B|KB|MB) \(v\d+\)$/);
    expect(cells[2]).toBe('3');
    expect(cells[3]).toMatch(/^\d+\.\d ms$/);
    const hot = page.getByRole('table', { name: /^Hot keys/ });
    expect((await hot.getByRole('rowheader').allTextContents()).map((n) => n.replace(/(saturated|new|rising)+$/, ''))).toEqual(['snap:hot', 'snap:warm']);

    // The task as the API has it: the choice reached the server as strategy "snapshot".
    const tasks = (await harness.request('GET', `/v2/${P1}/instances/${instanceId}/hotkey-tasks`)).body['records'] as { id: string }[];
    const task = (await harness.request('GET', `/v2/${P1}/instances/${instanceId}/hotkey-task/${tasks[0]?.id ?? ''}`)).body;
    expect(task['options']).toEqual({ strategy: 'snapshot' });

    await page.goto(`${base}#/instances/${encodeURIComponent(instanceId)}`);
    await page.getByRole('checkbox', { name: /From a snapshot/ }).check();
    await page.getByRole('button', { name: 'Analyse big keys' }).click();
    await page.getByRole('link', { name: 'Open the big key result' }).click({ timeout: 20_000 });
    await page.getByRole('heading', { name: 'Snapshots read', level: 2 }).waitFor();
    const big = page.getByRole('table', { name: /^Big keys/ });
    expect((await big.getByRole('rowheader').allTextContents()).map((n) => n.replace(/(also hot)+$/, ''))).toEqual(['snap:big']);
  }, 60_000);
});
