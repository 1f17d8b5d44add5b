/**
 * The expired key scan and offline key analysis in the dashboard, in Debian's Chromium, against a
 * real keyheat and a real redis-server. The server runs with active expiry off (DEBUG
 * SET-ACTIVE-EXPIRE 0), so keys whose TTL passed stay until a scan touches them: the scan started
 * from the instance page must reclaim exactly those, and its page shows that number, the TTL
 * histogram (chart and words), the databases and namespaces. An offline analysis of the
 * instance's own node (its address is the default choice) lists the largest keys of a fresh RDB,
 * a name that is not UTF-8 shown escaped with its exact bytes; a saved backup is offered and
 * read. The expired key schedule is set in seconds, and the service's DCS.4822 for 5 keys per
 * SCAN page is shown on the field. A read-only token sees none of the write actions; a task is
 * deleted from its list after a confirmation. On failure a screenshot is saved.
 */
import { copyFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import type { Browser, Locator, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { desktopPage, launchChromium, screenshotOnFailure, serveDashboard, signIn } from '../helpers/browser.js';
import { ADMIN, P1, READONLY, startHarness, type Harness } from '../helpers/keyheat-harness.js';
import { startRedis, type RedisServer } from '../helpers/redis-server.js';

/** What the test reads of a canvas in the page (the test itself is compiled without DOM types). */
interface CanvasLike {
  readonly width: number;
  readonly height: number;
  getContext(kind: '2d'): { getImageData(x: number, y: number, w: number, h: number): { data: ArrayLike<number> } } | null;
}

/** A name that is not valid UTF-8: the API escapes it (bin\xff:blob) and gives its bytes in base64. */
const BINARY_NAME = Buffer.concat([Buffer.from('bin'), Buffer.from([0xff]), Buffer.from(':blob')]);

/** One row of a table as { column header: text }, found by the start of its row header. */
async function rowOf(table: Locator, start: string): Promise<Record<string, string>> {
  const headers = (await table.getByRole('columnheader').allTextContents()).map((h) => h.trim());
  const row = table.getByRole('row', { name: new RegExp(`^${start.replace(/[.\\]/g, (c) => `\\${c}`)}(?![\\w:])`) });
  const texts = [(await row.getByRole('rowheader').textContent()) ?? '', ...(await row.getByRole('cell').allTextContents())];
  return Object.fromEntries(headers.map((h, i) => [h, texts[i] ?? '']));
}

async function painted(canvas: Locator): Promise<number> {
  return canvas.evaluate((c: CanvasLike) => {
    const data = c.getContext('2d')?.getImageData(0, 0, c.width, c.height).data ?? [];
    let count = 0;
    for (let i = 3; i < data.length; i += 4) if (data[i] !== 0) count += 1;
    return count;
  });
}

/** A datetime-local value (UTC) a day from now, on the whole minute. */
function tomorrowInput(): string {
  const date = new Date(Date.now() + 86_400_000);
  date.setUTCSeconds(0, 0);
  return date.toISOString().slice(0, 16);
}

describe('the expired key scan and offline analysis in the dashboard, in Chromium', () => {
  let redis: RedisServer;
  let harness: Harness;
  let browser: Browser;
  let page: Page;
  let base: string;
  let instanceId: string;
  let node: string;
  /** What Chromium refused under the dashboard's Content-Security-Policy (the task pages are chunks loaded on demand). */
  const violations: string[] = [];
  const api = (rest: string): string => `/v2/${P1}/instances/${instanceId}${rest}`;

  beforeAll(async () => {
    // Active expiry off: keys whose TTL passed stay until the scan touches them.
    redis = await startRedis({ lfuLogFactor: 0, lfuDecayTime: 0, extraArgs: ['--enable-debug-command', 'yes', '--repl-diskless-sync-delay', '0'] });
    await redis.command(['DEBUG', 'SET-ACTIVE-EXPIRE', '0']);
    for (let i = 0; i < 30; i++) await redis.command(['SET', `gone:${i}`, 'v', 'PX', '1']);
    for (let i = 0; i < 5; i++) await redis.command(['SET', `day:${i}`, 'v', 'EX', '7200']);
    for (let i = 0; i < 4; i++) await redis.command(['SET', `keep:${i}`, 'v']);
    await redis.command(['SET', 'big:blob', 'x'.repeat(6000)]);
    await redis.command(['SET', BINARY_NAME, 'y'.repeat(3000)]);
    await redis.command(['RPUSH', 'queue:jobs', 'a', 'b', 'c']);
    harness = await startHarness();
    instanceId = await harness.registerInstance(redis.url, 'cache-expire');
    node = `127.0.0.1:${redis.port}`;
    base = await serveDashboard(harness.keyheat);
    browser = await launchChromium();
    page = await desktopPage(browser);
    page.on('console', (message) => {
      if (/Content Security Policy/i.test(message.text())) violations.push(message.text());
    });
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

  async function openInstance(): Promise<void> {
    await page.goto(`${base}#/instances/${encodeURIComponent(instanceId)}`);
    await page.getByRole('heading', { name: 'cache-expire', level: 1 }).waitFor();
    await page.getByRole('heading', { name: 'Expired key scans' }).waitFor();
  }

  it('scans for expired keys from the instance page and shows what it reclaimed and the TTL histogram', async () => {
    await openInstance();
    await page.getByRole('button', { name: 'Scan for expired keys now' }).click();
    const panel = page.getByRole('region', { name: 'Expired key scan finished' });
    await panel.waitFor({ timeout: 20_000 });
    await expect(panel.textContent()).resolves.toContain('30 expired keys reclaimed.');
    // The histories list has the scan with its num, and the sum of num.
    const list = page.getByRole('table', { name: /^Expired key scans of this instance/ });
    await expect.poll(() => list.getByRole('cell', { name: 'success' }).count()).toBe(1);
    expect(await list.getByRole('columnheader').allTextContents()).toEqual(['Created', 'Status', 'Type', 'Reclaimed', 'Finished', 'Actions']);
    expect((await list.getByRole('row').nth(1).getByRole('cell').allTextContents()).slice(0, 3)).toEqual(['success', 'manual', '30']);
    await expect(page.getByText('30 expired keys reclaimed by the scans listed.').isVisible()).resolves.toBe(true);
    // Reclaimed on the server: the 30 keys whose TTL passed are gone, the others stay.
    expect(await redis.command(['DBSIZE'])).toBe(12);

    await panel.getByRole('link', { name: 'Open the expired key scan' }).click();
    await page.getByRole('heading', { name: /^Expired key scan of /, level: 1 }).waitFor();
    const stats = page.locator('dl.stats');
    await stats.waitFor();
    expect(await stats.locator('dt').allTextContents()).toEqual(['Expired keys reclaimed', 'Keys scanned', 'With an expiry', 'Without']);
    expect(await stats.locator('dd').allTextContents()).toEqual(['30', '12', '5', '7']);

    // The histogram as a chart (something is drawn) and in words.
    const canvas = page.getByRole('img', { name: 'Keys by time to live' });
    await canvas.waitFor();
    await expect.poll(() => painted(canvas)).toBeGreaterThan(100);
    await expect(
      page.getByText('under 1 min: 0, 1 min – 1 h: 0, 1 h – 1 day: 5, 1 – 7 days: 0, 7 days or more: 0, no expiry: 7', { exact: true }).isVisible(),
    ).resolves.toBe(true);

    const databases = page.getByRole('table', { name: /^Time to live per database/ });
    await expect(rowOf(databases, '0')).resolves.toEqual({
      DB: '0',
      Keys: '12',
      'With expiry': '5',
      'No expiry': '7',
      'under 1 min': '0',
      '1 min – 1 h': '0',
      '1 h – 1 day': '5',
      '1 – 7 days': '0',
      '7 days or more': '0',
    });
    const namespaces = page.getByRole('table', { name: /^Namespaces with the most keys/ });
    await expect(rowOf(namespaces, 'day')).resolves.toMatchObject({ Keys: '5', 'With expiry': '5', 'No expiry': '0', '1 h – 1 day': '5' });
    await expect(rowOf(namespaces, 'keep')).resolves.toMatchObject({ Keys: '4', 'With expiry': '0', 'No expiry': '4' });
    const primaries = page.getByRole('table', { name: /^Primaries scanned/ });
    await expect(rowOf(primaries, node)).resolves.toMatchObject({ Reclaimed: '30' });
  }, 40_000);

  it('analyses the RDB of the instance’s node offline and lists its largest keys, names shown safely', async () => {
    await openInstance();
    const form = page.getByRole('form', { name: 'Analyse a node’s RDB' });
    // The instance's address is the default node; a fresh RDB the default source.
    await expect(form.getByLabel('Node', { exact: true }).inputValue()).resolves.toBe(node);
    await expect(form.getByLabel('RDB', { exact: true }).inputValue()).resolves.toBe('');
    await form.getByRole('button', { name: 'Start offline analysis' }).click();
    const panel = page.getByRole('region', { name: 'Offline analysis finished' });
    await panel.waitFor({ timeout: 20_000 });
    await expect(panel.textContent()).resolves.toMatch(/^Offline analysis finished12 keys in the RDB, \d+ largest keys listed\./);
    await panel.getByRole('link', { name: 'Open the offline analysis' }).click();

    await page.getByRole('heading', { name: /^Offline analysis of /, level: 1 }).waitFor();
    // The heading is there while the task still loads ("of …"); what the task says comes with it.
    await page.getByText(`Node ${node}, primary of single; a fresh RDB from the node.`, { exact: true }).waitFor({ timeout: 10_000 });
    const stats = page.locator('dl.stats');
    expect(await stats.locator('dt').allTextContents()).toEqual(['Keys', 'Bytes in the RDB', 'Types']);
    expect((await stats.locator('dd').allTextContents())[0]).toBe('12');

    const table = page.getByRole('table', { name: /^Largest keys in the RDB/ });
    await table.waitFor();
    const names = await table.getByRole('rowheader').allTextContents();
    // Per type, largest first: the two big strings lead, the list comes after every string.
    expect(names.slice(0, 2)).toEqual(['big:blob', 'bin\\xff:blob']);
    expect(names.indexOf('queue:jobs')).toBe(names.length - 1);
    await expect(rowOf(table, 'queue:jobs')).resolves.toMatchObject({ Type: 'list', Elements: '3', DB: '0' });
    await expect(rowOf(table, 'big:blob')).resolves.toMatchObject({ Type: 'string', Elements: '1' });
    // The escaped name is bidi-isolated text, with its exact bytes in the cell's title.
    const binary = table.getByRole('rowheader', { name: 'bin\\xff:blob' });
    await expect(binary.locator('bdi').textContent()).resolves.toBe('bin\\xff:blob');
    await expect(binary.getAttribute('title')).resolves.toBe(`exact bytes (base64): ${BINARY_NAME.toString('base64')}`);
    expect(await table.locator('th[scope=row] > bdi').count()).toBe(names.length);

    const prefixes = page.getByRole('table', { name: /^Key prefixes taking the most bytes/ });
    await expect(rowOf(prefixes, 'queue')).resolves.toMatchObject({ Type: 'list', Keys: '1' });
    for (const title of ['Bytes per type', 'Keys per type']) {
      const canvas = page.getByRole('img', { name: title });
      await canvas.waitFor();
      await expect.poll(() => painted(canvas)).toBeGreaterThan(100);
    }
    // The RDB of an LFU server carries the counters: the hot keys of the same pass, when the API reports some.
    const id = decodeURIComponent(new URL(page.url()).hash.split('/').at(-1) ?? '');
    const report = (await harness.request('GET', api(`/offline/key-analysis/${id}`))).body;
    expect(report).toMatchObject({ status: 'success', node_id: node, analysis_type: 'new_backup', total_num: 12 });
    const hot = (report['hot_keys'] as unknown[] | undefined) ?? [];
    expect(await page.getByRole('table', { name: /^Hot keys/ }).count()).toBe(hot.length > 0 ? 1 : 0);
  }, 40_000);

  it('offers the saved backups and reads one', async () => {
    await redis.command(['SAVE']);
    const dir = ((await redis.command(['CONFIG', 'GET', 'dir'])) as Buffer[])[1]!.toString();
    mkdirSync(path.join(harness.dataDir, 'backups', instanceId), { recursive: true });
    copyFileSync(path.join(dir, 'dump.rdb'), path.join(harness.dataDir, 'backups', instanceId, 'nightly.rdb'));
    await openInstance();
    const form = page.getByRole('form', { name: 'Analyse a node’s RDB' });
    const rdb = form.getByLabel('RDB', { exact: true });
    await expect.poll(() => rdb.locator('option').allTextContents()).toEqual(['A fresh RDB from the node', expect.stringMatching(/^Backup nightly\.rdb \([\d.,]+ (B|KiB)/)]);
    // The node list now also has the nodes the latest analysis's endpoint reads; "Another node…" takes any ip:port.
    await form.getByLabel('Node', { exact: true }).selectOption('other');
    await form.getByLabel('Node address (ip:port)').fill(node);
    await rdb.selectOption('nightly.rdb');
    await form.getByRole('button', { name: 'Start offline analysis' }).click();
    const panel = page.getByRole('region', { name: 'Offline analysis finished' });
    await panel.waitFor({ timeout: 20_000 });
    await panel.getByRole('link', { name: 'Open the offline analysis' }).click();
    // A saved file says nothing of the node's role: the page names the node and the backup.
    await page.getByText(`Node ${node}; the saved backup nightly.rdb.`, { exact: true }).waitFor();
    const table = page.getByRole('table', { name: /^Largest keys in the RDB/ });
    expect((await table.getByRole('rowheader').allTextContents()).slice(0, 2)).toEqual(['big:blob', 'bin\\xff:blob']);
    await expect(page.getByRole('heading', { name: 'Read from an RDB file' }).isVisible()).resolves.toBe(true);
  }, 40_000);

  it('sets the expired key schedule in seconds and shows the DCS refusal of 5 keys per SCAN page', async () => {
    await openInstance();
    const form = page.getByRole('form', { name: 'Automatic expired key scan' });
    await form.getByLabel('Scan for expired keys on a schedule').check();
    const first = tomorrowInput();
    await form.getByLabel('First scan (UTC)').fill(first);
    await form.getByLabel('Interval (seconds)').fill('3600');
    await form.getByLabel('Timeout (seconds)').fill('7200');
    await form.getByLabel('Keys per SCAN page').fill('50');
    await form.getByRole('button', { name: 'Save expired key schedule' }).click();
    await expect
      .poll(() => form.getByRole('status').textContent())
      .toBe(`Saved: from ${first.replace('T', ' ')}:00 UTC, every 1 h 0 min, 50 keys per SCAN page.`);
    const saved = (await harness.request('GET', api('/scan-expire-keys/autoscan-config'))).body;
    expect(saved).toMatchObject({ enable_auto_scan: true, interval: 3600, timeout: 7200, scan_keys_count: 50 });
    expect(Date.parse(saved['first_scan_at'] as string)).toBe(Date.parse(`${first}:00Z`));

    const count = form.getByLabel('Keys per SCAN page');
    await count.fill('5');
    await form.getByRole('button', { name: 'Save expired key schedule' }).click();
    await expect.poll(() => form.getByRole('alert').textContent()).toBe('DCS.4822: The number of keys scanned each time must range from 10 to 1000.');
    await expect(count.getAttribute('aria-invalid')).resolves.toBe('true');
    // Refused, so not applied.
    expect((await harness.request('GET', api('/scan-expire-keys/autoscan-config'))).body).toMatchObject({ scan_keys_count: 50 });
    // The hot and big key schedules are untouched.
    expect((await harness.request('GET', api('/hotkey/autoscan'))).body).toMatchObject({ enable_auto_scan: false });
  });

  it('offers no expired key or offline write action to a read-only token', async () => {
    await page.getByRole('button', { name: 'Sign out' }).click();
    await signIn(page, base, P1, READONLY);
    await openInstance();
    await page.getByRole('table', { name: /^Offline analyses of this instance/ }).waitFor();
    expect(await page.getByRole('button', { name: 'Scan for expired keys now' }).count()).toBe(0);
    expect(await page.getByRole('button', { name: 'Start offline analysis' }).count()).toBe(0);
    expect(await page.getByRole('button', { name: 'Save expired key schedule' }).count()).toBe(0);
    expect(await page.getByRole('button', { name: /^Delete/ }).count()).toBe(0);
    const form = page.getByRole('form', { name: 'Automatic expired key scan' });
    await expect(form.getByLabel('Scan for expired keys on a schedule').isDisabled()).resolves.toBe(true);
    await expect(form.getByLabel('Keys per SCAN page').isDisabled()).resolves.toBe(true);
    await expect(form.getByLabel('Keys per SCAN page').inputValue()).resolves.toBe('50');

    await page.getByRole('table', { name: /^Expired key scans of this instance/ }).getByRole('link').first().click();
    await page.getByRole('img', { name: 'Keys by time to live' }).waitFor();
    expect(await page.getByRole('button', { name: 'Delete scan' }).count()).toBe(0);
    await expect(page.getByRole('button', { name: 'Export JSON' }).isEnabled()).resolves.toBe(true);

    await openInstance();
    await page.getByRole('table', { name: /^Offline analyses of this instance/ }).getByRole('link').first().click();
    await page.getByRole('table', { name: /^Largest keys in the RDB/ }).waitFor();
    expect(await page.getByRole('button', { name: 'Delete analysis' }).count()).toBe(0);
    await expect(page.getByRole('button', { name: 'Export CSV' }).isEnabled()).resolves.toBe(true);
  });

  it('deletes an offline analysis from its list after a confirmation', async () => {
    await page.getByRole('button', { name: 'Sign out' }).click();
    await signIn(page, base, P1, ADMIN);
    await openInstance();
    const list = page.getByRole('table', { name: /^Offline analyses of this instance/ });
    await expect.poll(() => list.getByRole('row').count()).toBe(3);
    const records = (await harness.request('GET', api('/offline/key-analysis'))).body['records'] as { id: string }[];
    const newest = records[0]!.id;
    const remove = list.getByRole('button', { name: /^Delete the offline analysis of / }).first();
    await remove.click();
    const dialog = page.getByRole('dialog', { name: 'Delete this offline analysis?' });
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await expect.poll(() => dialog.count()).toBe(0);
    expect((await harness.request('GET', api(`/offline/key-analysis/${newest}`))).status).toBe(200);
    await remove.click();
    await dialog.getByRole('button', { name: 'Delete', exact: true }).click();
    await expect.poll(() => list.getByRole('row').count()).toBe(2);
    await expect(page.getByRole('status').filter({ hasText: 'was deleted' }).textContent()).resolves.toMatch(/^The offline analysis of .+ was deleted\.$/);
    const gone = await harness.request('GET', api(`/offline/key-analysis/${newest}`));
    expect(gone.status).toBe(400);
    expect((await harness.request('GET', api('/offline/key-analysis'))).body).toMatchObject({ total: 1 });
  });

  it('fits a 390 px wide screen without scrolling sideways, and breaks none of its own rules', async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    await openInstance();
    await page.getByRole('button', { name: 'Start offline analysis' }).waitFor();
    expect(await page.evaluate('document.documentElement.scrollWidth')).toBeLessThanOrEqual(390);
    await page.setViewportSize({ width: 1280, height: 900 });
    expect(violations).toEqual([]);
  });
});
