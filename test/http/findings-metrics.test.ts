/**
 * What analyses found, as /metrics series, on a real keyheat (both stores) with a real
 * redis-server: hot keys with their counters and rates, saturation, big keys and types,
 * namespaces, keys without expiry, each kind's last success; bounded by metrics.hot_keys and
 * metrics.big_keys; served only with a token unless metrics.findings says always; the same from
 * a second process on the same database; findings of tasks stored before keyheat kept them
 * computed at the first scrape.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/storage/database.js';
import { P1, startHarness, type Harness } from '../helpers/keyheat-harness.js';
import { samples, scrape, value, type Families } from '../helpers/prometheus-text.js';
import { startRedis, type RedisServer } from '../helpers/redis-server.js';
import { STORES } from '../helpers/stores.js';

const TOKEN = 'metrics-token-0123456789abcdef';
const AUTH = { authorization: `Bearer ${TOKEN}` };
/** Hot keys read 300 times (saturated with lfu-log-factor 0), then 40 read 5..44 times. */
const SATURATED = ['feed:today', 'feed:\u001b[2Jnews', `long:${'x'.repeat(400)}`];
const WARM = 40;

type Json = Record<string, unknown>;

async function seed(redis: RedisServer): Promise<void> {
  await redis.command(['MSET', ...Array.from({ length: 200 }, (_, i) => [`user:${i}`, 'v']).flat()]);
  for (let i = 0; i < 50; i++) await redis.command(['SET', `session:${i}`, 'v', 'EX', '3600']);
  for (const key of SATURATED) {
    await redis.command(['SET', key, 'v']);
    for (let i = 0; i < 300; i++) await redis.command(['GET', key]);
  }
  for (let k = 0; k < WARM; k++) {
    await redis.command(['SET', `warm:${k}`, 'v']);
    for (let i = 0; i < 5 + k; i++) await redis.command(['GET', `warm:${k}`]);
  }
  await redis.command(['RPUSH', 'big:list', ...Array.from({ length: 6000 }, (_, i) => String(i))]);
  await redis.command(['SET', 'big:str', 'x'.repeat(20_000)]);
}

