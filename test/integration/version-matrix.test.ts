/**
 * The version matrix: every engine path on every build of ../shared/redis-versions (Redis
 * 4.0.14, 5.0.14, 6.2.16, 7.2.6, 7.4.1, Valkey 8.0.1; test/helpers/redis-versions.ts finds
 * them), where the version has the feature: the hot key scan, big keys, a sampling phase, a
 * snapshot, `--rdb` of a file that version wrote (7.4.1: hashes with field TTLs set by HEXPIRE),
 * the service's task flow with the instance's engine and version, the DCS.4922 refusal of a
 * non-LFU policy, and a 3-primary cluster made with that version's own redis-cli (5.0+).
 * Without the folder the matrix is skipped, which global-setup.ts says in one line.
 * docs/version-matrix.md is the table of what runs where.
 */
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RedisEndpoint } from '../../src/domain/instance.js';
import { analyzeBigKeys } from '../../src/engine/analyze-bigkeys.js';
import { analyzeDeployment } from '../../src/engine/analyze-deployment.js';
import { ANALYSIS_DEFAULTS } from '../../src/engine/analysis-options.js';
import { analyzeRdbFile } from '../../src/engine/snapshot-analysis.js';
import { P1, startHarness, type Harness } from '../helpers/keyheat-harness.js';
import { driveLoad } from '../helpers/load-driver.js';
import { keysOnNode, startCluster, type RedisCluster } from '../helpers/redis-cluster.js';
import { startRedis, type RedisServer } from '../helpers/redis-server.js';
import { startSentinels, type SentinelDeployment } from '../helpers/redis-sentinel.js';
import { parseRedisUrl } from '../../src/redis/redis-url.js';
import { matrixVersions, type ServerVersion } from '../helpers/redis-versions.js';
import { seedRedis, type SeedKey } from '../helpers/seed-keys.js';


const VERSIONS = matrixVersions();
const THRESHOLDS = { stringBytes: 10_240, collectionCount: 5000, perType: 20 };

/** What a version has, by its RDB and command history. */
function features(v: ServerVersion): { streams: boolean; freqInRdb: boolean; cluster: boolean; fieldTtl: boolean; rdbOnly: boolean } {
  const [major = 0, minor = 0] = v.version.split('.').map(Number);
  const redis = v.engine === 'Redis';
  // Valkey forked from Redis 7.2: it has everything up to there.
  const atLeast = (ma: number, mi: number): boolean => !redis || major > ma || (major === ma && minor >= mi);
  return { streams: atLeast(5, 0), freqInRdb: atLeast(5, 0), cluster: atLeast(5, 0), fieldTtl: redis && atLeast(7, 4), rdbOnly: atLeast(6, 2) };
}

function seedsOf(v: ServerVersion): SeedKey[] {
  const keys: SeedKey[] = [
    { name: 'hot:a', db: 0, type: 'string', size: 10, hits: 40 },
    { name: 'hot:b', db: 0, type: 'hash', size: 4, hits: 25 },
    { name: 'hot:c', db: 3, type: 'zset', size: 3, hits: 12 },
    { name: 'big:str', db: 0, type: 'string', size: 20_000, hits: 0 },
    { name: 'big:list', db: 0, type: 'list', size: 6000, hits: 0 },
    { name: 'big:set', db: 1, type: 'set', size: 5001, hits: 0 },
    { name: 'small:set', db: 0, type: 'set', size: 10, hits: 0 },
  ];
  if (features(v).streams) keys.push({ name: 'hot:stream', db: 0, type: 'stream', size: 1, hits: 7 });
  return keys;
}

const hotNames = (keys: readonly { name: string; db: number; freq: number }[]): [string, number, number][] => keys.map((k) => [k.name, k.db, k.freq]);

