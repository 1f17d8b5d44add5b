/**
 * The snapshot strategy (engine/snapshot-analysis.ts) against real redis-server processes (7.0):
 * one RDB per node, read the way a replica reads it, must give what the paced SCAN gives: the
 * same hot keys (name, db, type, size; counter within one), the same keys counted, the same big
 * keys and per-type totals, over several databases, every type in its compact and its big
 * encoding, TTLs, and keys already expired but still in memory (active expiry off). Then a
 * 3-primary cluster (shards), reading a replica (its own counters), and the refusals before any
 * fork: an ACL without +sync, too little free memory, a policy without LFU counters.
 * Servers run with lfu-log-factor 0 and lfu-decay-time 0 (one access adds exactly one, no decay)
 * and repl-diskless-sync-delay 0 (no 5 s wait before the fork).
 * Snapshots run before scans: on Redis < 7.2 a scan's size probes touch the keys they read.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { analyzeBigKeys, type BigKeyAnalysis } from '../../src/engine/analyze-bigkeys.js';
import { analyzeDeployment, type AnalysisResult } from '../../src/engine/analyze-deployment.js';
import type { HotKey } from '../../src/domain/hot-key.js';
import type { GroupHeat, PrefixHeat } from '../../src/domain/insights.js';
import type { RedisEndpoint } from '../../src/domain/instance.js';
import { RedisFailure } from '../../src/domain/redis-failure.js';
import { redisAccess } from '../../src/redis/redis-access.js';
import type { Arg } from '../../src/redis/resp-connection.js';
import { keysOnNode, startCluster, type RedisCluster } from '../helpers/redis-cluster.js';
import { startRedis, type RedisServer } from '../helpers/redis-server.js';
import { infoText, redisLike, startStub } from '../helpers/resp-stub.js';

const NO_DELAY = ['--repl-diskless-sync-delay', '0'];

const range = <T>(n: number, f: (i: number) => T): T[] => Array.from({ length: n }, (_, i) => f(i));

async function run(redis: RedisServer, commands: Arg[][], db = 0): Promise<void> {
  const connection = await redis.connect();
  try {
    await connection.call(['SELECT', db]);
    for (let i = 0; i < commands.length; i += 2000) await connection.pipeline(commands.slice(i, i + 2000));
  } finally {
    connection.close();
  }
}

/** `times` copies of a read command. */
const reads = (times: number, command: Arg[]): Arg[][] => Array.from({ length: times }, () => command);

