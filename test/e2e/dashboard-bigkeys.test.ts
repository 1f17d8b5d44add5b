/**
 * Big key analysis in the dashboard, in Debian's Chromium, against a real redis-server holding
 * a few big keys of several types (one of them in db 3) and one key that is both big and hot.
 * A hot key task runs first (through the API: the big key scan reads every key's size, which on
 * a server without CLIENT NO-TOUCH counts as an access and would make every key look hot), then
 * the page analyses big keys. The page is read by role and accessible name: the big keys per
 * type, biggest first; the per-type totals; the "also hot" and "also big" marks in words; the
 * big key schedule, apart from the hot one; a read-only token without write actions; delete
 * with confirmation. On failure a screenshot is saved.
 */
import type { Browser, Locator, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { desktopPage, launchChromium, screenshotOnFailure, serveDashboard, signIn } from '../helpers/browser.js';
import { ADMIN, P1, READONLY, startHarness, type Harness } from '../helpers/keyheat-harness.js';
import { startRedis, type RedisServer } from '../helpers/redis-server.js';
import { seedRedis, type SeedKey } from '../helpers/seed-keys.js';

/** What the test reads of a canvas in the page (the test itself is compiled without DOM types). */
interface CanvasLike {
  readonly width: number;
  readonly height: number;
  getContext(kind: '2d'): { getImageData(x: number, y: number, w: number, h: number): { data: ArrayLike<number> } } | null;
}

/**
 * Over the default thresholds (a string over 10 KiB, a collection over 5,000 elements): two
 * strings, a list of exactly 5,001 in db 3, two hashes. `both:str` is also read 40 times, and
 * `small:hot` 20 times: on lfu-log-factor 0 their counters are 45 and 25, every other key's 5
 * (a new key's), so the hot key task lists exactly these two.
 */
const KEYS: readonly SeedKey[] = [
  { name: 'big:str', db: 0, type: 'string', size: 20 * 1024, hits: 0 },
  { name: 'both:str', db: 0, type: 'string', size: 12_000, hits: 40 },
  { name: 'small:hot', db: 0, type: 'string', size: 10, hits: 20 },
  { name: 'big:hash', db: 0, type: 'hash', size: 6000, hits: 0 },
  { name: 'big:hash2', db: 0, type: 'hash', size: 5200, hits: 0 },
  { name: 'small:hash', db: 0, type: 'hash', size: 10, hits: 0 },
  { name: 'small:set', db: 0, type: 'set', size: 3, hits: 0 },
  { name: 'big:list', db: 3, type: 'list', size: 5001, hits: 0 },
];

/** The API's order: strings, lists, sets, sorted sets, hashes, streams; biggest first within a type. */
const BIG_IN_ORDER = ['big:str', 'both:str', 'big:list', 'big:hash', 'big:hash2'];

const withoutMarks = (names: readonly string[]): string[] => names.map((n) => n.replace(/(also hot|also big|saturated|new|rising)+$/, ''));

/**
 * One row of a table as { column header: text }, found by the start of its row header (the
 * key, the type, the node): "big:hash" is not "big:hash2". Sort arrows are left out of headers.
 */
async function rowOf(table: Locator, start: string): Promise<Record<string, string>> {
  const headers = (await table.getByRole('columnheader').allTextContents()).map((h) => h.replace(/[▲▼]/g, '').trim());
  const row = table.getByRole('row', { name: new RegExp(`^${start.replaceAll('.', '\\.')}(?![\\w:])`) });
  const texts = [(await row.getByRole('rowheader').textContent()) ?? '', ...(await row.getByRole('cell').allTextContents())];
  return Object.fromEntries(headers.map((h, i) => [h, texts[i] ?? '']));
}

describe('big key analysis in the dashboard, in Chromium', () => {
  let redis: RedisServer;
  let harness: Harness;
  let browser: Browser;
  let page: Page;
  let base: string;
  let instanceId: string;
  let hotTaskId: string;

  beforeAll(async () => {
    // keyheat serves the dashboard it finds at start: the build must be done first.
    redis = await startRedis({ lfuLogFactor: 0, lfuDecayTime: 0 });
    await seedRedis(redis, KEYS);
    harness = await startHarness();
    base = await serveDashboard(harness.keyheat);
    instanceId = await harness.registerInstance(redis.url, 'cache-big');
    const created = await harness.createTask(instanceId);
    expect(created.status, created.text).toBe(200);
    hotTaskId = created.body['id'] as string;
    const hot = await harness.waitForTask(instanceId, hotTaskId);
    expect(hot['status'], String(hot['error_msg'])).toBe('success');
    expect((hot['keys'] as { name: string }[]).map((k) => k.name)).toEqual(['both:str', 'small:hot']);
    browser = await launchChromium();
    page = await desktopPage(browser);
    await signInWith(ADMIN);
  }, 60_000);

  afterEach(async (test) => {
    if (test.task.result?.state === 'fail') await screenshotOnFailure(page, test.task.name);
  });

  afterAll(async () => {
    await browser?.close();
    await harness?.close({ removeData: true });
    await redis?.stop();
  });

  const signInWith = (token: string): Promise<void> => signIn(page, base, P1, token);

  async function openInstance(): Promise<void> {
    await page.getByRole('link', { name: 'keyheat', exact: true }).click();
    await page.getByRole('link', { name: 'cache-big' }).click();
    await page.getByRole('heading', { name: 'Big key analyses' }).waitFor();
  }

  it('analyses big keys from the instance page and lists them per type, biggest first', async () => {
    await openInstance();
    await page.getByRole('button', { name: 'Analyse big keys' }).click();
    await page.getByRole('link', { name: 'Open the big key result' }).click({ timeout: 20_000 });
    const table = page.getByRole('table', { name: /^Big keys/ });
    await table.waitFor();
    expect(withoutMarks(await table.getByRole('rowheader').allTextContents())).toEqual(BIG_IN_ORDER);
    expect(await table.getByRole('columnheader', { name: 'Type' }).getAttribute('aria-sort')).toBe('ascending');
    await expect(rowOf(table, 'big:str')).resolves.toMatchObject({ Type: 'string', Size: '20,480 B', TTL: 'no expiry', DB: '0' });
    await expect(rowOf(table, 'big:list')).resolves.toMatchObject({ Type: 'list', Size: '5,001 items', DB: '3' });
    await expect(rowOf(table, 'big:hash')).resolves.toMatchObject({ Type: 'hash', Size: '6,000 items', DB: '0' });
    await expect(rowOf(table, 'big:hash2')).resolves.toMatchObject({ Type: 'hash', Size: '5,200 items', DB: '0' });
    await expect(page.getByText('A string is big above 10,240 bytes, a collection above 5,000 elements; up to 20 keys per type are listed.').isVisible()).resolves.toBe(true);

    // The key that is also in the hot key task says so in words; the others do not.
    await expect(table.getByRole('row', { name: /^both:str/ }).getByText('also hot', { exact: true }).isVisible()).resolves.toBe(true);
    expect(await table.getByText('also hot', { exact: true }).count()).toBe(1);

    const totals = page.getByRole('table', { name: /^Totals per type/ });
    expect(await totals.getByRole('rowheader').allTextContents()).toEqual(['string', 'list', 'set', 'hash']);
    const totalsOf = (type: string) => rowOf(totals, type);
    await expect(totalsOf('string')).resolves.toMatchObject({ Keys: '3', 'Total size': '31.7 KiB', 'Big keys': '2', 'Largest key': 'big:str (db 0)', 'Largest size': '20,480 B' });
    await expect(totalsOf('list')).resolves.toMatchObject({ Keys: '1', 'Total size': '5,001 items', 'Big keys': '1', 'Largest key': 'big:list (db 3)', 'Largest size': '5,001 items' });
    await expect(totalsOf('set')).resolves.toMatchObject({ Keys: '1', 'Total size': '3 items', 'Big keys': '0', 'Largest key': 'small:set (db 0)', 'Largest size': '3 items' });
    await expect(totalsOf('hash')).resolves.toMatchObject({ Keys: '3', 'Total size': '11,210 items', 'Big keys': '2', 'Largest key': 'big:hash (db 0)', 'Largest size': '6,000 items' });

    // A standalone without replicas: its primary was read, and the page says whether counters were left alone.
    const nodes = page.getByRole('table', { name: /^Nodes scanned/ });
    const node = await rowOf(nodes, `127.0.0.1:${redis.port}`);
    expect(node).toMatchObject({ Role: 'primary', 'Keys scanned': '8 / 8', 'Replica skipped': '—' });
    expect(node['Counters untouched']).toMatch(/^(yes \(CLIENT NO-TOUCH\)|no: CLIENT NO-TOUCH needs Redis 7\.2)/);

    const canvas = page.getByRole('img', { name: /^Namespaces by size/ });
    await canvas.waitFor();
    await expect
      .poll(() =>
        canvas.evaluate((c: CanvasLike) => {
          const data = c.getContext('2d')?.getImageData(0, 0, c.width, c.height).data ?? [];
          let painted = 0;
          for (let i = 3; i < data.length; i += 4) if (data[i] !== 0) painted += 1;
          return painted;
        }),
      )
      .toBeGreaterThan(100);
  }, 30_000);

  it('sorts and filters the big key table', async () => {
    const table = page.getByRole('table', { name: /^Big keys/ });
    const names = async (): Promise<string[]> => withoutMarks(await table.getByRole('rowheader').allTextContents());
    const filters = page.getByRole('group', { name: 'Filter the big keys' });
    await table.getByRole('button', { name: 'Size' }).click();
    expect(await table.getByRole('columnheader', { name: 'Size' }).getAttribute('aria-sort')).toBe('descending');
    expect(await names()).toEqual(['big:str', 'both:str', 'big:hash', 'big:hash2', 'big:list']);
    await filters.getByLabel('Type').selectOption('hash');
    expect(await names()).toEqual(['big:hash', 'big:hash2']);
    await filters.getByLabel('Type').selectOption('');
    await filters.getByLabel('DB').selectOption('3');
    expect(await names()).toEqual(['big:list']);
    await filters.getByLabel('DB').selectOption('');
    await filters.getByLabel('Filter by name').fill('str');
    expect(await names()).toEqual(['big:str', 'both:str']);
    await filters.getByLabel('Filter by name').fill('');
    await table.getByRole('button', { name: 'Type' }).click();
    expect(await names()).toEqual(BIG_IN_ORDER);
    // On a phone the wide tables scroll inside their own boxes; the page does not scroll sideways.
    await page.setViewportSize({ width: 390, height: 844 });
    await expect.poll(() => page.evaluate('document.documentElement.scrollWidth')).toBeLessThanOrEqual(390);
    await page.setViewportSize({ width: 1280, height: 900 });
  });

  it('marks the key that is also big on the hot key task page', async () => {
    await openInstance();
    const bigList = page.getByRole('table', { name: /^Big key analyses/ });
    await expect.poll(() => bigList.getByRole('cell', { name: 'success' }).count()).toBe(1);
    await page.getByRole('table', { name: /^Tasks of this instance/ }).getByRole('link').first().click();
    const table = page.getByRole('table', { name: /^Hot keys/ });
    await table.waitFor();
    expect(withoutMarks(await table.getByRole('rowheader').allTextContents())).toEqual(['both:str', 'small:hot']);
    await expect(table.getByRole('row', { name: /^both:str/ }).getByText('also big', { exact: true }).isVisible()).resolves.toBe(true);
    expect(await table.getByRole('row', { name: /^small:hot/ }).getByText('also big', { exact: true }).count()).toBe(0);
  });

  it('keeps the big key schedule apart from the hot key one', async () => {
    await openInstance();
    await page.getByLabel('Scan for big keys every day').check();
    await page.getByRole('button', { name: 'Add a big key scan' }).click();
    await page.getByLabel('Big key scan 1 (UTC)').fill('04:15');
    await page.getByRole('button', { name: 'Save big key schedule' }).click();
    await expect.poll(() => page.getByRole('status').filter({ hasText: 'Saved' }).textContent()).toBe('Saved: daily at 04:15 UTC.');
    const big = await harness.request('GET', `/v2/${P1}/instances/${instanceId}/bigkey/autoscan`);
    expect(big.body).toMatchObject({ enable_auto_scan: true, schedule_at: ['04:15'] });
    const hot = await harness.request('GET', `/v2/${P1}/instances/${instanceId}/hotkey/autoscan`);
    expect(hot.body).toMatchObject({ enable_auto_scan: false });
  });

  it('offers no big key write action to a read-only token', async () => {
    await page.getByRole('button', { name: 'Sign out' }).click();
    await signInWith(READONLY);
    await page.getByRole('link', { name: 'cache-big' }).click();
    await page.getByRole('heading', { name: 'Big key analyses' }).waitFor();
    expect(await page.getByRole('button', { name: 'Analyse big keys' }).count()).toBe(0);
    expect(await page.getByRole('button', { name: 'Save big key schedule' }).count()).toBe(0);
    await expect(page.getByLabel('Scan for big keys every day').isDisabled()).resolves.toBe(true);
    await page.getByRole('table', { name: /^Big key analyses/ }).getByRole('link').first().click();
    await page.getByRole('table', { name: /^Big keys/ }).waitFor();
    expect(await page.getByRole('button', { name: 'Delete task' }).count()).toBe(0);
    await expect(page.getByRole('button', { name: 'Export CSV' }).isEnabled()).resolves.toBe(true);
  });

  it('deletes a big key task after confirmation', async () => {
    await page.getByRole('button', { name: 'Sign out' }).click();
    await signInWith(ADMIN);
    await openInstance();
    await page.getByRole('table', { name: /^Big key analyses/ }).getByRole('link').first().click();
    await page.getByRole('table', { name: /^Big keys/ }).waitFor();
    const taskId = decodeURIComponent(new URL(page.url()).hash.split('/').at(-1) ?? '');
    await page.getByRole('button', { name: 'Delete task' }).click();
    const dialog = page.getByRole('dialog', { name: 'Delete this big key task?' });
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await expect.poll(() => dialog.count()).toBe(0);
    expect((await harness.request('GET', `/v2/${P1}/instances/${instanceId}/bigkey-task/${taskId}`)).status).toBe(200);
    await page.getByRole('button', { name: 'Delete task' }).click();
    await dialog.getByRole('button', { name: 'Delete', exact: true }).click();
    await page.getByText('No big key analysis.').waitFor();
    const gone = await harness.request('GET', `/v2/${P1}/instances/${instanceId}/bigkey-task/${taskId}`);
    expect(gone.body['error_code']).toBe('DCS.4942');
  });
});