describe.each(STORES)('%s store', (store) => {
  let redis: RedisServer;
  let harness: Harness;
  let instanceId: string;

  async function finished(path: string): Promise<Json> {
    for (let i = 0; i < 400; i++) {
      const task = (await harness.request('GET', path)).body;
      if (task['status'] === 'success' || task['status'] === 'failed') return task;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`${path} did not finish`);
  }

  beforeAll(async () => {
    redis = await startRedis({ lfuLogFactor: 0, lfuDecayTime: 0 });
    await seed(redis);
    harness = await startHarness({ store, config: { metrics: { token: TOKEN, hot_keys: 5, big_keys: 1 } } });
    instanceId = await harness.registerInstance(redis.url, 'cache-a');
    const base = `/v2/${P1}/instances/${instanceId}`;
    const hot = await harness.createTask(instanceId);
    expect((await finished(`${base}/hotkey-task/${hot.body['id'] as string}`))['status']).toBe('success');
    const big = await harness.request('POST', `${base}/bigkey-task`);
    expect((await finished(`${base}/bigkey-task/${big.body['id'] as string}`))['status']).toBe('success');
    const expire = await harness.request('POST', `${base}/scan-expire-keys-task`);
    expect((await finished(`${base}/auto-expire/histories/${expire.body['id'] as string}`))['status']).toBe('success');
  });

  afterAll(async () => {
    await harness?.close({ removeData: true });
    await redis?.stop();
  });

  const of = (): Record<string, string> => ({ instance_id: instanceId, instance_name: 'cache-a' });

  it('reports the hottest keys by name with their counter and estimated rate, bounded by metrics.hot_keys, and the saturated count', async () => {
    const families = await scrape(harness, AUTH);
    expect(value(families, 'keyheat_findings_up')).toBe(1);
    expect(value(families, 'keyheat_instance_info', { ...of(), project_id: P1 })).toBe(1);
    const freq = samples(families, 'keyheat_hot_key_freq', of());
    expect(freq).toHaveLength(5);
    const byKey = new Map(freq.map((s) => [s.labels?.['key'], Number(s.value)]));
    // The name as the CLI prints it: ESC escaped; a long name cut to 256 bytes, ending with a hash.
    expect(byKey.get('feed:today')).toBe(255);
    expect(byKey.get('feed:\\x1b[2Jnews')).toBe(255);
    const long = [...byKey.keys()].find((k) => k?.startsWith('long:'));
    expect(long).toMatch(/^long:x+…#[0-9a-f]{16}$/);
    expect(Buffer.byteLength(long ?? '')).toBeLessThanOrEqual(256);
    for (const sample of freq) expect(sample.labels).toMatchObject({ db: '0' });
    // Rates where the LFU settings allow an estimate: lfu-decay-time 0 makes counters count accesses, not a rate.
    expect(samples(families, 'keyheat_hot_key_est_qps', of())).toHaveLength(0);
    expect(value(families, 'keyheat_hot_keys_saturated', of())).toBe(SATURATED.length);
  });

  it('reports the biggest keys (metrics.big_keys), the totals per type and the namespaces', async () => {
    const families = await scrape(harness, AUTH);
    const big = samples(families, 'keyheat_big_key_size', of());
    expect(big).toHaveLength(1);
    expect(big[0]?.labels).toMatchObject({ key: 'big:str', type: 'string', unit: 'byte', db: '0' });
    expect(Number(big[0]?.value)).toBe(20_000);
    expect(value(families, 'keyheat_type_keys', { ...of(), type: 'list' })).toBe(1);
    expect(value(families, 'keyheat_type_big_keys', { ...of(), type: 'list' })).toBe(1);
    expect(value(families, 'keyheat_type_size', { ...of(), type: 'list', unit: 'count' })).toBe(6000);
    expect(value(families, 'keyheat_type_keys', { ...of(), type: 'string' })).toBe(200 + 50 + SATURATED.length + WARM + 1);
    const namespaces = samples(families, 'keyheat_namespace_share', of());
    expect(namespaces.length).toBeGreaterThan(0);
    expect(namespaces.length).toBeLessThanOrEqual(10);
    expect(namespaces.map((s) => s.labels?.['namespace'])).toContain('big');
  });

  it('reports the keys without expiry and each kind\'s last success', async () => {
    const families = await scrape(harness, AUTH);
    expect(value(families, 'keyheat_keys_with_expiry', of())).toBe(50);
    expect(value(families, 'keyheat_keys_without_expiry', of())).toBe(200 + SATURATED.length + WARM + 2);
    expect(value(families, 'keyheat_expired_keys_reclaimed', of())).toBe(0);
    const now = Date.now() / 1000;
    for (const kind of ['hot', 'big', 'expire']) {
      const at = value(families, 'keyheat_last_success_timestamp_seconds', { ...of(), kind });
      expect(at, kind).toBeGreaterThan(now - 120);
      expect(at, kind).toBeLessThanOrEqual(now);
    }
    expect(samples(families, 'keyheat_last_success_timestamp_seconds', { ...of(), kind: 'offline' })).toHaveLength(0);
  });

  /** keyheat started again on the same store with `config` (SQLite has one process at a time). */
  async function restart(config: Record<string, unknown>): Promise<void> {
    await harness.close();
    harness = await startHarness({ store, dataDir: harness.dataDir, databaseUrl: harness.databaseUrl, config });
  }

  const findingLines = (families: Families): string[] =>
    families.text
      .split('\n')
      .filter((line) => /^keyheat_(hot_key|big_key|type_|namespace|keys_|expired_keys|last_success|instance_info)/.test(line))
      .sort();

  it('computes, at a scrape, the findings of a task stored before keyheat kept them', async () => {
    const before = await scrape(harness, AUTH);
    await harness.close();
    const handle = openDatabase(harness.databaseUrl);
    try {
      await handle.db.updateTable('hotkey_tasks').set({ findings_json: null }).where('instance_id', '=', instanceId).execute();
    } finally {
      await handle.close();
    }
    harness = await startHarness({ store, dataDir: harness.dataDir, databaseUrl: harness.databaseUrl, config: { metrics: { token: TOKEN, hot_keys: 5, big_keys: 1 } } });
    const after = await scrape(harness, AUTH);
    expect(findingLines(after)).toEqual(findingLines(before));
    expect(findingLines(after).length).toBeGreaterThan(10);
  });

  it('serves no finding on an open /metrics, unless metrics.findings is always', async () => {
    const withToken = findingLines(await scrape(harness, AUTH));
    await restart({});
    const open = await scrape(harness);
    expect(findingLines(open)).toEqual([]);
    expect(open.text).not.toContain('feed:today');
    await restart({ metrics: { findings: 'always', hot_keys: 5, big_keys: 1 } });
    expect(findingLines(await scrape(harness))).toEqual(withToken);
  });

  it.runIf(store === 'postgres')('reports the same findings from every process sharing the store', async () => {
    const other = await startHarness({ store, databaseUrl: harness.databaseUrl, config: { metrics: { findings: 'always', hot_keys: 5, big_keys: 1 } } });
    try {
      expect(findingLines(await scrape(other))).toEqual(findingLines(await scrape(harness)));
    } finally {
      await other.close({ removeData: true });
    }
  });
});
