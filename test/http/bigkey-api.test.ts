/**
 * The DCS big key family over HTTP on both stores, written from dcs-api.md (sections 1, 2.4,
 * 4.1): every endpoint's shape, its error codes (DCS.4942, 4918, 4919), hot and big tasks of one
 * instance side by side, also_hot / also_big, independent daily schedules; and the published
 * Huawei Cloud SDK's big key calls, signed with AK/SK.
 */
import { ClientRequestException } from '@huaweicloud/huaweicloud-sdk-core/exception/ClientRequestException.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dcsClient } from '../helpers/dcs-sdk-client.js';
import { driveLoad } from '../helpers/load-driver.js';
import { P1, startHarness, type Harness } from '../helpers/keyheat-harness.js';
import { startRedis, type RedisServer } from '../helpers/redis-server.js';
import { bulk, infoText, redisLike, startStub } from '../helpers/resp-stub.js';
import { seedRedis } from '../helpers/seed-keys.js';
import { STORES } from '../helpers/stores.js';

type Json = Record<string, unknown>;

const AK = 'KEYHEATBIGKEYAK00001';
const SK = 'keyheat-bigkey-secret-key-00000000000001';
const TOKEN = 'admin-token-p1-0000000000000001';

const BIGKEY_FIELDS = ['name', 'type', 'db', 'size', 'unit'];
const BIGKEY_ADDITIONS = ['name_base64', 'shard', 'memory_bytes', 'ttl', 'also_hot'];

