/**
 * How fast the dashboard's pages load on loopback, in Debian's Chromium with a cold cache each
 * time (a new browser context per load), against the goal of 1 s for the first page; and the
 * size of what the browser downloads. Medians of `rounds` loads:
 *   npx tsx bench/dashboard-load.ts [rounds=10]
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import pino from 'pino';
import { createKeyheat } from '../src/app.js';
import { loadConfig } from '../src/config/load-config.js';
import { buildDashboard, launchChromium } from '../test/helpers/browser.js';
import { startRedis } from '../test/helpers/redis-server.js';
import { restoreWithFreq } from '../test/helpers/seed-keys.js';
import { median, ROOT } from './bench-redis.js';

const rounds = Number(process.argv[2] ?? 10);
const GOAL_MS = 1000;

await buildDashboard();
const redis = await startRedis({ lfuLogFactor: 10, lfuDecayTime: 1 });
await restoreWithFreq(redis, Array.from({ length: 100 }, (_, i) => ({ name: `ns${i % 7}:key:${i}`, freq: 6 + ((i * 37) % 249) })));
const P1 = '0123456789abcdef0123456789abcdef';
const ADMIN = 'bench-admin-token-000000000001';
const dataDir = mkdtempSync(path.join(os.tmpdir(), 'keyheat-bench-'));
const config = loadConfig({ env: {}, flags: { data_dir: dataDir, log: { level: 'silent' }, runner: { poll_interval_ms: 100 }, projects: [{ project_id: P1, tokens: [ADMIN] }] } });
const keyheat = await createKeyheat(config, pino({ level: 'silent' }));
keyheat.start();
await keyheat.http.listen({ host: '127.0.0.1', port: 0 });
const address = keyheat.http.server.address();
const base = `http://127.0.0.1:${typeof address === 'object' && address !== null ? address.port : 0}/`;
const apiCall = async (method: string, url: string, body?: unknown): Promise<Record<string, unknown>> => {
  const response = await fetch(`${base}v2/${P1}${url}`, { method, headers: { 'X-Auth-Token': ADMIN, 'Content-Type': 'application/json' }, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
  return (await response.json()) as Record<string, unknown>;
};
const instanceId = (await apiCall('POST', '/instances', { name: 'bench', url: redis.url }))['instance_id'] as string;
const taskId = (await apiCall('POST', `/instances/${instanceId}/hotkey-task`))['id'] as string;
while ((await apiCall('GET', `/instances/${instanceId}/hotkey-task/${taskId}`))['status'] !== 'success') await new Promise((r) => setTimeout(r, 100));

const browser = await launchChromium();
const times: Record<string, number[]> = { 'sign-in page (first load)': [], 'instances page after sign-in': [], 'task page with 3 charts': [] };
const session = JSON.stringify({ projectId: P1, token: ADMIN, readOnly: false });
for (let round = 0; round < rounds; round++) {
  const context = await browser.newContext();
  const page = await context.newPage();
  let start = performance.now();
  await page.goto(base);
  await page.getByRole('button', { name: 'Sign in' }).waitFor();
  times['sign-in page (first load)']!.push(performance.now() - start);
  start = performance.now();
  await page.getByLabel('Project ID').fill(P1);
  await page.getByLabel('Token').fill(ADMIN);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('link', { name: 'bench' }).waitFor();
  times['instances page after sign-in']!.push(performance.now() - start);
  await context.close();

  // A task page opened directly (a bookmark), cold cache, until its charts are drawn.
  const direct = await browser.newContext();
  await direct.addInitScript(`sessionStorage.setItem('keyheat.session', ${JSON.stringify(session)})`);
  const taskPage = await direct.newPage();
  start = performance.now();
  await taskPage.goto(`${base}#/instances/${instanceId}/tasks/${taskId}`);
  await taskPage.getByRole('img', { name: /^Databases/ }).waitFor();
  times['task page with 3 charts']!.push(performance.now() - start);
  await direct.close();
}
await browser.close();
await keyheat.close();
rmSync(dataDir, { recursive: true, force: true });
await redis.stop();

console.log(`dashboard load times on loopback, cold cache, medians of ${rounds}:`);
for (const [what, list] of Object.entries(times)) {
  const ms = median(list);
  console.log(`  ${what}: ${ms.toFixed(0)} ms (${(ms / GOAL_MS).toFixed(2)}x the 1 s goal)`);
}
const assets = path.join(ROOT, 'dist/web/assets');
console.log('bundle (dist/web), raw / gzip:');
for (const file of ['index.html', ...readdirSync(assets).map((f) => `assets/${f}`)]) {
  const full = path.join(ROOT, 'dist/web', file);
  console.log(`  ${file}: ${(statSync(full).size / 1024).toFixed(1)} KiB / ${(gzipSync(readFileSync(full)).length / 1024).toFixed(1)} KiB`);
}
