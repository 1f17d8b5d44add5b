/**
 * The analysis end to end through the HTTP API, against real redis-server processes.
 * The LFU servers run with lfu-log-factor 0 and lfu-decay-time 0, so every read adds exactly
 * one to a key's counter and nothing decays: the expected freq of each key is 5 + its reads.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, P1, type Harness } from '../helpers/keyheat-harness.js';
import { startProxy } from '../helpers/intercepting-proxy.js';
import { startRedis, type RedisServer } from '../helpers/redis-server.js';
import { startRespStub } from '../helpers/resp-stub.js';
import { fillColdKeys, seedKeys, type SeedKey, seedRedis } from '../helpers/seed-keys.js';
import { STORES } from '../helpers/stores.js';

const BINARY_NAME = Buffer.from([0xff, 0xfe, 0x6b]); // not UTF-8

const HOT: SeedKey[] = [
  { name: 'hot:string', db: 0, type: 'string', size: 300, hits: 200 },
  { name: 'hot:hash', db: 0, type: 'hash', size: 7, hits: 120 },
  { name: 'hot:list', db: 2, type: 'list', size: 5, hits: 90 },
  { name: 'hot:zset', db: 5, type: 'zset', size: 4, hits: 60 },
  { name: 'hot:set', db: 5, type: 'set', size: 3, hits: 40 },
  { name: 'hot:stream', db: 9, type: 'stream', size: 1, hits: 25 },
  { name: BINARY_NAME, db: 0, type: 'string', size: 2, hits: 15 },
  { name: 'barely-warm', db: 2, type: 'string', size: 1, hits: 1 },
];

async function objectFreq(redis: RedisServer, name: string | Buffer, db: number): Promise<number> {
  return (await redis.command(['OBJECT', 'FREQ', name], db)) as number;
}

describe.each(STORES)('%s store', (store) => {
  describe('hot key analysis of a standalone Redis with several databases', () => {
    let redis: RedisServer;
    let harness: Harness;
    let instanceId: string;
    let task: Record<string, unknown>;
    const freqBefore = new Map<string, number>();

    beforeAll(async () => {
      redis = await startRedis({ lfuLogFactor: 0, lfuDecayTime: 0 });
      const connection = await redis.connect();
      await seedKeys(connection, HOT);
      await fillColdKeys(connection, 500, 'cold', 0);
      await fillColdKeys(connection, 300, 'cold', 2);
      connection.close();
      for (const key of HOT) freqBefore.set(key.name.toString('latin1'), await objectFreq(redis, key.name, key.db));
      harness = await startHarness({ store });
      instanceId = await harness.registerInstance(redis.url);
      const created = await harness.createTask(instanceId);
      expect(created.status).toBe(200);
      task = await harness.waitForTask(instanceId, created.body['id'] as string);
    });

    afterAll(async () => {
      await harness?.close({ removeData: true });
      await redis?.stop();
    });

    it('succeeds and reports every key above the initial counter, hottest first', () => {
      expect(task['status']).toBe('success');
      const keys = task['keys'] as Record<string, unknown>[];
      expect(keys.map((k) => k['name'])).toEqual(['hot:string', 'hot:hash', 'hot:list', 'hot:zset', 'hot:set', 'hot:stream', '\\xff\\xfek', 'barely-warm']);
      expect(task['num']).toBe(keys.length);
      expect(task['started_at']).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
      expect(task['finished_at']).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    });

    it('gives each key its db, type, size, unit, and the freq OBJECT FREQ had', () => {
      const keys = task['keys'] as Record<string, unknown>[];
      HOT.forEach((seed, i) => {
        const expectedUnit = seed.type === 'string' ? 'byte' : 'count';
        expect(keys[i]).toMatchObject({ db: seed.db, type: seed.type, size: seed.size, unit: expectedUnit, freq: 5 + seed.hits });
        expect(keys[i]!['freq']).toBe(freqBefore.get(seed.name.toString('latin1')));
        expect(keys[i]).not.toHaveProperty('shard');
      });
    });

    it('keeps the exact bytes of a name that is not UTF-8', () => {
      const binary = (task['keys'] as Record<string, unknown>[]).find((k) => k['name'] === '\\xff\\xfek');
      expect(Buffer.from(binary!['name_base64'] as string, 'base64')).toEqual(BINARY_NAME);
    });

    it('never reports or touches cold keys', async () => {
      const names = (task['keys'] as Record<string, unknown>[]).map((k) => k['name'] as string);
      expect(names.some((n) => n.startsWith('cold'))).toBe(false);
      // SCAN, OBJECT FREQ and TYPE do not count as accesses: cold keys still read 5.
      expect(await objectFreq(redis, 'cold:17', 0)).toBe(5);
      expect(await objectFreq(redis, 'cold:17', 2)).toBe(5);
    });

    it('counts what it scanned', () => {
      expect(task['analysis']).toMatchObject({ scanned_keys: HOT.length + 800, vanished_keys: 0, changed_keys: 0 });
    });

    it('keeps only the configured number of keys', async () => {
      const small = await startHarness({ store, config: { analysis: { top_k: 3 } } });
      try {
        const id = await small.registerInstance(redis.url);
        const created = await small.createTask(id);
        const done = await small.waitForTask(id, created.body['id'] as string);
        expect((done['keys'] as Record<string, unknown>[]).map((k) => k['name'])).toEqual(['hot:string', 'hot:hash', 'hot:list']);
        expect(done['num']).toBe(3);
      } finally {
        await small.close({ removeData: true });
      }
    });
  });

  describe('hot key analysis with Redis default LFU settings', () => {
    it('ranks widely spaced access rates in order', async () => {
      const redis = await startRedis();
      const harness = await startHarness({ store });
      try {
        await seedRedis(redis, [
          { name: 'k:20000', db: 0, type: 'string', size: 1, hits: 20_000 },
          { name: 'k:2000', db: 1, type: 'string', size: 1, hits: 2000 },
          { name: 'k:200', db: 0, type: 'string', size: 1, hits: 200 },
        ], 200);
        const id = await harness.registerInstance(redis.url);
        const created = await harness.createTask(id);
        const done = await harness.waitForTask(id, created.body['id'] as string);
        expect((done['keys'] as Record<string, unknown>[]).map((k) => k['name'])).toEqual(['k:20000', 'k:2000', 'k:200']);
      } finally {
        await harness.close({ removeData: true });
        await redis.stop();
      }
    });
  });

  describe('preflight when a task is created', () => {
    let harness: Harness;
    beforeAll(async () => {
      harness = await startHarness({ store });
    });
    afterAll(async () => harness.close({ removeData: true }));

    it('refuses a Redis whose policy is not LFU with DCS.4922 and the policy found', async () => {
      const lru = await startRedis({ policy: 'allkeys-lru' });
      try {
        const id = await harness.registerInstance(lru.url);
        const response = await harness.createTask(id);
        expect(response.status).toBe(400);
        expect(response.body).toMatchObject({ error_code: 'DCS.4922', error_msg: 'Does not support hotkey analyze.' });
        expect(response.body['error_ext_msg']).toMatch(/maxmemory-policy allkeys-lru/);
      } finally {
        await lru.stop();
      }
    });

    it('accepts volatile-lfu', async () => {
      const volatile = await startRedis({ policy: 'volatile-lfu' });
      try {
        const id = await harness.registerInstance(volatile.url);
        const response = await harness.createTask(id);
        expect(response.status).toBe(200);
        await harness.waitForTask(id, response.body['id'] as string);
      } finally {
        await volatile.stop();
      }
    });

    it('refuses a Redis older than 4.0 with DCS.4922 and the version found', async () => {
      const stub = await startRespStub('# Server\r\nredis_version:3.2.12\r\nredis_mode:standalone\r\n# Memory\r\nmaxmemory_policy:allkeys-lfu\r\n');
      try {
        const id = await harness.registerInstance(`redis://127.0.0.1:${stub.port}`);
        const response = await harness.createTask(id);
        expect(response.status).toBe(400);
        expect(response.body['error_code']).toBe('DCS.4922');
        expect(response.body['error_ext_msg']).toMatch(/3\.2\.12/);
      } finally {
        await stub.close();
      }
    });

    it('refuses an instance that cannot be reached with DCS.4049 and marks it ERROR', async () => {
      const redis = await startRedis();
      const id = await harness.registerInstance(redis.url);
      await redis.stop();
      const response = await harness.createTask(id);
      expect(response.status).toBe(400);
      expect(response.body).toMatchObject({ error_code: 'DCS.4049', error_msg: 'The instance status is not running.' });
      expect(response.body['error_ext_msg']).toMatch(/127\.0\.0\.1:\d+/);
      const shown = await harness.request('GET', `/v2/${P1}/instances/${id}`);
      expect(shown.body['status']).toBe('ERROR');
    });

    it('refuses a second task while one is waiting or running with DCS.4921', async () => {
      const redis = await startRedis();
      const slow = await startHarness({ store, start: false }); // runner stopped: the first task stays waiting
      try {
        const id = await slow.registerInstance(redis.url);
        expect((await slow.createTask(id)).status).toBe(200);
        const second = await slow.createTask(id);
        expect(second.status).toBe(400);
        expect(second.body['error_code']).toBe('DCS.4921');
        const concurrent = await Promise.all([1, 2, 3].map(() => slow.createTask(id)));
        expect(concurrent.every((r) => r.body['error_code'] === 'DCS.4921')).toBe(true);
      } finally {
        await slow.close({ removeData: true });
        await redis.stop();
      }
    });
  });

  describe('keys that change under the scan', () => {
    it('skips and counts a key deleted between SCAN and OBJECT FREQ, and one deleted before its probe', async () => {
      const redis = await startRedis({ lfuLogFactor: 0, lfuDecayTime: 0 });
      await seedRedis(redis, [
        { name: 'stays', db: 0, type: 'string', size: 1, hits: 30 },
        { name: 'gone-before-freq', db: 0, type: 'string', size: 1, hits: 40 },
        { name: 'gone-before-probe', db: 0, type: 'hash', size: 2, hits: 50 },
      ]);
      const proxy = await startProxy(redis.port, async (args) => {
        const command = args.map((a) => a.toString()).join(' ');
        if (command === 'OBJECT FREQ gone-before-freq' || command === 'TYPE gone-before-probe') {
          await redis.command(['DEL', args[args.length - 1]!]);
        }
      });
      const harness = await startHarness({ store });
      try {
        const id = await harness.registerInstance(`redis://127.0.0.1:${proxy.port}`);
        const created = await harness.createTask(id);
        const done = await harness.waitForTask(id, created.body['id'] as string);
        expect(done['status']).toBe('success');
        expect((done['keys'] as Record<string, unknown>[]).map((k) => k['name'])).toEqual(['stays']);
        expect(done['analysis']).toMatchObject({ scanned_keys: 3, vanished_keys: 2 });
      } finally {
        await harness.close({ removeData: true });
        await proxy.close();
        await redis.stop();
      }
    });
  });

  describe('a Redis that dies during the scan', () => {
    it('fails the task with a reason and the service stays up', async () => {
      const redis = await startRedis();
      const connection = await redis.connect();
      await fillColdKeys(connection, 5000);
      connection.close();
      let scans = 0;
      const proxy = await startProxy(redis.port, async (args) => {
        if (args[0]?.toString().toUpperCase() === 'SCAN' && ++scans === 5) await redis.kill('SIGKILL');
      });
      const harness = await startHarness({ store, config: { analysis: { batch_size: 100 } } });
      try {
        const id = await harness.registerInstance(`redis://127.0.0.1:${proxy.port}`);
        const created = await harness.createTask(id);
        const done = await harness.waitForTask(id, created.body['id'] as string);
        expect(done['status']).toBe('failed');
        expect(done['error_msg']).toMatch(new RegExp(`127\\.0\\.0\\.1:${proxy.port}`));
        expect(done['keys']).toBeUndefined();
        expect(done['finished_at']).toBeDefined();
        // The service still answers, and knows the instance is gone.
        expect((await harness.request('GET', `/v2/${P1}/instances/${id}`)).body['status']).toBe('ERROR');
        expect((await harness.createTask(id)).body['error_code']).toBe('DCS.4049');
      } finally {
        await harness.close({ removeData: true });
        await proxy.close();
        await redis.stop();
      }
    });
  });
});
