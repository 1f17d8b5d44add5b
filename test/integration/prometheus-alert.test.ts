/**
 * A real Prometheus (Debian's `prometheus` package) scrapes a real keyheat, with its bearer
 * token, and evaluates deploy/prometheus/keyheat-alerts.yml: after a hot key analysis of a real
 * Redis whose hottest keys have saturated counters, KeyheatSaturatedCounters fires for that
 * instance. The rules are the repository's, with every `for:` shortened to 0s (the expressions
 * are what is tested, not the waiting). Every metric the rules and the Grafana dashboard use is
 * one keyheat serves. Without the prometheus binary: skipped with a line, failed under CI.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hasCommand } from '../helpers/commands.js';
import { startHarness, type Harness } from '../helpers/keyheat-harness.js';
import { scrape } from '../helpers/prometheus-text.js';
import { freePort, startRedis, type RedisServer } from '../helpers/redis-server.js';

const ROOT = path.resolve(import.meta.dirname, '../..');
const TOKEN = 'metrics-token-0123456789abcdef';


const available = await hasCommand('prometheus');
if (!available) {
  if (process.env['CI'] === '1') throw new Error("prometheus is missing: .ci/run installs Debian's prometheus package");
  console.log('prometheus alert: the prometheus binary was not found, skipped');
}

interface Alert {
  readonly labels: Record<string, string>;
  readonly state: string;
}

describe.runIf(available)('a real Prometheus scraping keyheat', () => {
  let redis: RedisServer;
  let harness: Harness;
  let prometheus: ChildProcess | null = null;
  let promUrl: string;
  let dir: string;
  let instanceId: string;
  const log: string[] = [];

  beforeAll(async () => {
    redis = await startRedis({ lfuLogFactor: 0, lfuDecayTime: 0 });
    for (const key of ['feed:today', 'feed:tomorrow']) {
      await redis.command(['SET', key, 'v']);
      for (let i = 0; i < 300; i++) await redis.command(['GET', key]);
    }
    await redis.command(['MSET', ...Array.from({ length: 100 }, (_, i) => [`user:${i}`, 'v']).flat()]);
    harness = await startHarness({ config: { metrics: { token: TOKEN } } });
    await harness.keyheat.http.listen({ host: '127.0.0.1', port: 0 });
    const keyheatPort = (harness.keyheat.http.server.address() as AddressInfo).port;
    instanceId = await harness.registerInstance(redis.url, 'cache-a');
    const created = await harness.createTask(instanceId);
    expect((await harness.waitForTask(instanceId, created.body['id'] as string))['status']).toBe('success');

    dir = mkdtempSync(path.join(os.tmpdir(), 'keyheat-prometheus-'));
    writeFileSync(path.join(dir, 'keyheat-alerts.yml'), readFileSync(path.join(ROOT, 'deploy/prometheus/keyheat-alerts.yml'), 'utf8').replace(/^(\s+)for: \S+$/gm, '$1for: 0s'));
    writeFileSync(path.join(dir, 'token'), TOKEN);
    writeFileSync(
      path.join(dir, 'prometheus.yml'),
      [
        'global: { scrape_interval: 1s, evaluation_interval: 1s }',
        'rule_files: [keyheat-alerts.yml]',
        'scrape_configs:',
        '  - job_name: keyheat',
        `    authorization: { credentials_file: ${path.join(dir, 'token')} }`,
        `    static_configs: [{ targets: ['127.0.0.1:${keyheatPort}'] }]`,
        '',
      ].join('\n'),
    );
    const port = await freePort();
    promUrl = `http://127.0.0.1:${port}`;
    prometheus = spawn('prometheus', [`--config.file=${path.join(dir, 'prometheus.yml')}`, `--storage.tsdb.path=${path.join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`], { stdio: ['ignore', 'pipe', 'pipe'] });
    prometheus.stderr?.on('data', (chunk: Buffer) => log.push(chunk.toString()));
    prometheus.stdout?.on('data', (chunk: Buffer) => log.push(chunk.toString()));
  });

  afterAll(async () => {
    if (prometheus !== null && prometheus.exitCode === null) {
      const exited = new Promise((resolve) => prometheus?.once('exit', resolve));
      prometheus.kill('SIGTERM');
      await exited;
    }
    await harness?.close({ removeData: true });
    await redis?.stop();
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  });

  async function api<T>(query: string): Promise<T> {
    const response = await fetch(`${promUrl}${query}`);
    return ((await response.json()) as { data: T }).data;
  }

  async function eventually<T>(read: () => Promise<T>, done: (value: T) => boolean, ms: number): Promise<T> {
    const deadline = Date.now() + ms;
    let last: T | undefined;
    while (Date.now() < deadline) {
      try {
        last = await read();
        if (done(last)) return last;
      } catch {
        // Prometheus is still starting.
      }
      await new Promise((r) => setTimeout(r, 250));
    }
    throw new Error(`not reached in ${ms} ms; last: ${JSON.stringify(last)}; prometheus log:\n${log.join('').slice(-3000)}`);
  }

  it('scrapes keyheat with its token and fires KeyheatSaturatedCounters for the instance', async () => {
    const targets = await eventually(
      () => api<{ activeTargets: { health: string; lastError: string }[] }>('/api/v1/targets'),
      (t) => t.activeTargets[0]?.health === 'up',
      20_000,
    );
    expect(targets.activeTargets[0]?.lastError).toBe('');
    const alerts = await eventually(
      () => api<{ alerts: Alert[] }>('/api/v1/alerts'),
      (a) => a.alerts.some((alert) => alert.labels['alertname'] === 'KeyheatSaturatedCounters' && alert.state === 'firing'),
      30_000,
    );
    const saturated = alerts.alerts.find((alert) => alert.labels['alertname'] === 'KeyheatSaturatedCounters');
    expect(saturated?.labels).toMatchObject({ instance_id: instanceId, instance_name: 'cache-a', severity: 'info' });
    // No hot key is estimated above 1000 reads/s here (lfu-decay-time 0: counters count accesses), so that rule stays quiet.
    expect(alerts.alerts.some((alert) => alert.labels['alertname'] === 'KeyheatHotKey')).toBe(false);
    const value = await api<{ result: { value: [number, string] }[] }>(`/api/v1/query?query=${encodeURIComponent(`keyheat_hot_key_freq{key="feed:today",instance_name="cache-a"}`)}`);
    expect(value.result[0]?.value[1]).toBe('255');
  });

  it('serves every metric the alert rules and the Grafana dashboard use', async () => {
    const served = new Set((await scrape(harness, { authorization: `Bearer ${TOKEN}` })).byName.keys());
    // Families of finding series with no sample yet are still declared (HELP/TYPE) by prom-client.
    const used = new Set(
      [readFileSync(path.join(ROOT, 'deploy/prometheus/keyheat-alerts.yml'), 'utf8'), readFileSync(path.join(ROOT, 'deploy/grafana/keyheat.json'), 'utf8')]
        .join('\n')
        .match(/\bkeyheat_[a-z_]*[a-z]\b/g)
        ?.map((name) => name.replace(/_bucket$/, '')),
    );
    expect(used.size).toBeGreaterThan(10);
    for (const name of used) expect(served.has(name) || served.has(name.replace(/_(total|count|sum)$/, '')), name).toBe(true);
  });
});
