/**
 * The expired key scan (engine/expire-scan.ts) against real redis-server processes. Active
 * expiry is off (DEBUG SET-ACTIVE-EXPIRE 0), so keys whose TTL passed stay until something
 * touches them: every one the counters show reclaimed was reclaimed by the scan, and `num` is
 * exact. Live keys are kept above a tenth of each table so Redis never shrinks a table during
 * the scan (SCAN may return a key twice across a resize), which keeps the histograms exact.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ExpireScanResult, TtlCounts } from '../../src/domain/expire-report.js';
import { RedisFailure } from '../../src/domain/redis-failure.js';
import type { NodeProgress } from '../../src/domain/task.js';
import { analyzeExpiredKeys } from '../../src/engine/expire-scan.js';
import type { Arg } from '../../src/redis/resp-connection.js';
import { startProxy } from '../helpers/intercepting-proxy.js';
import { parseRedisUrl } from '../../src/redis/redis-url.js';
import { keysOnNode, startCluster, type RedisCluster } from '../helpers/redis-cluster.js';
import { startSentinels } from '../helpers/redis-sentinel.js';
import { freePort, startRedis, type RedisServer } from '../helpers/redis-server.js';

const DEBUG = ['--enable-debug-command', 'yes'];
const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;

async function write(redis: RedisServer, commands: Arg[][], db = 0): Promise<void> {
  const connection = await redis.connect();
  try {
    await connection.call(['SELECT', db]);
    for (let i = 0; i < commands.length; i += 5000) await connection.pipeline(commands.slice(i, i + 5000));
  } finally {
    connection.close();
  }
}

/** `count` string keys `${prefix}${i}`, each with `ttl` ('PX', ms) or none. */
function sets(prefix: string, count: number, pxMs?: number): Arg[][] {
  return Array.from({ length: count }, (_, i) => (pxMs === undefined ? ['SET', `${prefix}${i}`, 'v'] : ['SET', `${prefix}${i}`, 'v', 'PX', pxMs]));
}

function counts(histogram: Partial<TtlCounts['histogram']>): TtlCounts {
  const full = { under1m: 0, under1h: 0, under1d: 0, under7d: 0, longer: 0, none: 0, ...histogram };
  const keys = Object.values(full).reduce((a, b) => a + b, 0);
  return { keys, withExpiry: keys - full.none, withoutExpiry: full.none, histogram: full };
}

const lapse = (): Promise<void> => new Promise((r) => setTimeout(r, 30));

describe('an expired key scan of a standalone server with two databases', () => {
  let redis: RedisServer;
  let result: ExpireScanResult;
  const progress: NodeProgress[][] = [];

  beforeAll(async () => {
    redis = await startRedis({ extraArgs: DEBUG });
    await redis.command(['DEBUG', 'SET-ACTIVE-EXPIRE', '0']);
    // db 0: 300 keys lapsing at once, 570 live; db 5: 120 lapsing, 50 live.
    await write(redis, [
      ...sets('gone:', 300, 1),
      ...sets('sess:', 100, 30_000),
      ...sets('cache:', 150, 2 * HOUR_MS),
      ...sets('promo:', 80, 3 * DAY_MS),
      ...sets('archive:', 40, 30 * DAY_MS),
      ...sets('user:', 200),
    ]);
    await write(redis, [...sets('gone:', 120, 1), ...sets('sess:', 20, 30_000), ...sets('queue:', 30)], 5);
    await lapse();
    expect(await redis.command(['DBSIZE'])).toBe(870);
    result = await analyzeExpiredKeys({ endpoint: redis.endpoint }, { onProgress: (nodes) => progress.push([...nodes]) });
  }, 60_000);

  afterAll(async () => {
    await redis?.stop();
  });

  it('reclaims exactly the expired keys, and says how many (num)', async () => {
    expect(result.num).toBe(420);
    expect(await redis.command(['DBSIZE'])).toBe(570);
    expect(await redis.command(['DBSIZE'], 5)).toBe(50);
    expect(result).toMatchObject({ mode: 'single', scannedKeys: 620, vanishedKeys: 0, scanKeysCount: 100 });
    expect(result.nodes).toEqual([
      {
        node: `127.0.0.1:${redis.port}`,
        scannedKeys: 620,
        expiredBefore: 0,
        expiredAfter: 420,
        reclaimed: 420,
        longestBlockUs: expect.toSatisfy((v: unknown) => v === null || typeof v === 'number'),
        cpuShare: expect.toSatisfy((v: unknown) => v === null || typeof v === 'number'),
        trafficSeen: false,
      },
    ]);
  });

  it('reports the TTLs of the keys it visited, in total, per database and per namespace', () => {
    expect(result.ttl.totals).toEqual(counts({ under1m: 120, under1d: 150, under7d: 80, longer: 40, none: 230 }));
    expect(result.ttl.databases).toEqual([
      { db: 0, ...counts({ under1m: 100, under1d: 150, under7d: 80, longer: 40, none: 200 }) },
      { db: 5, ...counts({ under1m: 20, none: 30 }) },
    ]);
    expect(result.ttl.namespaces).toEqual([
      { prefix: 'user', ...counts({ none: 200 }), error: 0 },
      { prefix: 'cache', ...counts({ under1d: 150 }), error: 0 },
      { prefix: 'sess', ...counts({ under1m: 120 }), error: 0 },
      { prefix: 'promo', ...counts({ under7d: 80 }), error: 0 },
      { prefix: 'archive', ...counts({ longer: 40 }), error: 0 },
      { prefix: 'queue', ...counts({ none: 30 }), error: 0 },
    ]);
    expect(JSON.parse(JSON.stringify(result))).toEqual(result);
  });

  it('reports progress as it goes', () => {
    expect(progress.length).toBeGreaterThan(1);
    expect(progress.at(-1)).toEqual([{ node: `127.0.0.1:${redis.port}`, scannedKeys: 620, expectedKeys: 870 + 170 }]);
  });

  it('finds nothing left to reclaim the second time', async () => {
    const again = await analyzeExpiredKeys({ endpoint: redis.endpoint });
    expect(again.num).toBe(0);
    expect(again.ttl.totals.keys).toBe(620);
  });
});

