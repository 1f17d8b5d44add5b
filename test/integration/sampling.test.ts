/**
 * The sampling phase against real redis-server processes with a real load at known rates:
 * MONITOR on every node, keys at the server's own key positions, bounded summaries, rates
 * within 20% of what was driven, non-LFU instances, a cluster, refusals, cancel, early stop.
 */
import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { analyzeBigKeys } from '../../src/engine/analyze-bigkeys.js';
import { analyzeDeployment } from '../../src/engine/analyze-deployment.js';
import { rateKey, sampleDeployment } from '../../src/engine/sample-deployment.js';
import { NAME_KEEP_BYTES } from '../../src/domain/kept-name.js';
import { createHash } from 'node:crypto';
import { RedisFailure } from '../../src/domain/redis-failure.js';
import { NodePool } from '../../src/redis/node-pool.js';
import { redisAccess } from '../../src/redis/redis-access.js';
import { P1, startHarness, type Harness } from '../helpers/keyheat-harness.js';
import { driveLoad, type LoadDriver } from '../helpers/load-driver.js';
import { startCluster } from '../helpers/redis-cluster.js';
import { startRedis, type RedisServer } from '../helpers/redis-server.js';
import { fillColdKeys, restoreWithFreq } from '../helpers/seed-keys.js';

type Json = Record<string, unknown>;

const within = (actual: number, expected: number, tolerance = 0.2): void => {
  expect(actual, `${actual} vs ${expected}`).toBeGreaterThanOrEqual(expected * (1 - tolerance));
  expect(actual, `${actual} vs ${expected}`).toBeLessThanOrEqual(expected * (1 + tolerance));
};

async function monitorClients(server: RedisServer): Promise<number> {
  const list = String(await server.command(['CLIENT', 'LIST']));
  return list.split('\n').filter((line) => / flags=O /.test(line)).length;
}

