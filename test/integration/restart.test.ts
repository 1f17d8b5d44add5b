import { statSync } from 'node:fs';
/** Everything keyheat was told survives a restart of the service. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, P1 } from '../helpers/keyheat-harness.js';
import { startProxy, type Proxy } from '../helpers/intercepting-proxy.js';
import { startRedis, type RedisServer } from '../helpers/redis-server.js';
import { seedRedis } from '../helpers/seed-keys.js';
import { createPgSchema, STORES } from '../helpers/stores.js';

describe.each(STORES)('a restart of keyheat on the %s store', (store) => {
  let redis: RedisServer;
  let proxy: Proxy;
  let slow = false;

  beforeAll(async () => {
    redis = await startRedis({ lfuLogFactor: 0, lfuDecayTime: 0 });
    await seedRedis(redis, [{ name: 'warm', db: 1, type: 'list', size: 2, hits: 9 }], 2000);
    proxy = await startProxy(redis.port, async (args) => {
      if (slow && args[0]?.toString().toUpperCase() === 'SCAN') await new Promise((r) => setTimeout(r, 20));
    });
  });
  afterAll(async () => {
    await proxy?.close();
    await redis?.stop();
  });

  it('keeps finished, waiting and interrupted tasks, and runs the unfinished ones', async () => {
    const schema = store === 'postgres' ? await createPgSchema() : null;
    const first = await startHarness({ store, ...(schema === null ? {} : { databaseUrl: schema.url }), config: { analysis: { batch_size: 20 } } });
    const instanceId = await first.registerInstance(`redis://127.0.0.1:${proxy.port}`);
    const base = `/v2/${P1}/instances/${instanceId}`;
    const done = await first.createTask(instanceId);
    const finished = await first.waitForTask(instanceId, done.body['id'] as string);
    await first.request('PUT', `${base}/hotkey/autoscan`, { body: { enable_auto_scan: true, schedule_at: ['04:00'] } });

    slow = true;
    const interrupted = await first.createTask(instanceId);
    await first.waitForTask(instanceId, interrupted.body['id'] as string, ['running']);
    await first.close(); // graceful: the running analysis is handed back, not failed
    slow = false;
    const second = await startHarness({ store, dataDir: first.dataDir, databaseUrl: first.databaseUrl, start: false });
    expect((await second.request('GET', `${base}/hotkey-task/${interrupted.body['id'] as string}`)).body['status']).toBe('waiting');
    expect((await second.request('GET', `${base}/hotkey-task/${done.body['id'] as string}`)).body).toEqual(finished);
    expect((await second.request('GET', `${base}/hotkey/autoscan`)).body).toMatchObject({ enable_auto_scan: true, schedule_at: ['04:00'] });
    second.keyheat.start();
    const resumed = await second.waitForTask(instanceId, interrupted.body['id'] as string);
    expect(resumed['status']).toBe('success');
    expect((resumed['keys'] as Record<string, unknown>[]).map((k) => k['name'])).toEqual(['warm']);
    const list = await second.request('GET', `${base}/hotkey-tasks`);
    expect(list.body['count']).toBe(2);
    await second.close({ removeData: true });
    await schema?.drop();
  });
});

describe('the embedded database file', () => {
  it('is readable by its owner only: it holds the Redis passwords', async () => {
    const harness = await startHarness({ store: 'sqlite', start: false });
    try {
      const file = harness.databaseUrl.slice('sqlite:'.length);
      expect(statSync(file).mode & 0o777).toBe(0o600);
    } finally {
      await harness.close({ removeData: true });
    }
  });
});
