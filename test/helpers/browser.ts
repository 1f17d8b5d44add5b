/**
 * Debian's Chromium, driven by playwright-core, for the dashboard's end-to-end tests. The
 * dashboard itself is built once per run, from the current sources, by test/global-setup.ts.
 */
import { mkdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { build } from 'vite';
import { chromium, type Browser, type Page } from 'playwright-core';
import type { Keyheat } from '../../src/app.js';

/** The dashboard from the current sources (web/ -> dist/web, as npm run build does): once per test run (global-setup.ts), and by bench/dashboard-load.ts. */
export async function buildDashboard(): Promise<void> {
  await build({ configFile: path.resolve(import.meta.dirname, '../../web/vite.config.ts'), logLevel: 'error' });
}

export const CHROMIUM = process.env['KEYHEAT_TEST_CHROMIUM'] ?? '/usr/bin/chromium';

export async function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-dev-shm-usage'],
  });
}

/** Where failure screenshots go: one folder per run, in the temp directory, printed once. */
let shots: string | null = null;
export async function screenshotOnFailure(page: Page | undefined, name: string): Promise<void> {
  if (page === undefined || page.isClosed()) return;
  if (shots === null) {
    shots = path.join(os.tmpdir(), `keyheat-e2e-${Date.now().toString(36)}`);
    mkdirSync(shots, { recursive: true });
  }
  const file = path.join(shots, `${name.replace(/[^a-z0-9]+/gi, '-').slice(0, 80)}.png`);
  await page.screenshot({ path: file, fullPage: true }).catch(() => undefined);
  process.stderr.write(`dashboard test failed: screenshot in ${file}\n`);
}

/** keyheat's HTTP server on a free loopback port; returns the dashboard's URL (`http://127.0.0.1:<port>/`). */
export async function serveDashboard(keyheat: Keyheat): Promise<string> {
  await keyheat.http.listen({ host: '127.0.0.1', port: 0 });
  const address = keyheat.http.server.address();
  return `http://127.0.0.1:${typeof address === 'object' && address !== null ? address.port : 0}/`;
}

/** A desktop-sized page in a context of its own (closed with the browser). */
export async function desktopPage(browser: Browser): Promise<Page> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  return context.newPage();
}

/** Signs in on the dashboard at `base` and waits for the instance list. */
export async function signIn(page: Page, base: string, projectId: string, token: string): Promise<void> {
  await page.goto(base);
  await page.getByLabel('Project ID').fill(projectId);
  await page.getByLabel('Token').fill(token);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { name: 'Instances' }).waitFor();
}