describe('the sampling phase', () => {
  let harness: Harness;

  beforeAll(async () => {
    harness = await startHarness();
  });

  afterAll(async () => {
    await harness?.close({ removeData: true });
  });

  async function sampleTask(instanceId: string, body: Json): Promise<Json> {
    const created = await harness.request('POST', `/v2/${P1}/instances/${instanceId}/hotkey-task`, { body });
    expect(created.status, created.text).toBe(200);
    return harness.waitForTask(instanceId, created.body['id'] as string, ['success', 'failed'], 40_000);
  }

  it('ranks saturated keys by measured rate, each within 20% of the rate driven, and adds it to their LFU entries', async () => {
    const redis = await startRedis();
    let load: LoadDriver | null = null;
    try {
      // Counter 255 for all three: LFU alone cannot tell them apart.
      await restoreWithFreq(redis, [
        { name: 'rate:200', freq: 255 },
        { name: 'rate:600', freq: 255 },
        { name: 'rate:1800', freq: 255 },
        { name: 'unread', freq: 200 },
      ]);
      const id = await harness.registerInstance(redis.url, 'rates');
      load = await driveLoad(() => redis.connect(), [
        { key: 'rate:200', rate: 200 },
        { key: 'rate:600', rate: 600 },
        { key: 'rate:1800', rate: 1800 },
      ]);
      const task = await sampleTask(id, { sample_seconds: 3 });
      expect(task['status'], JSON.stringify(task['error_msg'])).toBe('success');
      expect(task['options']).toEqual({ sample_seconds: 3 });

      const sampled = task['sampled'] as Json[];
      expect(sampled.slice(0, 3).map((k) => k['name'])).toEqual(['rate:1800', 'rate:600', 'rate:200']);
      for (const [i, rate] of [1800, 600, 200].entries()) {
        within(sampled[i]!['qps'] as number, rate);
        within(sampled[i]!['share'] as number, rate / 2600, 0.25);
        expect(sampled[i]!['db']).toBe(0);
        expect(sampled[i]!['shard']).toBeUndefined();
      }
      const sample = task['sample'] as Json;
      expect(sample).toMatchObject({ requested_seconds: 3, nodes: 1, counters: 4096, stopped_early: null });
      within(sample['seconds'] as number, 3, 0.1);
      within(sample['commands_per_s'] as number, 2600, 0.25);
      expect(sample['bound'] as number).toBeLessThan(1);
      expect(sample['per_node']).toEqual([expect.objectContaining({ node: `127.0.0.1:${redis.port}`, role: 'primary', stopped_early: null })]);

      // The LFU list keeps DCS's meaning and order; the keys that were seen gain the measured rate.
      const keys = task['keys'] as Json[];
      const byName = new Map(keys.map((k) => [k['name'], k]));
      for (const rate of [200, 600, 1800]) {
        const key = byName.get(`rate:${rate}`)!;
        expect(key['freq']).toBe(255);
        within(key['sampled_qps'] as number, rate);
      }
      expect(byName.get('unread')!['sampled_qps']).toBeUndefined();
      expect((task['advice'] as Json[]).map((a) => a['code'])).toEqual(expect.arrayContaining(['saturated-keys', 'sampling-cost']));
      // No MONITOR left behind.
      expect(await monitorClients(redis)).toBe(0);
    } finally {
      await load?.stop();
      await redis.stop();
    }
  }, 60_000);

  it('accepts a non-LFU instance only with sampling, and answers with the sampled ranking alone', async () => {
    const redis = await startRedis({ policy: 'allkeys-lru' });
    let load: LoadDriver | null = null;
    try {
      await redis.command(['SET', 'lru:hot', 'v']);
      const id = await harness.registerInstance(redis.url, 'lru');
      const plain = await harness.createTask(id);
      expect(plain.status).toBe(400);
      expect(plain.body['error_code']).toBe('DCS.4922');
      load = await driveLoad(() => redis.connect(), [
        { key: 'lru:hot', rate: 500 },
        { key: 'lru:warm', rate: 100 },
      ]);
      const task = await sampleTask(id, { sample_seconds: 2 });
      expect(task['status'], JSON.stringify(task['error_msg'])).toBe('success');
      expect(task['num']).toBe(0);
      expect(task['keys']).toEqual([]);
      expect((task['sampled'] as Json[]).slice(0, 2).map((k) => k['name'])).toEqual(['lru:hot', 'lru:warm']);
      within((task['sampled'] as Json[])[0]!['qps'] as number, 500);
      const advice = task['advice'] as Json[];
      expect(advice[0]).toMatchObject({ code: 'sampling-only' });
      expect(advice[0]!['message']).toMatch(/allkeys-lru keeps no LFU counters/);
    } finally {
      await load?.stop();
      await redis.stop();
    }
  }, 60_000);

  it('refuses with DCS.4922 where MONITOR is renamed away or forbidden, saying how to allow it', async () => {
    const renamed = await startRedis({ extraArgs: ['--rename-command', 'MONITOR', ''] });
    const acl = await startRedis();
    try {
      const id = await harness.registerInstance(renamed.url, 'renamed');
      const refused = await harness.request('POST', `/v2/${P1}/instances/${id}/hotkey-task`, { body: { sample_seconds: 5 } });
      expect(refused.status).toBe(400);
      expect(refused.body['error_code']).toBe('DCS.4922');
      expect(refused.body['error_ext_msg']).toMatch(/refused MONITOR, which the sampling phase needs.*\+monitor.*rename-command/);
      // Without sampling the same instance is fine.
      expect((await harness.createTask(id)).status).toBe(200);

      await acl.command(['ACL', 'SETUSER', 'scanner', 'on', '>scanner-pw', '~*', '+@all', '-monitor']);
      const aclId = await harness.registerInstance(acl.url.replace('redis://', 'redis://scanner:scanner-pw@'), 'acl');
      const forbidden = await harness.request('POST', `/v2/${P1}/instances/${aclId}/hotkey-task`, { body: { sample_seconds: 5 } });
      expect(forbidden.status).toBe(400);
      expect(forbidden.body['error_code']).toBe('DCS.4922');
      expect(forbidden.body['error_ext_msg']).toMatch(/refused MONITOR.*the ACL user may not run MONITOR: add \+monitor/);
      expect(forbidden.body['error_ext_msg']).not.toMatch(/scanner-pw/);

      // The analysis itself (a task whose preflight passed before the rename) fails the same way.
      const failure = await analyzeDeployment({ endpoint: renamed.endpoint }, { sampleSeconds: 1 }).catch((error: unknown) => error);
      expect(failure).toBeInstanceOf(RedisFailure);
      expect((failure as RedisFailure).kind).toBe('unsupported');
      expect((failure as RedisFailure).message).toMatch(/refused MONITOR/);
    } finally {
      await renamed.stop();
      await acl.stop();
    }
  }, 60_000);

  it('watches the replicas too when asked, adding the reads they serve to each key', async () => {
    const primary = await startRedis();
    const replica = await startRedis();
    const loads: LoadDriver[] = [];
    try {
      await replica.command(['REPLICAOF', '127.0.0.1', primary.port]);
      await primary.command(['SET', 'shared', 'v']);
      const deadline = Date.now() + 15_000;
      while (!/slave0:.*state=online/.test(String(await primary.command(['INFO', 'replication'])))) {
        expect(Date.now()).toBeLessThan(deadline);
        await new Promise((r) => setTimeout(r, 100));
      }
      const id = await harness.registerInstance(primary.url, 'replicated');
      loads.push(await driveLoad(() => primary.connect(), [{ key: 'shared', rate: 300 }]));
      loads.push(await driveLoad(() => replica.connect(), [{ key: 'shared', rate: 600 }]));
      const task = await sampleTask(id, { sample_seconds: 2, sample_replicas: true });
      expect(task['status'], JSON.stringify(task['error_msg'])).toBe('success');
      const sample = task['sample'] as Json;
      expect(sample['nodes']).toBe(2);
      expect((sample['per_node'] as Json[]).map((n) => [n['node'], n['role']])).toEqual([
        [`127.0.0.1:${primary.port}`, 'primary'],
        [`127.0.0.1:${replica.port}`, 'replica'],
      ]);
      const shared = (task['sampled'] as Json[]).find((k) => k['name'] === 'shared')!;
      within(shared['qps'] as number, 900);
      // Without sample_replicas only the primary's reads count.
      const primaryOnly = await sampleTask(id, { sample_seconds: 2 });
      within(((primaryOnly['sampled'] as Json[]).find((k) => k['name'] === 'shared')!)['qps'] as number, 300);
      expect((primaryOnly['sample'] as Json)['nodes']).toBe(1);
      const alone = await harness.request('POST', `/v2/${P1}/instances/${id}/hotkey-task`, { body: { sample_replicas: true } });
      expect(alone.status).toBe(400);
      expect(alone.body['error_code']).toBe('DCS.4800');
    } finally {
      for (const load of loads) await load.stop();
      await replica.stop();
      await primary.stop();
    }
  }, 60_000);

  it('stops sampling within a second when its task is deleted', async () => {
    const redis = await startRedis();
    try {
      await redis.command(['SET', 'k', 'v']);
      const id = await harness.registerInstance(redis.url, 'cancel');
      const created = await harness.request('POST', `/v2/${P1}/instances/${id}/hotkey-task`, { body: { sample_seconds: 60 } });
      expect(created.status).toBe(200);
      const deadline = Date.now() + 10_000;
      while ((await monitorClients(redis)) === 0) {
        expect(Date.now()).toBeLessThan(deadline);
        await new Promise((r) => setTimeout(r, 50));
      }
      const deleted = await harness.request('DELETE', `/v2/${P1}/instances/${id}/hotkey-task/${created.body['id'] as string}`);
      expect(deleted.status).toBe(200);
      const started = Date.now();
      while ((await monitorClients(redis)) > 0) {
        expect(Date.now() - started).toBeLessThan(1000);
        await new Promise((r) => setTimeout(r, 25));
      }
    } finally {
      await redis.stop();
    }
  }, 30_000);
});

