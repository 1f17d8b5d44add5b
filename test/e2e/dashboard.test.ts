/**
 * The dashboard as a person uses it, in Debian's Chromium: sign in, register a real redis-server,
 * analyse it, read the hot key table (hottest first), sort and filter it, see the charts, set
 * the daily schedule, and as a read-only token see no write action. Elements are found by role
 * and accessible name (the names listed in the issue are the contract). On failure a screenshot
 * is saved to a temporary folder.
 */
import { createHash } from 'node:crypto';
import type { Browser, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { desktopPage, launchChromium, screenshotOnFailure, serveDashboard, signIn } from '../helpers/browser.js';
import { ADMIN, P1, READONLY, startHarness, type Harness } from '../helpers/keyheat-harness.js';
import { startRedis, type RedisServer } from '../helpers/redis-server.js';
import { restoreWithFreq } from '../helpers/seed-keys.js';

/** What the test reads of a canvas in the page (the test itself is compiled without DOM types). */
interface CanvasLike {
  readonly width: number;
  readonly height: number;
  getContext(kind: '2d'): { getImageData(x: number, y: number, w: number, h: number): { data: ArrayLike<number> } } | null;
}

const BINARY = Buffer.from([0x62, 0x69, 0x6e, 0xff, 0x3a, 0x31]); // "bin\xff:1"

describe('the dashboard in Chromium', () => {
  let redis: RedisServer;
  let harness: Harness;
  let browser: Browser;
  let page: Page;
  let base: string;
  /** What Chromium refused under the dashboard's Content-Security-Policy while the tests ran. */
  const violations: string[] = [];

  beforeAll(async () => {
    redis = await startRedis({ lfuLogFactor: 10, lfuDecayTime: 1 });
    await restoreWithFreq(redis, [
      { name: 'hot:1', freq: 255 },
      { name: 'user:1', freq: 120 },
      { name: 'user:2', freq: 60, db: 2 },
      { name: 'cart:9', freq: 30 },
      { name: BINARY, freq: 40 },
    ]);
    harness = await startHarness();
    base = await serveDashboard(harness.keyheat);
    browser = await launchChromium();
    page = await desktopPage(browser);
    page.on('console', (message) => {
      if (/Content Security Policy/i.test(message.text())) violations.push(message.text());
    });
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

  it('refuses a wrong token on the sign-in page, then signs in', async () => {
    await page.goto(base);
    await page.getByLabel('Project ID').fill(P1);
    await page.getByLabel('Token').fill('not-a-token-of-anyone');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect.poll(() => page.getByRole('alert').textContent()).toBe('DCS.1001: Invalid token.');
    await signInWith(ADMIN);
    await expect(page.getByRole('button', { name: 'Sign out' }).isVisible()).resolves.toBe(true);
  });

  it('shows the API error next to the registration form, then registers a real Redis', async () => {
    await page.getByRole('button', { name: 'Register instance' }).click();
    await page.getByLabel('Name').fill('broken');
    await page.getByLabel('Redis URL').fill('redis://127.0.0.1:1');
    await page.getByRole('button', { name: 'Register', exact: true }).click();
    await expect.poll(() => page.getByRole('alert').textContent()).toMatch(/^DCS\.\d+: /);

    await page.getByLabel('Name').fill('cache-e2e');
    await page.getByLabel('Redis URL').fill(redis.url);
    await page.getByRole('button', { name: 'Register', exact: true }).click();
    await page.getByRole('link', { name: 'cache-e2e' }).waitFor();
    const row = page.getByRole('row', { name: /cache-e2e/ });
    await expect(row.getByRole('cell', { name: 'reachable' }).isVisible()).resolves.toBe(true);
  });

  it('analyses the instance with live progress and shows the hottest key first', async () => {
    await page.getByRole('link', { name: 'cache-e2e' }).click();
    await page.getByRole('button', { name: 'Analyse now' }).click();
    await page.getByRole('link', { name: 'See the result' }).click({ timeout: 20_000 });
    const table = page.getByRole('table', { name: /Hot keys/ });
    await table.waitFor();
    const headers = await table.getByRole('columnheader').allTextContents();
    expect(headers[0]).toBe('Key');
    const names = await table.getByRole('rowheader').allTextContents();
    expect(names.map((n) => n.replace(/(saturated|new|rising)+$/, ''))).toEqual(['hot:1', 'user:1', 'user:2', 'bin\\xff:1', 'cart:9']);
    await expect(table.getByRole('row', { name: /hot:1/ }).getByText('saturated').isVisible()).resolves.toBe(true);
    await expect(table.getByRole('row', { name: /hot:1/ }).getByRole('cell', { name: '≥ 41.7/s' }).isVisible()).resolves.toBe(true);
  });

  it('sorts and filters the hot key table', async () => {
    const table = page.getByRole('table', { name: /Hot keys/ });
    const names = async (): Promise<string[]> => (await table.getByRole('rowheader').allTextContents()).map((n) => n.replace(/(saturated|new|rising)+$/, ''));
    await table.getByRole('button', { name: 'DB' }).click();
    expect(await table.getByRole('columnheader', { name: 'DB' }).getAttribute('aria-sort')).toBe('ascending');
    expect((await names()).at(-1)).toBe('user:2');
    await table.getByRole('button', { name: 'Counter' }).click();
    expect(await names()).toEqual(['hot:1', 'user:1', 'user:2', 'bin\\xff:1', 'cart:9']);
    await page.getByLabel('Filter by name').fill('user');
    expect(await names()).toEqual(['user:1', 'user:2']);
    await page.getByLabel('DB').selectOption('2');
    expect(await names()).toEqual(['user:2']);
    await page.getByLabel('Filter by name').fill('');
    await page.getByLabel('DB').selectOption('');
    expect(await names()).toHaveLength(5);
  });

  it('draws the top keys, namespace and database charts', async () => {
    for (const name of [/^Top 5 keys/, /^Namespaces/, /^Databases/]) {
      const canvas = page.getByRole('img', { name });
      await canvas.waitFor();
      // Something was drawn: the canvas holds non-transparent pixels.
      await expect
        .poll(() => canvas.evaluate((c: CanvasLike) => {
          const data = c.getContext('2d')?.getImageData(0, 0, c.width, c.height).data ?? [];
          let painted = 0;
          for (let i = 3; i < data.length; i += 4) if (data[i] !== 0) painted += 1;
          return painted;
        }))
        .toBeGreaterThan(100);
    }
    await expect(page.getByText(/^hot 5\d\.\d%, user 3\d\.\d%/).isVisible()).resolves.toBe(true);
  });

  it('sets the daily schedule, with the local time beside the UTC one', async () => {
    await page.getByRole('link', { name: 'Instance', exact: true }).click();
    await page.getByRole('heading', { name: 'Daily analysis' }).waitFor();
    await page.getByLabel('Run automatically every day').check();
    await page.getByRole('button', { name: 'Add a time' }).click();
    await page.getByLabel('Time 1 (UTC)').fill('21:30');
    await page.getByRole('button', { name: 'Save schedule' }).click();
    await expect.poll(() => page.getByRole('status').filter({ hasText: 'Saved' }).textContent()).toBe('Saved: daily at 21:30 UTC.');
    await expect(page.getByText(/your time$/).first().isVisible()).resolves.toBe(true);
    const instances = (await harness.request('GET', `/v2/${P1}/instances`)).body['instances'] as { instance_id: string; name: string }[];
    const id = instances.find((i) => i.name === 'cache-e2e')?.instance_id ?? '';
    expect((await harness.request('GET', `/v2/${P1}/instances/${id}/hotkey/autoscan`)).body).toMatchObject({ enable_auto_scan: true, schedule_at: ['21:30'] });
  });

  it('offers no write action to a read-only token', async () => {
    await page.getByRole('button', { name: 'Sign out' }).click();
    await signInWith(READONLY);
    await page.getByRole('link', { name: 'cache-e2e' }).waitFor();
    expect(await page.getByRole('button', { name: 'Register instance' }).count()).toBe(0);
    expect(await page.getByRole('button', { name: /^Delete/ }).count()).toBe(0);
    await page.getByRole('link', { name: 'cache-e2e' }).click();
    await page.getByRole('heading', { name: 'Tasks' }).waitFor();
    expect(await page.getByRole('button', { name: 'Analyse now' }).count()).toBe(0);
    expect(await page.getByRole('button', { name: 'Save schedule' }).count()).toBe(0);
    await page.getByRole('table', { name: /Tasks/ }).getByRole('link').first().click();
    await page.getByRole('table', { name: /Hot keys/ }).waitFor();
    expect(await page.getByRole('button', { name: 'Delete task' }).count()).toBe(0);
    await expect(page.getByRole('button', { name: 'Export CSV' }).isEnabled()).resolves.toBe(true);
  });

  it('returns to sign-in with a message when the token stops working', async () => {
    // The session's token as if it had been revoked since sign-in.
    await page.evaluate(`sessionStorage.setItem('keyheat.session', JSON.stringify({ ...JSON.parse(sessionStorage.getItem('keyheat.session')), token: 'revoked-token-000000000000' }))`);
    await page.reload();
    await page.getByRole('button', { name: 'Sign in' }).waitFor();
    await expect(page.getByRole('status').textContent()).resolves.toMatch(/token was refused .*sign in again/i);
  });

  it('fits a 390 px wide screen without scrolling sideways', async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    await signInWith(ADMIN);
    await page.getByRole('link', { name: 'cache-e2e' }).click();
    await page.getByRole('button', { name: 'Analyse now' }).waitFor();
    // Wide tables scroll inside their own box; the page itself does not.
    expect(await page.evaluate('document.documentElement.scrollWidth')).toBeLessThanOrEqual(390);
    await page.setViewportSize({ width: 1280, height: 900 });
  });

  it('sends its security headers, breaks none of its own rules, and isolates key names as bidi text', async () => {
    const index = await fetch(base);
    const script = /src="([^"]+\.js)"/.exec(await index.text())?.[1];
    expect(script).toBeDefined();
    const asset = await fetch(new URL(script ?? '', base));
    for (const response of [index, asset]) {
      expect(response.status).toBe(200);
      const csp = response.headers.get('content-security-policy') ?? '';
      expect(csp).toMatch(/script-src 'self'(;|$)/);
      expect(csp).toContain("frame-ancestors 'none'");
      expect(response.headers.get('x-content-type-options')).toBe('nosniff');
      expect(response.headers.get('referrer-policy')).toBe('no-referrer');
    }
    await page.getByRole('button', { name: 'Analyse now' }).click();
    await page.getByRole('link', { name: 'See the result' }).click({ timeout: 20_000 });
    const table = page.getByRole('table', { name: /Hot keys/ });
    await table.waitFor();
    const names = table.getByRole('rowheader');
    expect(await names.count()).toBe(5);
    expect(await table.locator('th[scope=row] > bdi').count()).toBe(5);
    expect(violations).toEqual([]);
  });

  it('marks a name longer than keyheat keeps as truncated, with the hash of the whole in its title', async () => {
    const long = `long:${'x'.repeat(3000)}`;
    await restoreWithFreq(redis, [{ name: long, freq: 250 }]);
    await page.getByRole('link', { name: 'Instance', exact: true }).click();
    await page.getByRole('button', { name: 'Analyse now' }).click();
    await page.getByRole('link', { name: 'See the result' }).click({ timeout: 20_000 });
    const table = page.getByRole('table', { name: /Hot keys/ });
    await table.waitFor();
    const row = table.getByRole('row', { name: /long:x/ });
    const mark = row.getByText('truncated', { exact: true });
    await expect(mark.isVisible()).resolves.toBe(true);
    const sha1 = createHash('sha1').update(long).digest('hex');
    await expect(mark.getAttribute('title')).resolves.toContain(sha1);
    const shown = (await row.locator('th bdi').textContent()) ?? '';
    expect(shown).toBe(long.slice(0, 1024));
    expect(violations).toEqual([]);
  });
});