describe.each(STORES)('the big key family on the %s store', (store) => {
  let redis: RedisServer;
  let lru: RedisServer;
  let harness: Harness;
  let instanceId: string;
  const base = (id = instanceId) => `/v2/${P1}/instances/${id}`;

  beforeAll(async () => {
    redis = await startRedis({ lfuLogFactor: 0, lfuDecayTime: 0 });
    await seedRedis(
      redis,
      [
        { name: 'big:str', db: 0, type: 'string', size: 20_000, hits: 40 },
        { name: 'big:hash', db: 0, type: 'hash', size: 6000, hits: 1 },
        { name: 'hot:small', db: 0, type: 'string', size: 3, hits: 50 },
        { name: 'big:list', db: 3, type: 'list', size: 5001, hits: 0 },
        { name: 'edge:set', db: 0, type: 'set', size: 5000, hits: 0 },
      ],
      200,
    );
    lru = await startRedis({ policy: 'allkeys-lru' });
    await seedRedis(lru, [{ name: 'lru:big', db: 0, type: 'zset', size: 7000, hits: 0 }]);
    harness = await startHarness({ store, config: { projects: [{ project_id: P1, tokens: [TOKEN], access_keys: [{ ak: AK, sk: SK }] }] } });
    instanceId = await harness.registerInstance(redis.url);
  }, 60_000);

  afterAll(async () => {
    await harness?.close({ removeData: true });
    await redis?.stop();
    await lru?.stop();
  });

  async function finished(id: string, taskId: string, kind: 'hot' | 'big'): Promise<Json> {
    for (let i = 0; i < 400; i++) {
      const task = (await harness.request('GET', `${base(id)}/${kind}key-task/${taskId}`)).body;
      if (task['status'] === 'success' || task['status'] === 'failed') return task;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`task ${taskId} did not finish`);
  }

  it('CreateBigkeyScanTask and ShowBigkeyScanTaskDetails: DCS shapes, keys as BigkeysBody without freq', async () => {
    const created = await harness.request('POST', `${base()}/bigkey-task`);
    expect(created.status).toBe(200);
    expect(created.body).toMatchObject({ instance_id: instanceId, status: 'waiting', scan_type: 'manual', num: 0 });
    for (const absent of ['started_at', 'finished_at', 'keys']) expect(absent in created.body).toBe(false);
    const task = await finished(instanceId, created.body['id'] as string, 'big');
    expect(task['status'], String(task['error_msg'])).toBe('success');
    expect(task['started_at']).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    const keys = task['keys'] as Json[];
    expect(task['num']).toBe(keys.length);
    // DCS's definitions: a string over 10 KB, a collection over 5000 elements; 5000 is not big.
    expect(keys.map((k) => [k['name'], k['type'], k['db'], k['size'], k['unit']])).toEqual([
      ['big:str', 'string', 0, 20_000, 'byte'],
      ['big:list', 'list', 3, 5001, 'count'],
      ['big:hash', 'hash', 0, 6000, 'count'],
    ]);
    for (const key of keys) {
      expect('freq' in key).toBe(false);
      expect('shard' in key).toBe(false); // standalone
      for (const field of Object.keys(key)) expect([...BIGKEY_FIELDS, ...BIGKEY_ADDITIONS]).toContain(field);
    }
    expect(task['thresholds']).toEqual({ string_bytes: 10_240, collection_count: 5000, per_type: 20 });
    const analysis = task['analysis'] as Json;
    expect(analysis['scanned_keys']).toBe(205);
    expect((analysis['nodes'] as Json[])[0]).toMatchObject({ node: `127.0.0.1:${redis.port}`, role: 'primary' });
    const types = task['types'] as Json[];
    expect(types.find((t) => t['type'] === 'set')).toMatchObject({ keys: 1, big_keys: 0, largest: expect.objectContaining({ name: 'edge:set', size: 5000 }) });
  });

  it('ListBigkeyScanTasks: a TaskList of big key tasks only, with offset, limit and status', async () => {
    const hot = await harness.createTask(instanceId);
    expect(hot.status).toBe(200);
    await finished(instanceId, hot.body['id'] as string, 'hot');
    const list = await harness.request('GET', `${base()}/bigkey-tasks?offset=0&limit=10&status=success`);
    expect(list.status).toBe(200);
    expect(list.body['instance_id']).toBe(instanceId);
    const records = list.body['records'] as Json[];
    expect(list.body['count']).toBe(records.length);
    expect(records.length).toBeGreaterThan(0);
    for (const record of records) {
      expect(Object.keys(record).sort()).toEqual(['created_at', 'finished_at', 'id', 'scan_type', 'started_at', 'status']);
      expect(record['id']).not.toBe(hot.body['id']);
    }
    const hotList = (await harness.request('GET', `${base()}/hotkey-tasks`)).body['records'] as Json[];
    expect(hotList.map((r) => r['id'])).toContain(hot.body['id']);
    expect(hotList.map((r) => r['id'])).not.toContain(records[0]!['id']);
    const bad = await harness.request('GET', `${base()}/bigkey-tasks?limit=0`);
    expect(bad.body['error_code']).toBe('DCS.4800');
  });

  it('answers DCS.4942 for an unknown big key id, including a hot key task id, and DCS.4941 the other way', async () => {
    const hotId = ((await harness.request('GET', `${base()}/hotkey-tasks`)).body['records'] as Json[])[0]!['id'] as string;
    const bigId = ((await harness.request('GET', `${base()}/bigkey-tasks`)).body['records'] as Json[])[0]!['id'] as string;
    for (const [method, url] of [
      ['GET', `${base()}/bigkey-task/nope`],
      ['DELETE', `${base()}/bigkey-task/nope`],
      ['GET', `${base()}/bigkey-task/${hotId}`],
      ['DELETE', `${base()}/bigkey-task/${hotId}`],
    ] as const) {
      const response = await harness.request(method, url);
      expect(response.status, `${method} ${url}`).toBe(400);
      expect(response.body).toMatchObject({ error_code: 'DCS.4942', error_msg: 'The bigkey id does not exist.' });
    }
    const crossed = await harness.request('GET', `${base()}/hotkey-task/${bigId}`);
    expect(crossed.body['error_code']).toBe('DCS.4941');
  });

  it('flags the keys that are both hot and big in both tasks (also_hot, also_big)', async () => {
    const hotId = ((await harness.request('GET', `${base()}/hotkey-tasks?status=success`)).body['records'] as Json[])[0]!['id'] as string;
    const bigId = ((await harness.request('GET', `${base()}/bigkey-tasks?status=success`)).body['records'] as Json[])[0]!['id'] as string;
    const hotKeys = (await harness.request('GET', `${base()}/hotkey-task/${hotId}`)).body['keys'] as Json[];
    const bigKeys = (await harness.request('GET', `${base()}/bigkey-task/${bigId}`)).body['keys'] as Json[];
    expect(hotKeys.find((k) => k['name'] === 'big:str')).toMatchObject({ also_big: true });
    expect(hotKeys.find((k) => k['name'] === 'hot:small')).toMatchObject({ also_big: false });
    expect(bigKeys.find((k) => k['name'] === 'big:str')).toMatchObject({ also_hot: true });
    expect(bigKeys.find((k) => k['name'] === 'big:list')).toMatchObject({ also_hot: false });
  });

  it('runs one big key task at a time (DCS.4918) beside a hot key task, and a DELETE returns and stops it', async () => {
    const gated = await startHarness({ store, start: false }); // tasks stay waiting
    try {
      const id = await gated.registerInstance(redis.url);
      const first = await gated.request('POST', `${base(id)}/bigkey-task`, { body: { string_bytes: 1000, per_type: 5, rate_limit: 100 } });
      expect(first.status).toBe(200);
      expect(first.body['options']).toEqual({ string_bytes: 1000, per_type: 5, rate_limit: 100 });
      const second = await gated.request('POST', `${base(id)}/bigkey-task`);
      expect(second.status).toBe(400);
      expect(second.body).toMatchObject({ error_code: 'DCS.4918', error_msg: 'Instance bigkey analyze is running.' });
      // The other kind is independent.
      expect((await gated.createTask(id)).status).toBe(200);
      expect((await gated.request('POST', `${base(id)}/hotkey-task`)).body['error_code']).toBe('DCS.4921');
      const deleted = await gated.request('DELETE', `${base(id)}/bigkey-task/${first.body['id'] as string}`);
      expect(deleted.status).toBe(200);
      expect(deleted.body['id']).toBe(first.body['id']);
      expect((await gated.request('GET', `${base(id)}/bigkey-task/${first.body['id'] as string}`)).body['error_code']).toBe('DCS.4942');
      // Both kinds run at the same time once the runner starts.
      const big = await gated.request('POST', `${base(id)}/bigkey-task`, { body: { string_bytes: 1000, per_type: 5 } });
      gated.keyheat.start();
      let result: Json = {};
      for (let i = 0; i < 400 && result['status'] !== 'success' && result['status'] !== 'failed'; i++) {
        await new Promise((r) => setTimeout(r, 50));
        result = (await gated.request('GET', `${base(id)}/bigkey-task/${big.body['id'] as string}`)).body;
      }
      expect(result['status']).toBe('success');
      expect(result['thresholds']).toEqual({ string_bytes: 1000, collection_count: 5000, per_type: 5 });
    } finally {
      await gated.close({ removeData: true });
    }
  }, 60_000);

  it('analyses an instance without an LFU policy, where hot key analysis is refused', async () => {
    const id = await harness.registerInstance(lru.url, 'lru');
    expect((await harness.createTask(id)).body['error_code']).toBe('DCS.4922');
    const created = await harness.request('POST', `${base(id)}/bigkey-task`);
    expect(created.status).toBe(200);
    const task = await finished(id, created.body['id'] as string, 'big');
    expect((task['keys'] as Json[]).map((k) => k['name'])).toEqual(['lru:big']);
    // Hot by its measured rate: on a policy without LFU the sampled ranking is the hot key answer.
    const load = await driveLoad(() => lru.connect(), [{ key: 'lru:big', rate: 200, command: (key) => ['ZSCORE', key, 'm1'] }]);
    try {
      const hot = await harness.request('POST', `${base(id)}/hotkey-task`, { body: { sample_seconds: 1 } });
      expect(hot.status).toBe(200);
      expect((await finished(id, hot.body['id'] as string, 'hot'))['status']).toBe('success');
    } finally {
      await load.stop();
    }
    const flagged = (await harness.request('GET', `${base(id)}/bigkey-task/${created.body['id'] as string}`)).body['keys'] as Json[];
    expect(flagged[0]).toMatchObject({ name: 'lru:big', also_hot: true });
  }, 30_000);

  it('reads a registered replica as it is, and answers DCS.4919 where big key analysis cannot run', async () => {
    const replica = await startRedis();
    // A server that was a standalone Redis when registered and answers as a Sentinel since.
    let registered = false;
    const turned = await startStub(redisLike((command) => (command[0] === 'INFO' && registered ? bulk(infoText({ redis_mode: 'sentinel' })) : undefined)));
    try {
      await replica.command(['REPLICAOF', '127.0.0.1', redis.port]);
      for (let i = 0; i < 100 && !/master_link_status:up/.test(String(await replica.command(['INFO', 'replication']))); i++) await new Promise((r) => setTimeout(r, 100));
      const id = await harness.registerInstance(replica.url, 'replica');
      expect((await harness.createTask(id)).body['error_code']).toBe('DCS.4922'); // hot keys: a replica's counters are not the traffic
      const created = await harness.request('POST', `${base(id)}/bigkey-task`);
      expect(created.status).toBe(200);
      const task = await finished(id, created.body['id'] as string, 'big');
      expect(task['status'], String(task['error_msg'])).toBe('success');
      expect(((task['analysis'] as Json)['nodes'] as Json[])[0]).toMatchObject({ node: `127.0.0.1:${replica.port}`, role: 'replica' });

      const sentinelId = await harness.registerInstance(turned.url, 'turned');
      registered = true;
      const refused = await harness.request('POST', `${base(sentinelId)}/bigkey-task`);
      expect(refused.status).toBe(400);
      expect(refused.body).toMatchObject({ error_code: 'DCS.4919', error_msg: 'Does not support bigkey analyze.' });
      expect(refused.body['error_ext_msg']).toMatch(/is a Redis Sentinel/);
    } finally {
      await replica.stop();
      await turned.close();
    }
  }, 30_000);

  it('keeps the daily schedules of the two kinds apart', async () => {
    const put = await harness.request('PUT', `${base()}/bigkey/autoscan`, { body: { enable_auto_scan: true, schedule_at: ['02:00'] } });
    expect(put.status).toBe(200);
    expect(put.body).toMatchObject({ instance_id: instanceId, enable_auto_scan: true, schedule_at: ['02:00'] });
    expect((await harness.request('GET', `${base()}/bigkey/autoscan`)).body).toMatchObject({ enable_auto_scan: true, schedule_at: ['02:00'] });
    expect((await harness.request('GET', `${base()}/hotkey/autoscan`)).body).toMatchObject({ enable_auto_scan: false, schedule_at: [] });
    const empty = await harness.request('PUT', `${base()}/bigkey/autoscan`);
    expect(empty.body['error_code']).toBe('DCS.4004');
  });

  describe('through the Huawei Cloud SDK', () => {
    it('runs the whole big key family, signed with AK/SK', async () => {
      await harness.keyheat.http.listen({ host: '127.0.0.1', port: 0 });
      const address = harness.keyheat.http.server.address();
      const client = dcsClient(`http://127.0.0.1:${typeof address === 'object' && address !== null ? address.port : 0}`, { ak: AK, sk: SK, projectId: P1 });
      const created = await client.createBigkeyScanTask(instanceId);
      expect(created).toMatchObject({ httpStatusCode: 200, instance_id: instanceId, status: 'waiting', scan_type: 'manual', num: 0 });
      let task = created;
      for (let i = 0; i < 400 && task['status'] !== 'success'; i++) {
        await new Promise((r) => setTimeout(r, 50));
        task = await client.showBigkeyScanTaskDetails(instanceId, created['id'] as string);
      }
      expect(task['status']).toBe('success');
      expect((task['keys'] as Json[])[0]).toMatchObject({ name: 'big:str', type: 'string', db: 0, size: 20_000, unit: 'byte' });
      const list = await client.listBigkeyScanTasks(instanceId, { offset: 0, limit: 1, status: 'success' });
      expect(list).toMatchObject({ instance_id: instanceId });
      expect((list['records'] as Json[]).length).toBe(1);
      const updated = await client.updateBigkeyAutoscanConfig(instanceId, { enable_auto_scan: false, schedule_at: ['21:00'] });
      expect(updated).toMatchObject({ enable_auto_scan: false, schedule_at: ['21:00'] });
      expect(await client.showBigkeyAutoscanConfig(instanceId)).toMatchObject({ enable_auto_scan: false, schedule_at: ['21:00'] });
      const deleted = await client.deleteBigkeyScanTask(instanceId, created['id'] as string);
      expect(deleted).toMatchObject({ httpStatusCode: 200, id: created['id'] });
      const gone = await client.showBigkeyScanTaskDetails(instanceId, created['id'] as string).then(
        () => null,
        (error: unknown) => error,
      );
      expect(gone).toBeInstanceOf(ClientRequestException);
      expect((gone as ClientRequestException).errorCode).toBe('DCS.4942');
    });
  });
});