describe('the page size of an expired key scan', () => {
  it('never asks SCAN for more than scanKeysCount keys, and reads one PTTL per key', async () => {
    const redis = await startRedis({ extraArgs: DEBUG });
    const counts: number[] = [];
    let pttls = 0;
    const proxy = await startProxy(redis.port, (args) => {
      const [command] = args.map(String);
      if (command === 'SCAN') counts.push(Number(String(args[args.length - 1])));
      if (command === 'PTTL') pttls += 1;
    });
    try {
      await redis.command(['DEBUG', 'SET-ACTIVE-EXPIRE', '0']);
      await write(redis, [...sets('k:', 3000, HOUR_MS), ...sets('gone:', 500, 1)]);
      await lapse();
      const result = await analyzeExpiredKeys({ endpoint: { ...redis.endpoint, port: proxy.port } }, { scanKeysCount: 25, batchSize: 5000 });
      expect(result.num).toBe(500);
      expect(result.scannedKeys).toBe(3000);
      expect(Math.max(...counts)).toBe(25);
      expect(counts.length).toBeGreaterThanOrEqual(3500 / 25);
      expect(pttls).toBe(3000);
    } finally {
      await proxy.close();
      await redis.stop();
    }
  }, 60_000);

  it('paces like any scan: under about max_cpu_share while others are served, telling their PTTLs from its own', async () => {
    const redis = await startRedis({ extraArgs: DEBUG });
    const loadConnection = await redis.connect();
    let running = true;
    let load: Promise<void> = Promise.resolve();
    try {
      await redis.command(['DEBUG', 'POPULATE', 50_000, 'key', 10]);
      // Another client sending the scan's own command, ~2500 a second: traffic all the same.
      load = (async () => {
        while (running) {
          await loadConnection.pipeline(Array.from({ length: 5 }, (_, i) => ['PTTL', `key:${i}`]));
          await new Promise((r) => setTimeout(r, 2));
        }
      })();
      await new Promise((r) => setTimeout(r, 300));
      const cost = async (): Promise<number> => {
        const stats = String(await redis.command(['INFO', 'commandstats']));
        return [...stats.matchAll(/cmdstat_(scan|pttl):calls=\d+,usec=(\d+)/g)].reduce((sum, m) => sum + Number(m[2]), 0);
      };
      const before = await cost();
      const started = performance.now();
      const result = await analyzeExpiredKeys({ endpoint: redis.endpoint }, { maxCpuShare: 0.1 });
      const elapsedUs = (performance.now() - started) * 1000;
      const measured = ((await cost()) - before) / elapsedUs;
      expect(result.scannedKeys).toBe(50_000);
      expect(result.nodes[0]?.trafficSeen).toBe(true);
      // The load's own PTTLs are in `measured` too (a few percent): loose, as pacing.test.ts is.
      expect(measured).toBeLessThan(0.25);
      expect(result.nodes[0]?.cpuShare).toBeLessThan(0.25);
    } finally {
      running = false;
      await load.catch(() => undefined);
      loadConnection.close();
      await redis.stop();
    }
  }, 60_000);

  it('refuses a page size outside DCS range', async () => {
    for (const scanKeysCount of [9, 1001, 10.5]) {
      await expect(analyzeExpiredKeys({ endpoint: { host: '127.0.0.1', port: 1, tls: null, username: null, password: null } }, { scanKeysCount })).rejects.toThrow(RangeError);
    }
  });
});