async function until(check: () => Promise<boolean>, what: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function infoField(redis: RedisServer, section: string, field: string): Promise<string | undefined> {
  const text = String(await redis.command(['INFO', section]));
  return new RegExp(`^${field}:(.*)$`, 'm').exec(text)?.[1]?.trim();
}

/** Namespaces, ties in heat in no particular order: by name. */
const byPrefix = (prefixes: readonly PrefixHeat[]): PrefixHeat[] => [...prefixes].sort((a, b) => a.prefix.localeCompare(b.prefix));

const id = (k: { db: number; name: string; shard?: string }): string => `${k.shard ?? ''}/${k.db}:${k.name}`;

/** The two strategies' hot keys: the same keys, names, types and sizes, counters within one. */
function expectSameHotKeys(snapshot: readonly HotKey[], scan: readonly HotKey[]): void {
  const shape = (keys: readonly HotKey[]): string[] => keys.map((k) => JSON.stringify([id(k), k.type, k.size, k.unit, k.nameBase64 ?? null])).sort();
  expect(shape(snapshot)).toEqual(shape(scan));
  const scanned = new Map(scan.map((k) => [id(k), k.freq]));
  for (const key of snapshot) expect(Math.abs(key.freq - (scanned.get(id(key)) as number)), id(key)).toBeLessThanOrEqual(1);
}

describe('standalone, LFU, several databases, every type and encoding', () => {
  let redis: RedisServer;
  /** db:name -> OBJECT FREQ before any analysis, for every key read at least once and not expired. */
  const counters = new Map<string, number>();
  const expired = ['0:gone:hot', '0:gone:big', '2:gone:set'];
  let liveKeys = 0;
  let snapshotHot: AnalysisResult;
  let snapshotBig: BigKeyAnalysis;
  let scanHot: AnalysisResult;
  let scanBig: BigKeyAnalysis;
  let forksBefore: number;

  beforeAll(async () => {
    redis = await startRedis({ lfuLogFactor: 0, lfuDecayTime: 0, databases: 16, extraArgs: [...NO_DELAY, '--enable-debug-command', 'yes'] });
    // Expired keys stay in memory (and in the RDB) until something touches them.
    await redis.command(['DEBUG', 'SET-ACTIVE-EXPIRE', '0']);
    const db0: Arg[][] = [
      ['SET', 'str:embstr', 'hello'],
      ['SET', 'str:int', '123456'],
      ['SET', 'str:negint', '-987'],
      ['SET', 'str:raw', 'r'.repeat(300)],
      ['SET', 'str:long', 'x'.repeat(20_000)],
      ['SET', 'str:ttl', 'y'.repeat(12_000), 'EX', 1000],
      ['SET', Buffer.from([0xff, 0xfe, 0x3a, 0x68]), 'binary name'],
      ['RPUSH', 'list:small', 'a', 'b', 'c'],
      ['RPUSH', 'list:big', ...range(6000, (i) => `element-${i}`)],
      ['SADD', 'set:intset', ...range(50, (i) => String(i * 3))],
      ['SADD', 'set:strings', ...range(100, (i) => `member-${i}`)],
      ['SADD', 'set:big', ...range(5001, (i) => `m${i}`)],
      ['ZADD', 'zset:small', '1', 'a', '2.5', 'b', '3', 'c'],
      ['ZADD', 'zset:skiplist', ...range(300, (i) => [String(i / 7), `zm-${i}`]).flat()],
      ['HSET', 'hash:small', 'f1', 'v1', 'f2', '2'],
      ['HSET', 'hash:big', ...range(6000, (i) => [`field-${i}`, `value-${i}`]).flat()],
      ['HSET', 'hash:ttl', 'a', '1', 'b', '2'],
      ['EXPIRE', 'hash:ttl', 5000],
      ['XADD', 'stream:s', '1-1', 'f', 'v'],
      ['XADD', 'stream:s', '1-2', 'f', 'v'],
      ['XADD', 'stream:s', '1-3', 'f', 'v'],
      ...range(200, (i): Arg[] => ['SET', `cold:${i}`, `v${i}`]),
      // Soon expired: hot and big while they lived.
      ['SET', 'gone:hot', 'v'],
      ['SET', 'gone:big', 'g'.repeat(30_000)],
    ];
    await run(redis, db0);
    await run(redis, [
      ...reads(40, ['GET', 'str:embstr']),
      ...reads(25, ['GET', 'str:int']),
      ...reads(9, ['GET', 'str:raw']),
      ...reads(3, ['STRLEN', 'str:long']),
      ...reads(14, ['GET', 'str:ttl']),
      ...reads(6, ['GET', Buffer.from([0xff, 0xfe, 0x3a, 0x68])]),
      ...reads(10, ['LINDEX', 'list:small', 0]),
      ...reads(2, ['LLEN', 'list:big']),
      ...reads(17, ['SISMEMBER', 'set:intset', '3']),
      ...reads(11, ['SISMEMBER', 'set:strings', 'member-1']),
      ...reads(8, ['ZSCORE', 'zset:small', 'a']),
      ...reads(19, ['ZSCORE', 'zset:skiplist', 'zm-1']),
      ...reads(33, ['HGET', 'hash:small', 'f1']),
      ...reads(5, ['HGET', 'hash:big', 'field-1']),
      ...reads(7, ['HGET', 'hash:ttl', 'a']),
      ...reads(4, ['XLEN', 'stream:s']),
      ...reads(60, ['GET', 'gone:hot']),
      ...reads(50, ['STRLEN', 'gone:big']),
    ]);
    await run(
      redis,
      [
        ['HSET', 'db2:hash', 'a', '1', 'b', '2', 'c', '3'],
        ['RPUSH', 'db2:list', ...range(200, (i) => String(i))],
        ['ZADD', 'db2:zset:big', ...range(5002, (i) => [String(i), `z${i}`]).flat()],
        ['SADD', 'gone:set', 'a', 'b'],
        ['SET', 'db2:ttl', '42', 'PX', 3_600_000],
        ...reads(12, ['HGET', 'db2:hash', 'a']),
        ...reads(22, ['LINDEX', 'db2:list', 0]),
        ...reads(1, ['ZCARD', 'db2:zset:big']),
        ...reads(30, ['SCARD', 'gone:set']),
        ...reads(16, ['GET', 'db2:ttl']),
      ],
      2,
    );
    await run(redis, [['SET', 'db9:int', '77'], ...reads(21, ['GET', 'db9:int']), ['SET', 'db9:cold', 'v']], 9);
    // Counters of the hot keys now (OBJECT FREQ touches nothing), before the expiring keys expire.
    const live: Record<number, (string | Buffer)[]> = {
      0: ['str:embstr', 'str:int', 'str:raw', 'str:long', 'str:ttl', Buffer.from([0xff, 0xfe, 0x3a, 0x68]), 'list:small', 'list:big', 'set:intset', 'set:strings', 'zset:small', 'zset:skiplist', 'hash:small', 'hash:big', 'hash:ttl', 'stream:s'],
      2: ['db2:hash', 'db2:list', 'db2:zset:big', 'db2:ttl'],
      9: ['db9:int'],
    };
    for (const [db, names] of Object.entries(live)) {
      for (const name of names) counters.set(`${db}:${name.toString()}`, (await redis.command(['OBJECT', 'FREQ', name], Number(db))) as number);
    }
    await run(redis, [['PEXPIRE', 'gone:hot', 50], ['PEXPIRE', 'gone:big', 50]]);
    await run(redis, [['PEXPIRE', 'gone:set', 50]], 2);
    await new Promise((r) => setTimeout(r, 200));
    // Expired but still there: DBSIZE counts them.
    liveKeys = Number(await redis.command(['DBSIZE'])) + Number(await redis.command(['DBSIZE'], 2)) + Number(await redis.command(['DBSIZE'], 9)) - expired.length;
    forksBefore = Number(await infoField(redis, 'stats', 'total_forks'));
    snapshotHot = await analyzeDeployment({ endpoint: redis.endpoint }, { strategy: 'snapshot', topK: 1000 });
    snapshotBig = await analyzeBigKeys({ endpoint: redis.endpoint }, { strategy: 'snapshot' });
    scanHot = await analyzeDeployment({ endpoint: redis.endpoint }, { topK: 1000 });
    scanBig = await analyzeBigKeys({ endpoint: redis.endpoint });
  }, 60_000);
  afterAll(async () => redis?.stop());

  it('finds the same hot keys as the scan, with the counters the server reports', () => {
    expect(snapshotHot.mode).toBe('single');
    expectSameHotKeys(snapshotHot.keys, scanHot.keys);
    // Every key read at least once, none of the expired ones, with its exact counter.
    expect(new Map(snapshotHot.keys.map((k) => [`${k.db}:${k.nameBase64 === undefined ? k.name : Buffer.from(k.nameBase64, 'base64').toString()}`, k.freq]))).toEqual(counters);
    expect(snapshotHot.keys.map((k) => k.freq)).toEqual([...snapshotHot.keys.map((k) => k.freq)].sort((a, b) => b - a));
    const byName = new Map(snapshotHot.keys.map((k) => [`${k.db}:${k.name}`, k]));
    expect(byName.get('0:str:int')).toMatchObject({ type: 'string', size: 6, unit: 'byte' });
    expect(byName.get('0:str:long')).toMatchObject({ type: 'string', size: 20_000, unit: 'byte' });
    expect(byName.get('0:set:intset')).toMatchObject({ type: 'set', size: 50, unit: 'count' });
    expect(byName.get('0:stream:s')).toMatchObject({ type: 'stream', size: 3, unit: 'count' });
    expect(byName.get('2:db2:zset:big')).toMatchObject({ type: 'zset', size: 5002 });
    expect(byName.get('0:\\xff\\xfe:h')).toMatchObject({ nameBase64: Buffer.from([0xff, 0xfe, 0x3a, 0x68]).toString('base64') });
    for (const name of expired) expect(byName.has(name), name).toBe(false);
  });

  it('says the same of the LFU settings, namespaces and databases as the scan', () => {
    expect(snapshotHot.insights.lfu).toEqual(scanHot.insights.lfu);
    expect(byPrefix(snapshotHot.insights.prefixes)).toEqual(byPrefix(scanHot.insights.prefixes));
    expect(snapshotHot.insights.databases).toEqual(scanHot.insights.databases);
    expect(snapshotHot.insights.databases?.map((d) => [d.db, d.scannedKeys])).toEqual([
      [0, liveKeys - 6],
      [2, 4],
      [9, 2],
    ]);
    const own = (codes: readonly { code: string }[]): string[] => codes.map((a) => a.code).filter((c) => !c.startsWith('snapshot-'));
    expect(own(snapshotHot.insights.advice)).toEqual(own(scanHot.insights.advice));
  });

  it('counts the same keys as the scan, and what it cost the node', () => {
    expect(snapshotHot.stats.scannedKeys).toBe(scanHot.stats.scannedKeys);
    expect(snapshotHot.stats.scannedKeys).toBe(liveKeys);
    // Expired keys are not vanished keys: SCAN never returns them either; the snapshot report counts them.
    expect(snapshotHot.stats.vanishedKeys).toBe(0);
    expect(snapshotHot.insights.snapshot?.nodes[0]?.expiredKeys).toBe(expired.length);
    const nodes = snapshotHot.insights.snapshot?.nodes ?? [];
    expect(snapshotHot.insights.snapshot?.source).toBe('live');
    expect(nodes).toHaveLength(1);
    const node = nodes[0]!;
    expect(node).toMatchObject({ node: `127.0.0.1:${redis.port}`, role: 'primary', protocol: 'rdb-only', rdbVersion: 10, keys: liveKeys + expired.length, expiredKeys: expired.length, moduleKeys: 0, replicaSkipped: null });
    expect(node.shard).toBeUndefined();
    expect(node.rdbBytes).toBeGreaterThan(100_000);
    expect(typeof node.forkUsec).toBe('number');
    expect(node.forkUsec).toBeGreaterThanOrEqual(0);
    expect(typeof node.cowBytes).toBe('number');
    expect(node.transferMs).toBeGreaterThanOrEqual(0);
    expect(node.waitMs).toBeLessThan(4000); // no repl-diskless-sync-delay wait
    expect(snapshotHot.insights.advice.map((a) => a.code)).toContain('snapshot-cost');
    expect(snapshotHot.insights.advice.map((a) => a.code)).not.toContain('snapshot-replica-counters');
    // One fork per snapshot (hot, then big), none for the scans: and only what the snapshots caused.
    expect(snapshotBig.snapshot?.nodes).toEqual([expect.objectContaining({ protocol: 'rdb-only', keys: liveKeys + expired.length, expiredKeys: expired.length })]);
  });

  it('finds the same big keys and per-type totals as the scan', async () => {
    const shape = (r: BigKeyAnalysis): unknown[] => r.keys.map((k) => [k.name, k.db, k.type, k.size, k.unit, k.nameBase64 ?? null]);
    expect(shape(snapshotBig)).toEqual(shape(scanBig));
    expect(snapshotBig.keys.map((k) => k.name)).toEqual(['str:long', 'str:ttl', 'list:big', 'set:big', 'db2:zset:big', 'hash:big']);
    const totals = (r: BigKeyAnalysis): unknown[] => r.types.map((t) => ({ type: t.type, keys: t.keys, totalSize: t.totalSize, unit: t.unit, bigKeys: t.bigKeys, largest: t.largest }));
    expect(totals(snapshotBig)).toEqual(totals(scanBig));
    expect(snapshotBig.types.reduce((sum, t) => sum + t.keys, 0)).toBe(liveKeys);
    expect(snapshotBig.stats.scannedKeys).toBe(scanBig.stats.scannedKeys);
    // TTLs from the RDB's expiry, as PTTL gives them.
    const ttl = (r: BigKeyAnalysis, name: string): number | undefined => r.keys.find((k) => k.name === name)?.ttl;
    expect(ttl(snapshotBig, 'str:long')).toBe(-1);
    expect(Math.abs((ttl(snapshotBig, 'str:ttl') as number) - (ttl(scanBig, 'str:ttl') as number))).toBeLessThanOrEqual(2);
    expect(ttl(snapshotBig, 'str:ttl')).toBeGreaterThan(900);
    expect(snapshotBig.keys.some((k) => k.name.startsWith('gone:'))).toBe(false);
    expect(snapshotBig.prefixes).toEqual(scanBig.prefixes);
    expect(snapshotBig.advice.map((a) => a.code)).toContain('snapshot-cost');
    expect(Number(await infoField(redis, 'stats', 'total_forks'))).toBe(forksBefore + 2);
  });
});

describe('a 3-primary cluster', () => {
  let cluster: RedisCluster;
  let snapshot: AnalysisResult;
  let scan: AnalysisResult;
  let snapshotBig: BigKeyAnalysis;
  let scanBig: BigKeyAnalysis;

  beforeAll(async () => {
    cluster = await startCluster({ primaries: 3, lfuLogFactor: 0, lfuDecayTime: 0, extraArgs: NO_DELAY });
    for (let node = 0; node < 3; node++) {
      const names = await keysOnNode(cluster, node, `n${node}:`, 6);
      const server = cluster.nodes[node] as RedisServer;
      await run(server, [
        ['SET', names[0] as string, 'v'],
        ['RPUSH', names[1] as string, ...range(10 + node, String)],
        ['HSET', names[2] as string, 'a', '1'],
        ['ZADD', names[3] as string, '1', 'a', '2', 'b'],
        ['SADD', names[4] as string, ...range(5001 + node, String)],
        ['SET', names[5] as string, 'never read'],
        ...reads(10 + node * 7, ['GET', names[0] as string]),
        ...reads(3 + node, ['LLEN', names[1] as string]),
        ...reads(20 - node, ['HGET', names[2] as string, 'a']),
        ...reads(6 + node * 2, ['ZCARD', names[3] as string]),
        ...reads(1 + node, ['SCARD', names[4] as string]),
      ]);
    }
    const seed: RedisEndpoint = (cluster.nodes[0] as RedisServer).endpoint;
    snapshot = await analyzeDeployment({ endpoint: seed }, { strategy: 'snapshot', topK: 1000 });
    scan = await analyzeDeployment({ endpoint: seed }, { topK: 1000 });
    snapshotBig = await analyzeBigKeys({ endpoint: seed }, { strategy: 'snapshot' });
    scanBig = await analyzeBigKeys({ endpoint: seed });
  }, 60_000);
  afterAll(async () => cluster?.stop());

  it('finds the same top keys as the scan, each under the primary that owns it', async () => {
    expect(snapshot.mode).toBe('cluster');
    expect(snapshot.keys).toHaveLength(15);
    expectSameHotKeys(snapshot.keys, scan.keys);
    for (const key of snapshot.keys) expect(key.shard, key.name).toBe(cluster.announced[await cluster.ownerOf(key.name)]);
    expect(snapshot.stats.scannedKeys).toBe(scan.stats.scannedKeys);
    expect(snapshot.stats.scannedKeys).toBe(18);
    // In the order the shards were read (the scan reads them in parallel): compared by shard.
    const byShard = (groups: readonly GroupHeat[] | undefined): GroupHeat[] => [...(groups ?? [])].sort((a, b) => (a.shard ?? '').localeCompare(b.shard ?? ''));
    expect(byShard(snapshot.insights.shards)).toEqual(byShard(scan.insights.shards));
    expect(byPrefix(snapshot.insights.prefixes)).toEqual(byPrefix(scan.insights.prefixes));
  });

  it('finds the same big keys and totals as the scan, each under its shard', async () => {
    const shape = (r: BigKeyAnalysis): unknown[] => r.keys.map((k) => [k.name, k.shard, k.type, k.size]);
    expect(shape(snapshotBig)).toEqual(shape(scanBig));
    expect(snapshotBig.keys.map((k) => k.size)).toEqual([5003, 5002, 5001]);
    for (const key of snapshotBig.keys) expect(key.shard).toBe(cluster.announced[await cluster.ownerOf(key.name)]);
    const totals = (r: BigKeyAnalysis): unknown[] => r.types.map((t) => [t.type, t.keys, t.totalSize, t.bigKeys]);
    expect(totals(snapshotBig)).toEqual(totals(scanBig));
    expect(snapshotBig.snapshot?.nodes).toHaveLength(3);
  });

  it('reads one RDB per primary', () => {
    const nodes = snapshot.insights.snapshot?.nodes ?? [];
    expect(nodes).toHaveLength(3);
    expect(nodes.map((n) => n.node).sort()).toEqual([...cluster.announced].sort());
    for (const node of nodes) {
      expect(node).toMatchObject({ role: 'primary', protocol: 'rdb-only', keys: 6, expiredKeys: 0 });
      expect(node.shard).toBe(node.node);
      expect(node.rdbBytes).toBeGreaterThan(0);
      expect(typeof node.forkUsec).toBe('number');
    }
  });
});

describe('a cluster with a replica per primary (snapshotReplicas)', () => {
  let cluster: RedisCluster;

  beforeAll(async () => {
    cluster = await startCluster({ primaries: 3, replicasPerPrimary: 1, lfuLogFactor: 0, lfuDecayTime: 0, extraArgs: NO_DELAY });
    // startCluster may return before every node sees the replicas as replicas: wait for that, and their links.
    await until(async () => (await cluster.topology()).replicas.length === 3, 'the seed to see 3 replicas', 20_000);
    const topology = await cluster.topology();
    for (const replica of topology.replicas) {
      const server = cluster.nodes[cluster.announced.indexOf(replica.address)] as RedisServer;
      await until(async () => (await infoField(server, 'replication', 'master_link_status')) === 'up', `${replica.address} to sync`, 20_000);
    }
    expect(topology.primaries.filter((p) => p.slots.length > 0)).toHaveLength(3);
    for (const [i, primary] of topology.primaries.filter((p) => p.slots.length > 0).entries()) {
      const node = cluster.announced.indexOf(primary.address);
      const [name] = await keysOnNode(cluster, node, `c${i}:`, 1);
      await run(cluster.nodes[node] as RedisServer, [['SET', name as string, 'v'], ['WAIT', 1, 5000]]);
    }
    // Reads on the replicas count on the replicas.
    for (const replica of topology.replicas) {
      const server = cluster.nodes[cluster.announced.indexOf(replica.address)] as RedisServer;
      const connection = await server.connect();
      try {
        await connection.call(['READONLY']);
        const names = (await connection.call(['KEYS', '*'])) as Buffer[];
        expect(names).toHaveLength(1);
        await connection.pipeline(reads(12, ['GET', names[0] as Buffer]));
      } finally {
        connection.close();
      }
    }
  }, 60_000);
  afterAll(async () => cluster?.stop());

  it('reads one replica per shard, each key under its primary', async () => {
    const result = await analyzeDeployment({ endpoint: (cluster.nodes[0] as RedisServer).endpoint }, { strategy: 'snapshot', snapshotReplicas: true });
    const topology = await cluster.topology();
    const nodes = result.insights.snapshot?.nodes ?? [];
    expect(nodes.map((n) => n.node).sort()).toEqual(topology.replicas.map((r) => r.address).sort());
    for (const node of nodes) {
      expect(node).toMatchObject({ role: 'replica', keys: 1, replicaSkipped: null });
      expect(node.shard).toBe(topology.primaries.find((p) => p.id === topology.replicas.find((r) => r.address === node.node)?.primaryId)?.address);
    }
    expect(result.keys).toHaveLength(3);
    for (const key of result.keys) {
      expect(key.freq).toBe(17);
      expect(key.shard).toBe(cluster.announced[await cluster.ownerOf(key.name)]);
    }
    expect(result.insights.advice.map((a) => a.code)).toContain('snapshot-replica-counters');
  });
});

describe('reading a replica (snapshotReplicas)', () => {
  let primary: RedisServer;
  let replica: RedisServer;

  beforeAll(async () => {
    primary = await startRedis({ lfuLogFactor: 0, lfuDecayTime: 0, extraArgs: NO_DELAY });
    await run(primary, [['SET', 'read:on-primary', 'v'], ['SET', 'read:on-replica', 'v'], ['HSET', 'cold', 'a', '1']]);
    // The replica forks for the snapshot: it needs no delay either.
    replica = await startRedis({ lfuLogFactor: 0, lfuDecayTime: 0, extraArgs: [...NO_DELAY, '--replicaof', '127.0.0.1', String(primary.port)] });
    await until(async () => (await infoField(replica, 'replication', 'master_link_status')) === 'up', 'the replica to sync');
    await until(async () => String(await primary.command(['INFO', 'replication'])).includes(`port=${replica.port},state=online`), 'the primary to list its replica');
    // Once in sync (the full sync carried the primary's counters over), reads count where they are served.
    await run(primary, reads(20, ['GET', 'read:on-primary']));
    await run(replica, reads(30, ['GET', 'read:on-replica']));
  }, 60_000);
  afterAll(async () => {
    await replica?.stop();
    await primary?.stop();
  });

  it('reads the replica\u2019s RDB, with the replica\u2019s counters, and says so', async () => {
    // With the fewest connections allowed (2): the node read and its transfer.
    const result = await analyzeDeployment({ endpoint: primary.endpoint }, { strategy: 'snapshot', snapshotReplicas: true, redis: redisAccess({ maxConnections: 2 }), maxDurationMs: 15_000 });
    expect(result.insights.snapshot?.nodes).toEqual([expect.objectContaining({ node: `127.0.0.1:${replica.port}`, role: 'replica', replicaSkipped: null, keys: 3 })]);
    expect(result.insights.snapshot?.nodes[0]?.role).toBe('replica');
    expect(result.keys.map((k) => [k.name, k.freq])).toEqual([['read:on-replica', 35]]);
    expect(result.insights.advice.map((a) => a.code)).toContain('snapshot-replica-counters');
  });

  it('reads the primary instead of a replica whose own policy has no LFU counters, saying why, and never forks the replica', async () => {
    const forks = Number(await infoField(replica, 'stats', 'total_forks'));
    await replica.command(['CONFIG', 'SET', 'maxmemory-policy', 'allkeys-lru']);
    try {
      const result = await analyzeDeployment({ endpoint: primary.endpoint }, { strategy: 'snapshot', snapshotReplicas: true });
      const node = result.insights.snapshot?.nodes[0];
      expect(node).toMatchObject({ node: `127.0.0.1:${primary.port}`, role: 'primary' });
      expect(node?.replicaSkipped).toMatch(new RegExp(`replica 127\\.0\\.0\\.1:${replica.port} has maxmemory-policy allkeys-lru.*the primary was read`));
      // The primary's counters, not the replica's.
      expect(result.keys.map((k) => [k.name, k.freq])).toEqual([['read:on-primary', 25]]);
      expect(result.insights.advice.map((a) => a.code)).not.toContain('snapshot-replica-counters');
    } finally {
      await replica.command(['CONFIG', 'SET', 'maxmemory-policy', 'allkeys-lfu']);
    }
    expect(Number(await infoField(replica, 'stats', 'total_forks'))).toBe(forks);
  });

  it('reads the replica for big keys by default (preferReplicas)', async () => {
    const result = await analyzeBigKeys({ endpoint: primary.endpoint }, { strategy: 'snapshot', thresholds: { stringBytes: 0, collectionCount: 0, perType: 10 } });
    expect(result.snapshot?.nodes).toEqual([expect.objectContaining({ node: `127.0.0.1:${replica.port}`, role: 'replica', keys: 3 })]);
    expect(result.stats.nodes).toEqual([expect.objectContaining({ node: `127.0.0.1:${replica.port}`, role: 'replica', replicaSkipped: null, scannedKeys: 3 })]);
    expect(result.keys.map((k) => k.name).sort()).toEqual(['cold', 'read:on-primary', 'read:on-replica']);
  });

  it('reads the primary without snapshotReplicas', async () => {
    const result = await analyzeDeployment({ endpoint: primary.endpoint }, { strategy: 'snapshot' });
    expect(result.insights.snapshot?.nodes).toEqual([expect.objectContaining({ node: `127.0.0.1:${primary.port}`, role: 'primary' })]);
    expect(result.keys.map((k) => [k.name, k.freq])).toEqual([['read:on-primary', 25]]);
    expect(result.insights.advice.map((a) => a.code)).not.toContain('snapshot-replica-counters');
  });
});

describe('refusals, before any fork', () => {
  let redis: RedisServer;
  let lru: RedisServer;

  beforeAll(async () => {
    redis = await startRedis({ extraArgs: NO_DELAY });
    lru = await startRedis({ policy: 'allkeys-lru', extraArgs: NO_DELAY });
    await run(redis, [['SET', 'k', 'v'], ...reads(10, ['GET', 'k'])]);
    await run(lru, [['RPUSH', 'big', ...range(5001, String)]]);
    await redis.command(['ACL', 'SETUSER', 'limited', 'on', '>pw', '~*', '+@all', '-sync']);
  });
  afterAll(async () => {
    await redis?.stop();
    await lru?.stop();
  });

  async function forks(server: RedisServer): Promise<number> {
    return Number(await infoField(server, 'stats', 'total_forks'));
  }

  it('refuses a user without +sync as no-permission, saying how to allow it; the scan needs no such permission', async () => {
    const before = await forks(redis);
    const limited: RedisEndpoint = { ...redis.endpoint, username: 'limited', password: 'pw' };
    const failure = await analyzeDeployment({ endpoint: limited }, { strategy: 'snapshot' }).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(RedisFailure);
    expect(failure).toMatchObject({ kind: 'no-permission', message: expect.stringMatching(/SYNC.*\+sync/) });
    expect(await forks(redis)).toBe(before);
    const scanned = await analyzeDeployment({ endpoint: limited });
    expect(scanned.keys.map((k) => k.name)).toEqual(['k']);
  });

  it('refuses a node whose memory would not fit a fork\u2019s worst case as unsupported', async () => {
    const before = await forks(redis);
    await expect(analyzeDeployment({ endpoint: redis.endpoint }, { strategy: 'snapshot', snapshotMaxMemoryShare: 1e-9 })).rejects.toMatchObject({
      kind: 'unsupported',
      message: expect.stringMatching(/max_memory_share/),
    });
    await expect(analyzeBigKeys({ endpoint: redis.endpoint }, { strategy: 'snapshot', snapshotMaxMemoryShare: 1e-9 })).rejects.toMatchObject({ kind: 'unsupported' });
    expect(await forks(redis)).toBe(before);
  });

  it('refuses a node where SYNC is renamed away, and what a snapshot cannot do', async () => {
    const renamed = await startRedis({ extraArgs: [...NO_DELAY, '--rename-command', 'SYNC', ''] });
    try {
      await expect(analyzeDeployment({ endpoint: renamed.endpoint }, { strategy: 'snapshot' })).rejects.toMatchObject({ kind: 'unsupported', message: expect.stringMatching(/does not offer SYNC/) });
      expect(await forks(renamed)).toBe(0);
    } finally {
      await renamed.stop();
    }
    await expect(analyzeDeployment({ endpoint: redis.endpoint }, { strategy: 'snapshot', pattern: 'k*' })).rejects.toMatchObject({ kind: 'unsupported', message: expect.stringMatching(/scan strategy only/) });
    await expect(analyzeBigKeys({ endpoint: redis.endpoint }, { strategy: 'snapshot', memoryUsage: true })).rejects.toMatchObject({ kind: 'unsupported', message: expect.stringMatching(/scan strategy only/) });
  });

  it('never forks a server whose RDB format keyheat does not know (a newer release than it reads)', async () => {
    const future = await startStub(redisLike(undefined, infoText({ redis_version: '8.8.0' })));
    const futureValkey = await startStub(redisLike(undefined, infoText({ redis_version: '7.2.4', server_name: 'valkey', valkey_version: '9.4.0' })));
    try {
      for (const [stub, named] of [
        [future, /runs Redis 8\.8\.0, whose RDB format keyheat does not know/],
        [futureValkey, /runs Valkey 9\.4\.0, whose RDB format keyheat does not know/],
      ] as const) {
        const endpoint: RedisEndpoint = { host: stub.host, port: stub.port, tls: null, username: null, password: null };
        await expect(analyzeBigKeys({ endpoint }, { strategy: 'snapshot' })).rejects.toMatchObject({ kind: 'unsupported', message: expect.stringMatching(named) });
        await expect(analyzeDeployment({ endpoint }, { strategy: 'snapshot' })).rejects.toMatchObject({ kind: 'unsupported', message: expect.stringMatching(named) });
        expect(stub.commands.filter((c) => c[0] === 'SYNC' || c[0] === 'REPLCONF')).toEqual([]);
      }
      // The same servers are scanned as usual.
      await expect(analyzeBigKeys({ endpoint: { host: future.host, port: future.port, tls: null, username: null, password: null } })).resolves.toMatchObject({ mode: 'single' });
    } finally {
      await future.close();
      await futureValkey.close();
    }
  });

  it('refuses hot keys from a node without an LFU policy, but reads its big keys', async () => {
    const before = await forks(lru);
    await expect(analyzeDeployment({ endpoint: lru.endpoint }, { strategy: 'snapshot' })).rejects.toMatchObject({ kind: 'unsupported', message: expect.stringMatching(/allkeys-lru/) });
    expect(await forks(lru)).toBe(before);
    const big = await analyzeBigKeys({ endpoint: lru.endpoint }, { strategy: 'snapshot' });
    expect(big.keys.map((k) => [k.name, k.type, k.size])).toEqual([['big', 'list', 5001]]);
    expect(await forks(lru)).toBe(before + 1);
  });
});

describe('a larger keyspace, and a node that waits before it forks', () => {
  let redis: RedisServer;

  beforeAll(async () => {
    // The default repl-diskless-sync-delay (5 s): the node sends a newline every second while it waits.
    redis = await startRedis({ lfuLogFactor: 0, lfuDecayTime: 0, extraArgs: ['--enable-debug-command', 'yes'] });
    await redis.command(['DEBUG', 'POPULATE', '300000', 'key', '10']);
    await run(redis, [['SET', 'hot', 'v'], ...reads(9, ['GET', 'hot'])], 1);
  });
  afterAll(async () => redis?.stop());

  async function keyheatClients(): Promise<number> {
    return String(await redis.command(['CLIENT', 'LIST'])).split('\n').filter((line) => / name=keyheat /.test(line)).length;
  }

  it('is cancelled while the node waits to fork, and no fork happens', async () => {
    const forks = Number(await infoField(redis, 'stats', 'total_forks'));
    const controller = new AbortController();
    const reason = new RedisFailure('cancelled', '', 'task deleted');
    const running = analyzeDeployment({ endpoint: redis.endpoint }, { strategy: 'snapshot', signal: controller.signal });
    running.catch(() => undefined);
    await until(async () => Number(await infoField(redis, 'replication', 'connected_slaves')) > 0, 'the snapshot to be asked for', 5000);
    await new Promise((r) => setTimeout(r, 300));
    const abortedAt = performance.now();
    controller.abort(reason);
    await expect(running).rejects.toBe(reason);
    expect(performance.now() - abortedAt).toBeLessThan(2000);
    await until(async () => (await keyheatClients()) === 0 && Number(await infoField(redis, 'replication', 'connected_slaves')) === 0, 'keyheat to leave', 3000);
    // Past the delay: the node forks for nobody.
    await new Promise((r) => setTimeout(r, 5500));
    expect(Number(await infoField(redis, 'stats', 'total_forks'))).toBe(forks);
  }, 20_000);

  it('keeps waiting through the keepalives, then reads every key', async () => {
    const progress: number[] = [];
    const result = await analyzeDeployment(
      { endpoint: redis.endpoint },
      { strategy: 'snapshot', snapshotStallMs: 2500, onProgress: (nodes) => progress.push(nodes[0]?.scannedKeys ?? -1) },
    );
    const node = result.insights.snapshot?.nodes[0];
    expect(node?.waitMs).toBeGreaterThanOrEqual(4000);
    expect(node?.keys).toBe(300_001);
    expect(result.stats.scannedKeys).toBe(300_001);
    expect(result.keys.map((k) => [k.name, k.db, k.freq])).toEqual([['hot', 1, 14]]);
    expect(result.insights.databases?.map((d) => [d.db, d.scannedKeys])).toEqual([
      [0, 300_000],
      [1, 1],
    ]);
    expect(result.stats.nodes).toEqual([expect.objectContaining({ node: `127.0.0.1:${redis.port}`, scannedKeys: 300_001, expectedKeys: 300_001 })]);
    expect(progress.length).toBeGreaterThan(5);
    expect(progress.at(-1)).toBe(300_001);
    expect(progress.every((n, i) => i === 0 || n >= (progress[i - 1] as number))).toBe(true);
  }, 20_000);

  it('totals every key of the RDB for big keys', async () => {
    await redis.command(['CONFIG', 'SET', 'repl-diskless-sync-delay', '0']);
    const result = await analyzeBigKeys({ endpoint: redis.endpoint }, { strategy: 'snapshot', thresholds: { stringBytes: 9, collectionCount: 5000, perType: 3 } });
    expect(result.types).toEqual([expect.objectContaining({ type: 'string', keys: 300_001, totalSize: 3_000_001, bigKeys: 300_000 })]);
    // Ties in size broken by name bytes, as in a scan.
    expect(result.keys.map((k) => k.name)).toEqual(['key:0', 'key:1', 'key:10']);
    expect(result.stats.scannedKeys).toBe(300_001);
  });
});