describe.skipIf(VERSIONS.length === 0).each(VERSIONS)('$engine $version', (v) => {
  const has = features(v);
  let redis: RedisServer;
  let lru: RedisServer;
  let expectedHot: [string, number, number][];

  beforeAll(async () => {
    const common = { server: v.server, lfuLogFactor: 0, lfuDecayTime: 0, extraArgs: ['--repl-diskless-sync', 'yes', '--repl-diskless-sync-delay', '0'] };
    redis = await startRedis(common);
    lru = await startRedis({ ...common, policy: 'allkeys-lru' });
    await seedRedis(redis, seedsOf(v));
    await seedRedis(lru, [{ name: 'lru:big', db: 0, type: 'list', size: 6000, hits: 0 }]);
    if (has.fieldTtl) {
      // Field TTLs (HEXPIRE, 7.4+): a big hash table with two volatile fields, a small listpack-ex hash read 9 times.
      const members = Array.from({ length: 6000 }, (_, i) => [`f${i}`, 'v']).flat();
      await redis.command(['HSET', 'ttl:big', ...members]);
      await redis.command(['HEXPIRE', 'ttl:big', 3600, 'FIELDS', 2, 'f1', 'f2']);
      await redis.command(['HSET', 'ttl:small', 'a', '1', 'b', '2', 'c', '3']);
      await redis.command(['HEXPIRE', 'ttl:small', 7200, 'FIELDS', 1, 'a']);
      for (let i = 0; i < 9; i++) await redis.command(['HGET', 'ttl:small', 'b']);
    }
    // Counter 5 for a new key, one step per read (lfu-log-factor 0); HEXPIRE counts as one access.
    const hot: [string, number, number][] = [
      ['hot:a', 0, 45],
      ['hot:b', 0, 30],
      ['hot:c', 3, 17],
    ];
    if (has.fieldTtl) hot.push(['ttl:small', 0, 15], ['ttl:big', 0, 6]);
    if (has.streams) hot.push(['hot:stream', 0, 12]);
    expectedHot = hot.sort((a, b) => b[2] - a[2]);
  }, 60_000);

  afterAll(async () => {
    await redis?.stop();
    await lru?.stop();
  });

  // Snapshot first: a scan without CLIENT NO-TOUCH (before 7.2) reads the reported keys' sizes, a read each.
  it('finds the hot keys by their counters (snapshot first, then the scan)', async () => {
    if (has.freqInRdb) {
      const snapshot = await analyzeDeployment({ endpoint: redis.endpoint }, { strategy: 'snapshot' });
      expect(hotNames(snapshot.keys)).toEqual(expectedHot);
      expect(snapshot.insights.snapshot?.nodes[0]).toMatchObject({ protocol: has.rdbOnly ? 'rdb-only' : 'sync' });
    } else {
      await expect(analyzeDeployment({ endpoint: redis.endpoint }, { strategy: 'snapshot' })).rejects.toMatchObject({
        kind: 'unsupported',
        message: expect.stringMatching(/no LFU counters before Redis 5\.0/),
      });
    }
    const scan = await analyzeDeployment({ endpoint: redis.endpoint });
    expect(hotNames(scan.keys)).toEqual(expectedHot);
    expect(scan.keys.find((k) => k.name === 'hot:b')).toMatchObject({ type: 'hash', size: 4, unit: 'count' });
  });

  it('finds the big keys, by a scan and from a snapshot, the same', async () => {
    const scan = await analyzeBigKeys({ endpoint: redis.endpoint }, { thresholds: THRESHOLDS });
    const expected = [['big:list', 'list', 6000], ['big:set', 'set', 5001], ['big:str', 'string', 20_000], ...(has.fieldTtl ? [['ttl:big', 'hash', 6000]] : [])];
    const sorted = (keys: readonly { name: string; type: string; size: number }[]): (string | number)[][] => keys.map((k) => [k.name, k.type, k.size]).sort((a, b) => String(a[0]).localeCompare(String(b[0])));
    expect(sorted(scan.keys)).toEqual(expected);
    const snapshot = await analyzeBigKeys({ endpoint: redis.endpoint }, { thresholds: THRESHOLDS, strategy: 'snapshot' });
    expect(sorted(snapshot.keys)).toEqual(expected);
    expect(snapshot.types.map((t) => [t.type, t.keys])).toEqual(scan.types.map((t) => [t.type, t.keys]));
    if (has.fieldTtl) expect(snapshot.keys.find((k) => k.name === 'ttl:big')?.volatileFields).toBe(2);
  });

  it('reads an RDB file that version wrote', async () => {
    await redis.command(['SAVE']);
    const dir = String(((await redis.command(['CONFIG', 'GET', 'dir'])) as Buffer[])[1]);
    const file = path.join(dir, readdirSync(dir).find((name) => name.endsWith('.rdb')) ?? 'dump.rdb');
    const outcome = await analyzeRdbFile(file, ANALYSIS_DEFAULTS, { hot: 'optional', big: THRESHOLDS });
    expect(outcome.big?.keys.map((k) => k.name).sort()).toEqual(['big:list', 'big:set', 'big:str', ...(has.fieldTtl ? ['ttl:big'] : [])]);
    const advice = outcome.hot?.insights.advice.map((a) => a.code) ?? [];
    if (has.freqInRdb) {
      // The counters as saved: the reads since, by the scans above, included.
      expect(outcome.hot?.keys.slice(0, 2).map((k) => k.name)).toEqual(['hot:a', 'hot:b']);
      expect(advice).not.toContain('snapshot-no-counters');
    } else {
      expect(outcome.hot?.keys).toEqual([]);
      expect(advice).toContain('snapshot-no-counters');
      expect(advice).not.toContain('no-warm-keys');
    }
    if (has.fieldTtl) {
      const small = outcome.hot?.keys.find((k) => k.name === 'ttl:small');
      expect(small).toMatchObject({ type: 'hash', size: 3 });
      expect(outcome.snapshot.nodes[0]?.rdbVersion).toBe(12);
    }
  });

  it('measures rates in a sampling phase', async () => {
    const load = await driveLoad(() => redis.connect(), [{ key: 'hot:a', rate: 200 }]);
    try {
      const result = await analyzeDeployment({ endpoint: redis.endpoint }, { sampleSeconds: 1 });
      const sampled = result.insights.sampling?.sampled[0];
      expect(sampled?.name).toBe('hot:a');
      expect(sampled?.qps).toBeGreaterThan(100);
    } finally {
      await load.stop();
    }
  });

  it('runs the service task flow, shows the engine and version, and refuses a non-LFU policy with DCS.4922', async () => {
    const harness: Harness = await startHarness();
    try {
      const registered = await harness.request('POST', `/v2/${P1}/instances`, { body: { name: v.name, url: redis.url } });
      expect(registered.body).toMatchObject({ engine: v.engine, engine_version: v.version, mode: 'single' });
      const id = registered.body['instance_id'] as string;
      const hot = await harness.createTask(id);
      expect(hot.status, hot.text).toBe(200);
      expect((await harness.waitForTask(id, hot.body['id'] as string))['status']).toBe('success');
      const big = await harness.request('POST', `/v2/${P1}/instances/${id}/bigkey-task`);
      expect(big.status, big.text).toBe(200);
      const lruId = await harness.registerInstance(lru.url, 'lru');
      const refused = await harness.createTask(lruId);
      expect(refused.status).toBe(400);
      expect(refused.body).toMatchObject({ error_code: 'DCS.4922' });
      expect(refused.body['error_ext_msg']).toMatch(/maxmemory-policy allkeys-lru/);
    } finally {
      await harness.close({ removeData: true });
    }
  }, 30_000);

  describe('behind Sentinel', () => {
    let sentinels: SentinelDeployment;
    beforeAll(async () => {
      sentinels = await startSentinels({ server: v.server, replicas: 1, sentinels: 1, lfuLogFactor: 0, lfuDecayTime: 0 });
      await seedRedis(sentinels.nodes[0] as RedisServer, [{ name: 'via:sentinel', db: 0, type: 'string', size: 3, hits: 6 }]);
    }, 60_000);
    afterAll(async () => {
      await sentinels?.stop();
    });

    it('is asked for the primary, and refused, saying so, when given as redis://', async () => {
      const endpoint = parseRedisUrl(sentinels.url);
      const result = await analyzeDeployment({ endpoint });
      expect(result.mode).toBe('sentinel');
      expect(result.keys.map((k) => [k.name, k.freq])).toEqual([['via:sentinel', 11]]);
      const big = await analyzeBigKeys({ endpoint });
      expect(big.stats.nodes.map((n) => n.role)).toEqual(['replica']);
      const plain = parseRedisUrl(`redis://127.0.0.1:${sentinels.sentinelPorts[0]}`);
      await expect(analyzeDeployment({ endpoint: plain })).rejects.toMatchObject({
        kind: 'unsupported',
        message: expect.stringMatching(new RegExp(`is a ${v.engine} Sentinel \\(it monitors "mymaster"\\): register it as redis\\+sentinel://`)),
      });
    });
  });

  // Redis 4.0's redis-cli cannot make a cluster: the row is left out there, not skipped.
  if (has.cluster) {
    describe('a 3-primary cluster', () => {
      let cluster: RedisCluster;
      beforeAll(async () => {
        cluster = await startCluster({
          server: v.server,
          cli: v.cli,
          lfuLogFactor: 0,
          lfuDecayTime: 0,
          extraArgs: ['--repl-diskless-sync', 'yes', '--repl-diskless-sync-delay', '0'],
        });
        for (let node = 0; node < 3; node++) {
          const [name] = await keysOnNode(cluster, node, `shard${node}:`, 1);
          await seedRedis(cluster.nodes[node] as RedisServer, [{ name: name as string, db: 0, type: 'string', size: 5, hits: 10 + node }]);
        }
      }, 60_000);
      afterAll(async () => {
        await cluster?.stop();
      });

      it('is a cluster, every primary scanned, each key under its shard, by snapshot too', async () => {
        const endpoint: RedisEndpoint = { ...(cluster.nodes[0] as RedisServer).endpoint };
        const expected = [2, 1, 0].map((n) => [`shard${n}`, 15 + n, cluster.announced[n]]);
        // Snapshot first (no key touched): cluster nodes' RDBs (Redis 7.4+: SLOT_INFO before each slot; Valkey: slot-info AUX fields).
        const snapshot = await analyzeDeployment({ endpoint }, { strategy: 'snapshot' });
        expect(snapshot.keys.map((k) => [k.name.split(':')[0], k.freq, k.shard])).toEqual(expected);
        const hot = await analyzeDeployment({ endpoint });
        expect(hot.mode).toBe('cluster');
        expect(hot.keys.map((k) => [k.name.split(':')[0], k.freq, k.shard])).toEqual(expected);
        expect(hot.stats.nodes).toHaveLength(3);
        const big = await analyzeBigKeys({ endpoint });
        expect(big.mode).toBe('cluster');
        expect(big.stats.nodes).toHaveLength(3);
        // --memory through a node that does not own keyheat's ACL check key: its MOVED is no refusal.
        const owner = await cluster.ownerOf('keyheat:acl-check');
        const other = cluster.nodes[(owner + 1) % 3] as RedisServer;
        const measured = await analyzeBigKeys({ endpoint: other.endpoint }, { memoryUsage: true });
        expect(measured.types.every((t) => t.memoryBytes !== undefined && t.memoryBytes > 0)).toBe(true);
        expect(measured.advice.map((a) => a.code)).not.toContain('memory-usage-denied');
      });
    });
  }
});