describe('what an expired key scan refuses', () => {
  let primary: RedisServer;
  beforeAll(async () => {
    primary = await startRedis();
    await write(primary, sets('k:', 10, HOUR_MS));
  });
  afterAll(async () => {
    await primary?.stop();
  });

  it('a replica, which never reclaims expired keys itself', async () => {
    const replica = await startRedis({ extraArgs: ['--replicaof', '127.0.0.1', String(primary.port)] });
    try {
      const failure = await analyzeExpiredKeys({ endpoint: replica.endpoint }).catch((error: unknown) => error);
      expect(failure).toBeInstanceOf(RedisFailure);
      expect(failure).toMatchObject({ kind: 'unsupported', message: expect.stringContaining('is a replica') });
    } finally {
      await replica.stop();
    }
  });

  it('names the command an ACL refuses, and runs with INFO, SELECT, SCAN and PTTL', async () => {
    const base = ['resetkeys', '%R~*', 'resetchannels', '-@all', '+info', '+client|setname', '+select', '+scan'];
    await primary.command(['ACL', 'SETUSER', 'nopttl', 'reset', 'on', '>pw', ...base]);
    await primary.command(['ACL', 'SETUSER', 'expire', 'reset', 'on', '>pw', ...base, '+pttl']);
    const denied = await analyzeExpiredKeys({ endpoint: { ...primary.endpoint, username: 'nopttl', password: 'pw' } }).catch((error: unknown) => error);
    expect(denied).toMatchObject({ kind: 'no-permission', message: expect.stringMatching(/may not run PTTL: add \+pttl/) });
    const allowed = await analyzeExpiredKeys({ endpoint: { ...primary.endpoint, username: 'expire', password: 'pw' } });
    expect(allowed.ttl.totals.keys).toBe(10);
  });
});

describe('an expired key scan of a 3-primary cluster', () => {
  let cluster: RedisCluster;
  beforeAll(async () => {
    cluster = await startCluster({ extraArgs: DEBUG });
  }, 60_000);
  afterAll(async () => {
    await cluster?.stop();
  });

  it('reclaims on every primary and sums what each reclaimed', async () => {
    for (const [i, node] of cluster.nodes.entries()) {
      await node.command(['DEBUG', 'SET-ACTIVE-EXPIRE', '0']);
      // A hash tag per node keeps each node's keys on it; a table of 128 with 70 live keys never shrinks.
      const [tag] = await keysOnNode(cluster, i, 'tag', 1);
      await write(node, [...sets(`{${tag}}:gone:`, 10 * (i + 1), 1), ...sets(`{${tag}}:live:`, 50, HOUR_MS / 2), ...sets(`{${tag}}:keep:`, 20)]);
    }
    await lapse();
    const result = await analyzeExpiredKeys({ endpoint: cluster.nodes[0]!.endpoint });
    expect(result.mode).toBe('cluster');
    expect(result.num).toBe(60);
    const expected = cluster.announced.map((node, i) => ({ node, shard: node, reclaimed: 10 * (i + 1), scannedKeys: 70 }));
    expect(result.nodes.map(({ node, shard, reclaimed, scannedKeys }) => ({ node, shard, reclaimed, scannedKeys }))).toEqual(expected.sort((a, b) => (a.node < b.node ? -1 : 1)));
    expect(result.ttl.totals).toEqual(counts({ under1h: 150, none: 60 }));
    expect(result.ttl.databases).toEqual([{ db: 0, ...counts({ under1h: 150, none: 60 }) }]);
    for (const node of cluster.nodes) expect(await node.command(['DBSIZE'])).toBe(70);
  }, 60_000);
});

