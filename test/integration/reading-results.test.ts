/**
 * What a result means, on real Redis servers with exact counters (RESTORE ... FREQ n): the
 * estimated rates under the node's own LFU settings, saturation, namespaces, databases and
 * shards, the trend between two tasks, and advice.
 *
 * A restored counter loses one at the next minute boundary of Redis's clock (lfu-decay-time 1):
 * restoreWithFreq waits, when that boundary is near, until it has passed.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from '../helpers/keyheat-harness.js';
import { runKeyheatToEnd } from '../helpers/keyheat-process.js';
import { startCluster, keysOnNode, type RedisCluster } from '../helpers/redis-cluster.js';
import { startRedis, type RedisServer } from '../helpers/redis-server.js';
import { restoreWithFreq } from '../helpers/seed-keys.js';
import { STORES } from '../helpers/stores.js';

type Body = Record<string, unknown>;
const keysOf = (task: Body) => task['keys'] as Body[];

async function analyse(harness: Harness, url: string): Promise<{ instanceId: string; task: Body }> {
  const instanceId = await harness.registerInstance(url);
  const created = await harness.createTask(instanceId);
  expect(created.status).toBe(200);
  return { instanceId, task: await harness.waitForTask(instanceId, created.body['id'] as string) };
}

describe.each(STORES)('%s store', (store) => {
  describe('a server with lfu-log-factor 5', () => {
    let redis: RedisServer;
    let harness: Harness;
    let task: Body;

    beforeAll(async () => {
      redis = await startRedis({ lfuLogFactor: 5, lfuDecayTime: 1 });
      await restoreWithFreq(redis, [
        { name: 'hot:a', freq: 255 },
        { name: 'hot:b', freq: 105 },
        { name: 'user:1', freq: 45 },
        { name: 'user:2', freq: 25, db: 3 },
        { name: 'cold', freq: 5 },
      ]);
      harness = await startHarness({ store });
      task = (await analyse(harness, redis.url)).task;
    });
    afterAll(async () => {
      await harness?.close({ removeData: true });
      await redis?.stop();
    });

    it('gives each key the rate its counter settles at, under the node\'s own settings', () => {
      expect(task['status']).toBe('success');
      // ((freq - 5) * 5 + 1) / 60, three significant digits.
      expect(keysOf(task).map((k) => [k['name'], k['freq'], k['est_qps'], k['saturated']])).toEqual([
        ['hot:a', 255, 20.9, true],
        ['hot:b', 105, 8.35, false],
        ['user:1', 45, 3.35, false],
        ['user:2', 25, 1.68, false],
      ]);
      for (const key of keysOf(task)) {
        expect(key['previous_freq']).toBeNull();
        expect(key).not.toHaveProperty('est_accesses');
      }
    });

    it('reports the settings, where the heat is, and advice for the saturated key', () => {
      expect((task['analysis'] as Body)['lfu']).toEqual({ log_factor: 5, decay_time: 1, source: 'config', ceiling_qps: 20.9 });
      const total = 20.85 + 8.35 + 3.35 + 1.683;
      expect(task['prefixes']).toEqual([
        { prefix: 'hot', keys: 2, est_qps: 29.2, share: Number(((20.85 + 8.35) / total).toFixed(3)) },
        { prefix: 'user', keys: 2, est_qps: 5.033, share: Number(((3.35 + 1.683) / total).toFixed(3)) },
      ]);
      expect((task['databases'] as Body[]).map((d) => [d['db'], d['scanned_keys'], d['warm_keys']])).toEqual([
        [0, 4, 3],
        [3, 1, 1],
      ]);
      expect(task).not.toHaveProperty('shards');
      expect(task['trend']).toBeNull();
      const advice = task['advice'] as Body[];
      expect(advice.map((a) => a['code'])).toEqual(['saturated-keys', 'namespace-dominates']);
      // Ten times the ceiling, 208.5/s, needs (250 f + 1) / 60 >= 208.5: f = 51.
      expect(advice[0]?.['message']).toMatch(/at least 20\.9 reads\/s.*CONFIG SET lfu-log-factor 51 \(now 5\)/);
    });

    it('shows the same through keyheat scan, with the estimate in the table', async () => {
      const json = await runKeyheatToEnd(['scan', redis.url, '--json']);
      const result = JSON.parse(json.output) as Body;
      // The task's size probes (TYPE, STRLEN...) read the reported keys, and on Redis < 7.2, which
      // has no CLIENT NO-TOUCH, a read may raise a counter by one: compare each key with its own
      // counter, and the namespaces within that step.
      expect(keysOf(result).map((k) => k['name'])).toEqual(keysOf(task).map((k) => k['name']));
      for (const key of keysOf(result)) {
        expect(key['est_qps']).toBe(Number(Math.min(1251 / 60, (((key['freq'] as number) - 5) * 5 + 1) / 60).toPrecision(3)));
        expect(key['previous_freq']).toBeNull();
      }
      const prefixes = result['prefixes'] as Body[];
      expect(prefixes.map((p) => [p['prefix'], p['keys']])).toEqual((task['prefixes'] as Body[]).map((p) => [p['prefix'], p['keys']]));
      prefixes.forEach((p, i) => expect(p['est_qps'] as number).toBeCloseTo((task['prefixes'] as Body[])[i]!['est_qps'] as number, 0));
      const table = await runKeyheatToEnd(['scan', redis.url]);
      expect(table.output).toMatch(/1\s+255\s+>= 20\.9\s+string/);
      expect(table.output).toMatch(/LFU: lfu-log-factor 5, lfu-decay-time 1 \(config\): a counter at 255 means >= 20\.9 reads\/s/);
      expect(table.output).toMatch(/Advice \(saturated-keys\)/);
    });
  });

  describe('counters that hold no rate, and settings keyheat may not read', () => {
    it('gives expected accesses where lfu-decay-time is 0, and says why', async () => {
      const redis = await startRedis({ lfuLogFactor: 10, lfuDecayTime: 0 });
      const harness = await startHarness({ store });
      try {
        await restoreWithFreq(redis, [{ name: 'k', freq: 18 }]);
        const { task } = await analyse(harness, redis.url);
        expect(keysOf(task)[0]).toMatchObject({ freq: 18, est_qps: null, est_accesses: 793, saturated: false });
        expect((task['analysis'] as Body)['lfu']).toMatchObject({ decay_time: 0, ceiling_qps: null });
        expect((task['advice'] as Body[]).map((a) => a['code'])).toContain('no-rates');
      } finally {
        await harness.close({ removeData: true });
        await redis.stop();
      }
    }, 60_000);

    it("assumes Redis's defaults where CONFIG is renamed away, and says so", async () => {
      const redis = await startRedis({ lfuLogFactor: 3, extraArgs: ['--rename-command', 'CONFIG', ''] });
      const harness = await startHarness({ store });
      try {
        await restoreWithFreq(redis, [{ name: 'k', freq: 65 }]);
        const { task } = await analyse(harness, redis.url);
        expect((task['analysis'] as Body)['lfu']).toEqual({ log_factor: 10, decay_time: 1, source: 'assumed', ceiling_qps: 41.7 });
        expect(keysOf(task)[0]).toMatchObject({ est_qps: 10 }); // (60 * 10 + 1) / 60, under the assumed factor
        expect((task['advice'] as Body[]).map((a) => a['code'])).toContain('lfu-assumed');
      } finally {
        await harness.close({ removeData: true });
        await redis.stop();
      }
    }, 60_000);
  });

  describe('namespaces over 100 000 keys, more of them than the summary holds', () => {
    it('finds the hot namespaces exactly enough', async () => {
      const redis = await startRedis({ lfuLogFactor: 10, lfuDecayTime: 1 });
      const harness = await startHarness({ store });
      try {
        const keys = [
          ...Array.from({ length: 20_000 }, (_, i) => ({ name: `session:${i}`, freq: 50 })),
          ...Array.from({ length: 10_000 }, (_, i) => ({ name: `user:${i}`, freq: 30 })),
          ...Array.from({ length: 5_000 }, (_, i) => ({ name: `cart:${i}`, freq: 20 })),
          // 65 000 namespaces of one lukewarm key each: 65 times the summary's 1000 counters.
          ...Array.from({ length: 65_000 }, (_, i) => ({ name: `tmp${i}:x`, freq: 6 })),
        ];
        await restoreWithFreq(redis, keys);
        const { task } = await analyse(harness, redis.url);
        const prefixes = task['prefixes'] as Body[];
        expect(prefixes).toHaveLength(20);
        expect(prefixes.slice(0, 3).map((p) => [p['prefix'], p['keys']])).toEqual([
          ['session', 20_000],
          ['user', 10_000],
          ['cart', 5_000],
        ]);
        expect(prefixes[0]?.['est_qps']).toBeCloseTo((20_000 * 451) / 60, -2);
        expect((task['analysis'] as Body)['scanned_keys']).toBe(100_000);
      } finally {
        await harness.close({ removeData: true });
        await redis.stop();
      }
    }, 60_000);
  });

  describe('two tasks of one instance', () => {
    it('tells what came, what went, and each key\'s previous counter', async () => {
      const redis = await startRedis({ lfuLogFactor: 10, lfuDecayTime: 1 });
      const harness = await startHarness({ store });
      try {
        await restoreWithFreq(redis, [
          { name: 'stays', freq: 40 },
          { name: 'goes', freq: 30 },
        ]);
        const { instanceId, task: first } = await analyse(harness, redis.url);
        await redis.command(['DEL', 'goes']);
        await restoreWithFreq(redis, [
          { name: 'stays', freq: 60 },
          { name: 'comes', freq: 20 },
        ]);
        const created = await harness.createTask(instanceId);
        const second = await harness.waitForTask(instanceId, created.body['id'] as string);
        expect(keysOf(second).map((k) => [k['name'], k['freq'], k['previous_freq']])).toEqual([
          ['stays', 60, 40],
          ['comes', 20, null],
        ]);
        expect(second['trend']).toEqual({ compared_with: first['id'], new: ['comes'], gone: [{ name: 'goes', db: 0, freq: 30 }] });
      } finally {
        await harness.close({ removeData: true });
        await redis.stop();
      }
    }, 60_000);
  });
});

describe('a 3-primary cluster', () => {
  let cluster: RedisCluster;
  let harness: Harness;

  beforeAll(async () => {
    cluster = await startCluster({ lfuLogFactor: 10, lfuDecayTime: 1 });
    harness = await startHarness();
    for (let node = 0; node < 3; node++) {
      const names = await keysOnNode(cluster, node, `n${node}:`, 20);
      await restoreWithFreq(cluster.nodes[node]!, names.map((name) => ({ name, freq: node === 0 ? 120 : 15 })));
    }
  });
  afterAll(async () => {
    await harness?.close({ removeData: true });
    await cluster?.stop();
  });

  it('sums the heat per shard, and points at the shard that carries most of it', async () => {
    const { task } = await analyse(harness, cluster.seedUrl);
    const shards = task['shards'] as Body[];
    expect(shards.map((s) => s['shard']).sort()).toEqual([...cluster.announced].sort());
    const first = shards.find((s) => s['shard'] === cluster.announced[0]);
    // 20 keys at (115 * 10 + 1) / 60 against 2 x 20 at (10 * 10 + 1) / 60.
    const hot = (20 * 1151) / 60;
    const cool = (20 * 101) / 60;
    expect(first).toMatchObject({ scanned_keys: 20, warm_keys: 20, share: Number((hot / (hot + 2 * cool)).toFixed(3)) });
    expect(task).not.toHaveProperty('databases');
    expect((task['advice'] as Body[]).find((a) => a['code'] === 'shard-imbalance')?.['message']).toContain(cluster.announced[0]!);
  });
});