describe('sampling on a 3-primary cluster', () => {
  it('watches every primary at once and names each key its shard', async () => {
    const cluster = await startCluster({ primaries: 3 });
    const harness = await startHarness();
    const loads: LoadDriver[] = [];
    try {
      const keys: string[] = [];
      for (let node = 0; node < 3; node++) {
        // A key owned by each primary.
        for (let n = 0; ; n++) {
          const key = `shard${node}:${n}`;
          if ((await cluster.ownerOf(key)) === node) {
            keys.push(key);
            break;
          }
        }
      }
      const rates = [900, 300, 100];
      for (const [node, key] of keys.entries()) {
        await cluster.nodes[node]!.command(['SET', key, 'v']);
        loads.push(await driveLoad(() => cluster.nodes[node]!.connect(), [{ key, rate: rates[node]! }]));
      }
      const id = await harness.registerInstance(cluster.seedUrl, 'cluster');
      const created = await harness.request('POST', `/v2/${P1}/instances/${id}/hotkey-task`, { body: { sample_seconds: 2 } });
      expect(created.status, created.text).toBe(200);
      const task = await harness.waitForTask(id, created.body['id'] as string, ['success', 'failed'], 40_000);
      expect(task['status'], JSON.stringify(task['error_msg'])).toBe('success');
      const sampled = task['sampled'] as Json[];
      expect(sampled.slice(0, 3).map((k) => k['name'])).toEqual(keys);
      for (const [node, key] of keys.entries()) {
        const entry = sampled.find((k) => k['name'] === key)!;
        expect(entry['shard']).toBe(cluster.announced[node]);
        within(entry['qps'] as number, rates[node]!);
      }
      const sample = task['sample'] as Json;
      expect(sample['nodes']).toBe(3);
      expect((sample['per_node'] as Json[]).map((n) => n['node']).sort()).toEqual([...cluster.announced.slice(0, 3)].sort());
      for (const node of sample['per_node'] as Json[]) expect(node['commands_seen'] as number).toBeGreaterThan(0);
    } finally {
      for (const load of loads) await load.stop();
      await harness.close({ removeData: true });
      await cluster.stop();
    }
  }, 90_000);
});