describe('a slot migrated while the cluster is scanned', () => {
  it('reads the PTTL of a key that answered MOVED where it went, and counts it once', async () => {
    // Node 0 sits behind a proxy (it announces the proxy's port), so the test acts at the exact
    // moment keyheat asks node 0 for the key's PTTL. Node 1 starts empty: its scan is over
    // before the key reaches it, so only the redirect reads the key there.
    const realPort = await freePort();
    let migrate: ((args: readonly Buffer[]) => Promise<void>) | null = null;
    const proxy = await startProxy(realPort, async (args) => migrate?.(args));
    const cluster = await startCluster({ extraArgs: DEBUG, ports: { 0: realPort }, announcePorts: { 0: proxy.port } });
    try {
      for (const node of cluster.nodes) await node.command(['DEBUG', 'SET-ACTIVE-EXPIRE', '0']);
      const [tag0] = await keysOnNode(cluster, 0, 'a', 1);
      const [tag2] = await keysOnNode(cluster, 2, 'c', 1);
      const [moving] = await keysOnNode(cluster, 0, 'moving', 1);
      await write(cluster.nodes[0]!, [...sets(`{${tag0}}:gone:`, 30, 1), ...sets(`{${tag0}}:live:`, 60), ['SET', moving!, 'v', 'PX', 2 * HOUR_MS]]);
      await write(cluster.nodes[2]!, [...sets(`{${tag2}}:gone:`, 20, 1), ...sets(`{${tag2}}:live:`, 40, 30_000)]);
      await lapse();
      const slot = await cluster.slotOf(moving!);
      const topology = await cluster.topology();
      const idOf = (i: number): string => topology.primaries.find((p) => p.address === cluster.announced[i])!.id;
      let moved = false;
      migrate = async (args) => {
        if (moved || args.map(String).join(' ') !== `PTTL ${moving!}`) return;
        moved = true;
        const [source, target] = [cluster.nodes[0]!, cluster.nodes[1]!];
        await target.command(['CLUSTER', 'SETSLOT', slot, 'IMPORTING', idOf(0)]);
        await source.command(['CLUSTER', 'SETSLOT', slot, 'MIGRATING', idOf(1)]);
        await source.command(['MIGRATE', '127.0.0.1', target.port, moving!, 0, 5000]);
        for (const node of cluster.nodes) await node.command(['CLUSTER', 'SETSLOT', slot, 'NODE', idOf(1)]);
      };
      const result = await analyzeExpiredKeys({ endpoint: cluster.nodes[2]!.endpoint });
      expect(moved).toBe(true);
      expect(result.num).toBe(50);
      // The moving key once, in its bucket (2 h), read on node 1.
      expect(result.ttl.totals).toEqual(counts({ under1m: 40, under1d: 1, none: 60 }));
      expect(result.vanishedKeys).toBe(0);
      expect(await cluster.nodes[1]!.command(['PTTL', moving!])).toBeGreaterThan(HOUR_MS);
    } finally {
      migrate = null;
      await cluster.stop();
      await proxy.close();
    }
  }, 90_000);
});

describe('an expired key scan through Sentinel', () => {
  it('scans the primary the Sentinels name, and its replica follows the primary\'s reclaims', async () => {
    const sentinels = await startSentinels({ replicas: 1, extraArgs: DEBUG });
    try {
      const [primary, replica] = sentinels.nodes;
      await primary!.command(['DEBUG', 'SET-ACTIVE-EXPIRE', '0']);
      await write(primary!, [...sets('gone:', 25, 1), ...sets('live:', 40, HOUR_MS)]);
      await primary!.command(['WAIT', 1, 5000]);
      await lapse();
      const result = await analyzeExpiredKeys({ endpoint: parseRedisUrl(sentinels.url) });
      expect(result.mode).toBe('sentinel');
      expect(result.num).toBe(25);
      expect(result.nodes.map((n) => n.node)).toEqual([await sentinels.primary()]);
      expect(result.ttl.totals).toEqual(counts({ under1h: 40 }));
      // The primary's DELs reach the replica, which never deletes an expired key itself.
      await primary!.command(['WAIT', 1, 5000]);
      expect(await replica!.command(['DBSIZE'])).toBe(40);
    } finally {
      await sentinels.stop();
    }
  }, 90_000);
});
