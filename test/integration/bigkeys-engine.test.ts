/**
 * Big key analysis (engine/analyze-bigkeys.ts) against real redis-server processes.
 *
 * What is tested where: the machine's Redis is 7.0.15, which has no CLIENT NO-TOUCH (7.2+).
 * Here we test that NO-TOUCH is reported as refused (noTouch=false), that reading a replica
 * leaves the PRIMARY's LFU counters exactly as they were, and, as the documented effect on
 * servers < 7.2, that reading the primary itself raises each key's counter by one access (the
 * size command). That NO-TOUCH keeps counters on 7.2+ needs a 7.2+ server and is not tested here.
 * LFU servers run with lfu-log-factor 0 and lfu-decay-time 0: one access adds exactly one.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { analyzeBigKeys, type BigKeyAnalysis } from '../../src/engine/analyze-bigkeys.js';
import type { RedisEndpoint } from '../../src/domain/instance.js';
import { RedisFailure } from '../../src/domain/redis-failure.js';
import { redisAccess } from '../../src/redis/redis-access.js';
import { RespConnection, type Arg } from '../../src/redis/resp-connection.js';
import { keysOnNode, startCluster, type RedisCluster } from '../helpers/redis-cluster.js';
import { freePort, startRedis, type RedisServer } from '../helpers/redis-server.js';
import { fillColdKeys, seedRedis } from '../helpers/seed-keys.js';

const BINARY_NAME = Buffer.from([0xff, 0xfe, 0x3a, 0x62]); // not UTF-8

async function pipeline(redis: RedisServer, commands: Arg[][], db = 0): Promise<void> {
  const connection = await redis.connect();
  try {
    await connection.call(['SELECT', db]);
    for (let i = 0; i < commands.length; i += 5000) await connection.pipeline(commands.slice(i, i + 5000));
  } finally {
    connection.close();
  }
}

function members(n: number): string[] {
  return Array.from({ length: n }, (_, i) => `m${i}`);
}

async function objectFreq(redis: RedisServer, name: string | Buffer, db = 0): Promise<number> {
  return (await redis.command(['OBJECT', 'FREQ', name], db)) as number;
}

/** Until `check` holds (replication catching up, a server noticing a replica). */
async function until(check: () => Promise<boolean>, what: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function startReplica(primary: RedisServer, extraArgs: readonly string[] = []): Promise<RedisServer> {
  const replica = await startRedis({ lfuLogFactor: 0, lfuDecayTime: 0, extraArgs: ['--replicaof', '127.0.0.1', String(primary.port), ...extraArgs] });
  await until(async () => String(await replica.command(['INFO', 'replication'])).includes('master_link_status:up'), 'the replica to sync');
  return replica;
}

async function keyheatClients(redis: RedisServer): Promise<number> {
  const list = String(await redis.command(['CLIENT', 'LIST']));
  return list.split('\n').filter((line) => / name=keyheat /.test(line)).length;
}

describe('thresholds and per-type limits', () => {
  let redis: RedisServer;
  let result: BigKeyAnalysis;

  beforeAll(async () => {
    redis = await startRedis({ policy: 'noeviction' });
    const commands: Arg[][] = [];
    // 25 big strings, 10241..10265 bytes; one at exactly the threshold; a big non-UTF-8 name.
    for (let i = 1; i <= 25; i++) commands.push(['SET', `str:${String(i).padStart(2, '0')}`, 'x'.repeat(10_240 + i)]);
    commands.push(['SET', 'str:at-threshold', 'x'.repeat(10_240)]);
    commands.push(['SET', BINARY_NAME, 'y'.repeat(20_000)]);
    commands.push(['SET', 'str:expiring', 'z'.repeat(30_000), 'EX', 1000]);
    commands.push(['RPUSH', 'list:5000', ...members(5000)]);
    commands.push(['RPUSH', 'list:5001', ...members(5001)]);
    commands.push(['SADD', 'set:5001', ...members(5001)]);
    commands.push(['ZADD', 'zset:5002', ...members(5002).flatMap((m, i) => [i, m])]);
    commands.push(['SADD', 'set:small', 'a', 'b']);
    await pipeline(redis, commands);
    await pipeline(redis, [['HSET', 'hash:6000', ...members(6000).flatMap((m) => [m, 'v'])]], 3);
    // A stream of 5001 entries (one XADD each), and a small one.
    await pipeline(redis, [...Array.from({ length: 5001 }, (): Arg[] => ['XADD', 'stream:5001', '*', 'f', 'v']), ['XADD', 'stream:1', '*', 'f', 'v']], 5);
    const connection = await redis.connect();
    await fillColdKeys(connection, 2000, 'cold', 0);
    connection.close();
    result = await analyzeBigKeys({ endpoint: redis.endpoint });
  });
  afterAll(async () => redis?.stop());

  it('reports at most 20 strings, the biggest first, then each collection type in order', () => {
    const strings = result.keys.filter((k) => k.type === 'string');
    expect(strings).toHaveLength(20);
    expect(strings.slice(0, 2).map((k) => k.size)).toEqual([30_000, 20_000]);
    expect(strings[1]).toMatchObject({ name: '\\xff\\xfe:b', nameBase64: BINARY_NAME.toString('base64'), db: 0, unit: 'byte' });
    // Then str:25 (10265 bytes) down to str:08 (10248): 18 more.
    expect(strings.slice(2).map((k) => k.name)).toEqual(Array.from({ length: 18 }, (_, i) => `str:${String(25 - i).padStart(2, '0')}`));
    expect(result.keys.map((k) => k.type)).toEqual([...Array(20).fill('string'), 'list', 'set', 'zset', 'hash', 'stream']);
    expect(result.keys.slice(20).map((k) => [k.name, k.db, k.size, k.unit])).toEqual([
      ['list:5001', 0, 5001, 'count'],
      ['set:5001', 0, 5001, 'count'],
      ['zset:5002', 0, 5002, 'count'],
      ['hash:6000', 3, 6000, 'count'],
      ['stream:5001', 5, 5001, 'count'],
    ]);
    expect(result.keys.some((k) => k.name === 'list:5000' || k.name === 'str:at-threshold')).toBe(false);
    expect(result.thresholds).toEqual({ stringBytes: 10_240, collectionCount: 5000, perType: 20 });
  });

  it('reads TTL and MEMORY USAGE of the reported keys', () => {
    const expiring = result.keys.find((k) => k.name === 'str:expiring');
    expect(expiring?.ttl).toBeGreaterThan(990);
    expect(expiring?.ttl).toBeLessThanOrEqual(1000);
    expect(result.keys.find((k) => k.name === 'list:5001')?.ttl).toBe(-1);
    for (const key of result.keys) expect(key.memoryBytes).toBeGreaterThan(key.unit === 'byte' ? key.size : key.size * 2);
  });

  it('totals every type exactly, streams included', () => {
    const byType = Object.fromEntries(result.types.map((t) => [t.type, t]));
    expect(result.types.map((t) => t.type)).toEqual(['string', 'list', 'set', 'zset', 'hash', 'stream']);
    const stringBytes = Array.from({ length: 25 }, (_, i) => 10_241 + i).reduce((a, b) => a + b, 0) + 10_240 + 20_000 + 30_000 + 2000;
    expect(byType['string']).toEqual({ type: 'string', keys: 2028, totalSize: stringBytes, unit: 'byte', bigKeys: 27, largest: { name: 'str:expiring', db: 0, size: 30_000 } });
    expect(byType['list']).toMatchObject({ keys: 2, totalSize: 10_001, unit: 'count', bigKeys: 1, largest: { name: 'list:5001', size: 5001 } });
    expect(byType['set']).toMatchObject({ keys: 2, totalSize: 5003, bigKeys: 1 });
    expect(byType['zset']).toMatchObject({ keys: 1, totalSize: 5002, bigKeys: 1 });
    expect(byType['hash']).toMatchObject({ keys: 1, totalSize: 6000, bigKeys: 1, largest: { name: 'hash:6000', db: 3, size: 6000 } });
    expect(byType['stream']).toMatchObject({ keys: 2, totalSize: 5002, unit: 'count', bigKeys: 1, largest: { name: 'stream:5001', db: 5, size: 5001 } });
    expect(result.stats).toMatchObject({ scannedKeys: 2036, vanishedKeys: 0, changedKeys: 0 });
    expect(result.prefixesBy).toBe('size');
    expect(result.prefixes[0]).toMatchObject({ prefix: 'str', keys: 27 });
  });

  it('advises on the big keys found beyond the ones reported, and on the primary read without NO-TOUCH', () => {
    const found = result.advice.find((a) => a.code === 'big-keys-found');
    expect(found?.message).toMatch(/^32 keys are over the thresholds .*: string 27 \(the 20 biggest reported\), list 1, set 1, zset 1, hash 1, stream 1\./);
    expect(result.advice.find((a) => a.code === 'scanned-primary')?.message).toMatch(/it has no replica.*no CLIENT NO-TOUCH/);
    // Redis 7.0 answers CLIENT NO-TOUCH with an error: reported, not a failure.
    expect(result.stats.nodes).toEqual([expect.objectContaining({ role: 'primary', noTouch: false, replicaSkipped: null, scannedKeys: 2036, expectedKeys: 2036 })]);
  });

  it('takes other thresholds and limits', async () => {
    const custom = await analyzeBigKeys({ endpoint: redis.endpoint }, { thresholds: { stringBytes: 10_260, collectionCount: 4999, perType: 3 }, pattern: '*:*' });
    expect(custom.keys.map((k) => k.name)).toEqual(['str:expiring', '\\xff\\xfe:b', 'str:25', 'list:5001', 'list:5000', 'set:5001', 'zset:5002', 'hash:6000', 'stream:5001']);
    expect(custom.types.find((t) => t.type === 'string')?.bigKeys).toBe(7);
    expect(custom.advice.find((a) => a.code === 'big-keys-found')?.message).toMatch(/string 7 \(the 3 biggest reported\), list 2,/);
  });

  it('says when no key is big', async () => {
    const none = await analyzeBigKeys({ endpoint: redis.endpoint }, { pattern: 'cold:*' });
    expect(none.keys).toEqual([]);
    expect(none.advice.map((a) => a.code)).toEqual(['no-big-keys', 'scanned-primary']);
    expect(none.types).toEqual([expect.objectContaining({ type: 'string', keys: 2000, bigKeys: 0 })]);
  });

  it('sums MEMORY USAGE of every key and weighs namespaces by it with memoryUsage', async () => {
    const measured = await analyzeBigKeys({ endpoint: redis.endpoint }, { memoryUsage: true });
    expect(measured.prefixesBy).toBe('memory');
    const strings = measured.types.find((t) => t.type === 'string');
    expect(strings?.memoryBytes).toBeGreaterThan(strings?.totalSize ?? Infinity);
    expect(measured.types.find((t) => t.type === 'hash')?.memoryBytes).toBeGreaterThan(6000 * 2);
    const total = measured.prefixes.reduce((sum, p) => sum + p.weight, 0);
    expect(total).toBe(measured.types.reduce((sum, t) => sum + (t.memoryBytes ?? 0), 0));
  });
});

describe('bounded memory', () => {
  it('keeps perType keys per type whatever the number of big keys', async () => {
    const redis = await startRedis({ policy: 'noeviction' });
    try {
      const connection = await redis.connect();
      await fillColdKeys(connection, 30_000, 'many', 0); // every value is "v": 1 byte
      connection.close();
      const progress: number[] = [];
      const result = await analyzeBigKeys({ endpoint: redis.endpoint }, { thresholds: { stringBytes: 0, collectionCount: 1, perType: 5 }, onProgress: (nodes) => progress.push(nodes[0]?.scannedKeys ?? -1) });
      expect(result.keys).toHaveLength(5);
      // Progress after every page, for the runner to record.
      expect(progress.length).toBeGreaterThan(10);
      expect(progress.at(-1)).toBe(30_000);
      expect(progress.every((n, i) => i === 0 || n >= (progress[i - 1] as number))).toBe(true);
      expect(result.types).toEqual([expect.objectContaining({ type: 'string', keys: 30_000, bigKeys: 30_000, totalSize: 30_000 })]);
      // Ties in size are broken by name bytes: the same five whatever the scan order.
      expect(result.keys.map((k) => k.name)).toEqual(['many:0', 'many:1', 'many:10', 'many:100', 'many:1000']);
    } finally {
      await redis.stop();
    }
  });
});

describe('replica selection, standalone', () => {
  let primary: RedisServer;
  let replica: RedisServer;

  beforeAll(async () => {
    // No wait for more replicas before a full sync (7.0 waits 5 s by default).
    primary = await startRedis({ lfuLogFactor: 0, lfuDecayTime: 0, extraArgs: ['--repl-diskless-sync-delay', '0'] });
    await seedRedis(primary, [
      { name: 'big:a', db: 0, type: 'string', size: 20_000, hits: 3 },
      { name: 'big:b', db: 1, type: 'hash', size: 6000, hits: 7 },
      { name: 'small:c', db: 0, type: 'list', size: 3, hits: 1 },
    ]);
    replica = await startReplica(primary);
    await until(async () => String(await primary.command(['INFO', 'replication'])).includes(`port=${replica.port},state=online`), 'the primary to list its replica');
  });
  afterAll(async () => {
    await replica?.stop();
    await primary?.stop();
  });

  async function freqs(): Promise<number[]> {
    return [await objectFreq(primary, 'big:a'), await objectFreq(primary, 'big:b', 1), await objectFreq(primary, 'small:c')];
  }

  it('reads the replica, names it, and leaves the primary\u2019s counters as they were', async () => {
    const before = await freqs();
    expect(before).toEqual([8, 12, 6]);
    const result = await analyzeBigKeys({ endpoint: primary.endpoint });
    expect(result.stats.nodes).toEqual([
      expect.objectContaining({ node: `127.0.0.1:${replica.port}`, role: 'replica', replicaSkipped: null, scannedKeys: 3, expectedKeys: 3, noTouch: false }),
    ]);
    expect(result.keys.map((k) => [k.name, k.db, k.size])).toEqual([
      ['big:a', 0, 20_000],
      ['big:b', 1, 6000],
    ]);
    expect(result.keys.every((k) => k.shard === undefined)).toBe(true);
    expect(result.advice.map((a) => a.code)).toEqual(['big-keys-found']);
    expect(await freqs()).toEqual(before);
  });

  it('reads the primary with preferReplicas off, and on Redis < 7.2 that is one access per key', async () => {
    const before = await freqs();
    const result = await analyzeBigKeys({ endpoint: primary.endpoint }, { preferReplicas: false });
    expect(result.stats.nodes).toEqual([expect.objectContaining({ node: `127.0.0.1:${primary.port}`, role: 'primary', noTouch: false, replicaSkipped: expect.stringMatching(/prefer_replicas off/) })]);
    expect(result.advice.find((a) => a.code === 'scanned-primary')?.message).toMatch(/no CLIENT NO-TOUCH \(Redis 7\.2\+\)/);
    // The documented effect without NO-TOUCH: STRLEN/HLEN/LLEN counted as an access (log factor 0: +1).
    expect(await freqs()).toEqual(before.map((f) => f + 1));
  });

  it('falls back to the primary when the listed replica cannot be reached, and says why', async () => {
    // A replica announcing 127.0.0.2 while listening on 127.0.0.1 only: online for its primary, unreachable for keyheat.
    const hidden = await startReplica(primary, ['--replica-announce-ip', '127.0.0.2']);
    try {
      await until(async () => String(await primary.command(['INFO', 'replication'])).includes(`ip=127.0.0.2,port=${hidden.port},state=online`), 'the primary to list the hidden replica');
      await replica.kill(); // leaves the hidden replica the only one listed
      await until(async () => !String(await primary.command(['INFO', 'replication'])).includes(`port=${replica.port},`), 'the primary to drop the stopped replica');
      const refused = await analyzeBigKeys({ endpoint: primary.endpoint });
      expect(refused.stats.nodes).toEqual([expect.objectContaining({ role: 'primary', node: `127.0.0.1:${primary.port}`, replicaSkipped: expect.stringMatching(new RegExp(`^no replica could be read: .*127\\.0\\.0\\.2:${hidden.port}.*ECONNREFUSED`)) })]);
      expect(refused.keys.map((k) => k.name)).toEqual(['big:a', 'big:b']);
      // The same through network.allow: the replica's address is outside it.
      const denied = await analyzeBigKeys({ endpoint: primary.endpoint }, { redis: redisAccess({ allow: ['127.0.0.1/32'] }) });
      expect(denied.stats.nodes[0]?.replicaSkipped).toMatch(/127\.0\.0\.2:\d+ is outside network\.allow/);
      expect(denied.advice.find((a) => a.code === 'scanned-primary')?.message).toMatch(/no replica could be read/);
    } finally {
      await hidden.stop();
    }
  });
});

describe('replica selection, cluster', () => {
  let cluster: RedisCluster;
  const primaryIndex: number[] = [];
  const bigNames: string[] = [];

  beforeAll(async () => {
    cluster = await startCluster({ primaries: 3, replicasPerPrimary: 1, lfuLogFactor: 0, lfuDecayTime: 0 });
    const topology = await cluster.topology();
    for (const primary of topology.primaries) primaryIndex.push(cluster.announced.indexOf(primary.address));
    for (const [i, node] of primaryIndex.entries()) {
      const names = await keysOnNode(cluster, node, `big${i}:`, 2);
      bigNames.push(...names);
      await pipeline(cluster.nodes[node] as RedisServer, [
        ['SET', names[0] as string, 'x'.repeat(11_000 + i)],
        ['SADD', names[1] as string, ...members(5001 + i)],
        ['WAIT', 1, 5000],
      ]);
    }
  });
  afterAll(async () => cluster?.stop());

  it('reads one replica per shard and reports each key with its primary as shard', async () => {
    const freqBefore = await Promise.all(bigNames.map(async (name) => objectFreq(cluster.nodes[await cluster.ownerOf(name)] as RedisServer, name)));
    const seed: RedisEndpoint = (cluster.nodes[0] as RedisServer).endpoint;
    const result = await analyzeBigKeys({ endpoint: seed });
    expect(result.mode).toBe('cluster');
    const primaries = primaryIndex.map((i) => cluster.announced[i] as string);
    expect(result.stats.nodes.map((n) => n.shard).sort()).toEqual([...primaries].sort());
    for (const node of result.stats.nodes) {
      expect(node).toMatchObject({ role: 'replica', replicaSkipped: null, scannedKeys: 2, noTouch: false });
      expect(node.node).not.toBe(node.shard);
    }
    expect(result.keys).toHaveLength(6);
    for (const key of result.keys) expect(key.shard).toBe(cluster.announced[await cluster.ownerOf(key.name)]);
    expect(result.keys.map((k) => k.type)).toEqual(['string', 'string', 'string', 'set', 'set', 'set']);
    expect(result.keys.map((k) => k.size)).toEqual([11_002, 11_001, 11_000, 5003, 5002, 5001]);
    expect(result.keys.every((k) => k.memoryBytes !== undefined && k.ttl === -1)).toBe(true);
    const freqAfter = await Promise.all(bigNames.map(async (name) => objectFreq(cluster.nodes[await cluster.ownerOf(name)] as RedisServer, name)));
    expect(freqAfter).toEqual(freqBefore);
  });

  it('reads the primaries with preferReplicas off', async () => {
    const result = await analyzeBigKeys({ endpoint: (cluster.nodes[0] as RedisServer).endpoint }, { preferReplicas: false });
    for (const node of result.stats.nodes) expect(node).toMatchObject({ role: 'primary', replicaSkipped: expect.stringMatching(/prefer_replicas off/) });
    expect(result.stats.nodes.map((n) => n.node).sort()).toEqual(result.stats.nodes.map((n) => n.shard).sort());
    expect(result.keys).toHaveLength(6);
  });
});

describe('keys deleted mid-scan, and cancel', () => {
  let redis: RedisServer;
  beforeAll(async () => {
    redis = await startRedis({ policy: 'noeviction' });
    const connection = await redis.connect();
    await fillColdKeys(connection, 40_000, 'k', 0);
    connection.close();
  });
  afterAll(async () => redis?.stop());

  it('counts keys deleted between SCAN and their TYPE as vanished, not as a failure', async () => {
    // 10,000 keys/s: pages of 1,000 keys a tenth of a second apart, each page's keys waiting
    // for their TYPE until the page's slot comes; meanwhile another client deletes keys.
    const analysis = analyzeBigKeys({ endpoint: redis.endpoint }, { rateLimit: 10_000 });
    const deleter = await redis.connect();
    await new Promise((r) => setTimeout(r, 300));
    const order = Array.from({ length: 40_000 }, (_, i) => i).sort((a, b) => ((a * 7919) % 40_000) - ((b * 7919) % 40_000));
    for (let i = 0; i < order.length; i += 500) {
      await deleter.pipeline(order.slice(i, i + 500).map((n) => ['UNLINK', `k:${n}`]));
      await new Promise((r) => setTimeout(r, 25));
    }
    deleter.close();
    try {
      const result = await analysis;
      expect(result.stats.vanishedKeys).toBeGreaterThan(0);
      expect(result.stats.scannedKeys).toBeLessThanOrEqual(40_000);
      const strings = result.types.find((t) => t.type === 'string')?.keys ?? 0;
      expect(strings + result.stats.vanishedKeys + result.stats.changedKeys).toBe(result.stats.scannedKeys);
    } finally {
      // Put the keys back for the next tests.
      const connection = await redis.connect();
      await fillColdKeys(connection, 40_000, 'k', 0);
      connection.close();
    }
  });

  it('stops within a second when cancelled, leaving no connection behind', async () => {
    const controller = new AbortController();
    const analysis = analyzeBigKeys({ endpoint: redis.endpoint }, { rateLimit: 5000, signal: controller.signal });
    analysis.catch(() => undefined);
    await until(async () => (await keyheatClients(redis)) > 0, 'the scan to start');
    await new Promise((r) => setTimeout(r, 500));
    const reason = new RedisFailure('cancelled', '', 'task deleted');
    const abortedAt = performance.now();
    controller.abort(reason);
    await expect(analysis).rejects.toBe(reason);
    expect(performance.now() - abortedAt).toBeLessThan(1000);
    await until(async () => (await keyheatClients(redis)) === 0, 'keyheat connections to close', 1000);
  });

  it('fails with a deadline failure after maxDurationMs', async () => {
    const started = performance.now();
    await expect(analyzeBigKeys({ endpoint: redis.endpoint }, { rateLimit: 5000, maxDurationMs: 400 })).rejects.toMatchObject({ kind: 'deadline' });
    expect(performance.now() - started).toBeLessThan(1500);
  });
});

describe('what cannot be analysed', () => {
  it('refuses a Sentinel and reports an unreachable node as a RedisFailure', async () => {
    const sentinelPort = await startSentinelPort();
    try {
      await expect(analyzeBigKeys({ endpoint: { host: '127.0.0.1', port: sentinelPort.port, tls: null, username: null, password: null } })).rejects.toMatchObject({
        kind: 'unsupported',
        message: expect.stringMatching(/is a Redis Sentinel/),
      });
    } finally {
      await sentinelPort.stop();
    }
    await expect(analyzeBigKeys({ endpoint: { host: '127.0.0.1', port: 1, tls: null, username: null, password: null } })).rejects.toMatchObject({ kind: 'unreachable' });
  });

  it('analyses a Redis with any maxmemory-policy', async () => {
    const lru = await startRedis({ policy: 'volatile-lru' });
    try {
      await seedRedis(lru, [{ name: 'big', db: 0, type: 'list', size: 5001, hits: 0 }]);
      const result = await analyzeBigKeys({ endpoint: lru.endpoint });
      expect(result.keys.map((k) => k.name)).toEqual(['big']);
    } finally {
      await lru.stop();
    }
  });
});

/** A redis-server in sentinel mode on a free port (it needs a writable config file). */
async function startSentinelPort(): Promise<{ port: number; stop: () => Promise<void> }> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'keyheat-sentinel-'));
  const config = path.join(dir, 'sentinel.conf');
  writeFileSync(config, 'sentinel monitor m 127.0.0.1 1 1\n');
  const port = await freePort();
  const child = spawn('redis-server', [config, '--sentinel', '--port', String(port), '--bind', '127.0.0.1'], { stdio: 'ignore' });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const endpoint: RedisEndpoint = { host: '127.0.0.1', port, tls: null, username: null, password: null };
  await until(async () => {
    try {
      const probe = await RespConnection.connect(endpoint, redisAccess({ connectTimeoutMs: 500 }));
      probe.close();
      return true;
    } catch {
      return false;
    }
  }, 'the sentinel to start');
  return {
    port,
    stop: async () => {
      child.kill('SIGKILL');
      await exited;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

describe('pacing', () => {
  let redis: RedisServer;
  beforeAll(async () => {
    redis = await startRedis();
    const connection = await redis.connect();
    try {
      await fillColdKeys(connection, 20_000, 'pace');
      await connection.call(['RPUSH', 'queue', 'a', 'b']);
    } finally {
      connection.close();
    }
  });
  afterAll(async () => redis?.stop());

  it("takes its own size commands for its own, and reads an idle node at full speed", async () => {
    const result = await analyzeBigKeys({ endpoint: redis.endpoint });
    const node = result.stats.nodes[0]!;
    expect(node.trafficSeen).toBe(false);
    expect(node.longestBlockUs).not.toBeNull();
    expect(node.cpuShare).not.toBeNull();
  });

  it("still sees other clients whose traffic is the same size commands (LLEN), and paces for them", async () => {
    // Another process polls LLEN, as a queue consumer does, all through the scan.
    const load = spawn('redis-benchmark', ['-h', '127.0.0.1', '-p', String(redis.port), '-c', '1', '-n', '100000000', '-q', 'llen', 'queue'], { stdio: 'ignore' });
    try {
      await new Promise((r) => setTimeout(r, 300));
      const result = await analyzeBigKeys({ endpoint: redis.endpoint }, { rateLimit: 20_000 });
      expect(result.stats.nodes[0]!.trafficSeen).toBe(true);
    } finally {
      load.kill();
    }
  });
});