describe('the sampling summary', () => {
  let redis: RedisServer;

  beforeAll(async () => {
    redis = await startRedis();
  });

  afterAll(async () => {
    await redis?.stop();
  });

  it('stays within its counters with far more distinct keys, and still finds the true top keys', async () => {
    let unique = 0;
    const load = await driveLoad(() => redis.connect(), [
      { key: 'heavy:1', rate: 600 },
      { key: 'heavy:2', rate: 400 },
      { key: 'heavy:3', rate: 250 },
      // A new key for every command: 3000 distinct keys a second.
      { key: '', rate: 3000, command: () => ['GET', `unique:${unique++}`] },
    ]);
    const pool = new NodePool(redis.endpoint, redisAccess());
    try {
      const run = await sampleDeployment(pool, [{ address: `127.0.0.1:${redis.port}`, role: 'primary' }], {
        seconds: 2,
        counters: 64,
        topK: 5,
        signal: new AbortController().signal,
      });
      expect(unique).toBeGreaterThan(64 * 50);
      // Bounded: one counter per kept key, whatever the number of distinct keys offered.
      expect(run.rates.size).toBeLessThanOrEqual(64);
      const { sampled, sample } = run.sampling;
      expect(sampled.slice(0, 3).map((k) => k.name)).toEqual(['heavy:1', 'heavy:2', 'heavy:3']);
      // The documented bound: every reported rate is high by at most commands / counters / seconds.
      within(sample.bound, sample.commandsPerS / 64, 0.05);
      for (const [i, rate] of [600, 400, 250].entries()) {
        const key = sampled[i]!;
        expect(key.error).toBeLessThanOrEqual(sample.bound);
        expect(key.qps).toBeGreaterThanOrEqual(rate * 0.8);
        expect(key.qps - key.error).toBeLessThanOrEqual(rate * 1.2);
      }
      expect(run.rates.get(rateKey(0, Buffer.from('heavy:1')))).toBeDefined();
      // Counters keep at most NAME_KEEP_BYTES of a name (and a hash of the whole): bounded whatever the names.
      const long = (tail: string): Buffer => Buffer.concat([Buffer.alloc(60_000, 'n'), Buffer.from(tail)]);
      expect(rateKey(0, long('a')).length).toBeLessThan(NAME_KEEP_BYTES + 64);
      expect(rateKey(0, long('a'))).not.toBe(rateKey(0, long('b')));
    } finally {
      pool.closeAll();
      await load.stop();
    }
  }, 30_000);

  it('reports a key name longer than it keeps by its beginning, marked truncated, with the hash of the whole', async () => {
    const name = `long:${'x'.repeat(5000)}`;
    const load = await driveLoad(() => redis.connect(), [{ key: name, rate: 200 }]);
    const pool = new NodePool(redis.endpoint, redisAccess());
    try {
      const run = await sampleDeployment(pool, [{ address: `127.0.0.1:${redis.port}`, role: 'primary' }], { seconds: 1, counters: 64, topK: 5, signal: new AbortController().signal });
      const key = run.sampling.sampled[0]!;
      expect(key).toMatchObject({ truncated: true, db: 0, nameSha1: createHash('sha1').update(name).digest('hex') });
      expect(key.name).toBe(name.slice(0, NAME_KEEP_BYTES));
      within(key.qps, 200, 0.25);
    } finally {
      pool.closeAll();
      await load.stop();
    }
  });

  it("leaves keyheat's own commands out: a big key scan of the same node during the window is not traffic", async () => {
    const connection = await redis.connect();
    try {
      await fillColdKeys(connection, 20_000, 'own');
    } finally {
      connection.close();
    }
    const load = await driveLoad(() => redis.connect(), [{ key: 'app:key', rate: 300 }]);
    const pool = new NodePool(redis.endpoint, redisAccess());
    try {
      const sampling = sampleDeployment(pool, [{ address: `127.0.0.1:${redis.port}`, role: 'primary' }], { seconds: 2, counters: 64, topK: 5, signal: new AbortController().signal });
      // The big key scan (TYPE and a size command for each of 20,000 keys) runs inside the window.
      await new Promise((r) => setTimeout(r, 300));
      const big = await analyzeBigKeys({ endpoint: redis.endpoint }, { rateLimit: 20_000 });
      expect(big.stats.scannedKeys).toBeGreaterThanOrEqual(20_000);
      const run = await sampling;
      expect(run.sampling.sampled.map((k) => k.name)).toEqual(['app:key']);
      within(run.sampling.sample.commandsPerS, 300, 0.25);
    } finally {
      pool.closeAll();
      await load.stop();
    }
  }, 30_000);

  it('ends the window early, with the reason, when keyheat falls behind the stream', async () => {
    // The load comes from another process: it goes on while this one is made to fall behind.
    const load = spawn('redis-benchmark', ['-h', '127.0.0.1', '-p', String(redis.port), '-c', '1', '-n', '100000000', '-q', 'get', 'busy'], { stdio: 'ignore' });
    const pool = new NodePool(redis.endpoint, redisAccess());
    try {
      const running = sampleDeployment(pool, [{ address: `127.0.0.1:${redis.port}`, role: 'primary' }], { seconds: 8, counters: 64, topK: 5, signal: new AbortController().signal });
      await new Promise((r) => setTimeout(r, 1000));
      // keyheat too busy to read: its event loop is blocked for 2.5 s while Redis goes on writing.
      const until = performance.now() + 2500;
      while (performance.now() < until) {
        /* busy */
      }
      const run = await running;
      const node = run.sampling.sample.perNode[0]!;
      expect(node.stoppedEarly).toMatch(/could not keep up.*window was cut at/);
      expect(run.sampling.sample.stoppedEarly).toBe(node.stoppedEarly);
      expect(node.seconds).toBeLessThan(6);
      expect(await monitorClients(redis)).toBe(0);
    } finally {
      pool.closeAll();
      load.kill();
    }
  }, 30_000);
});
