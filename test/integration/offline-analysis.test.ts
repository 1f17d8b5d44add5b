/**
 * The offline key analysis (engine/offline-analysis.ts) against real redis-server processes
 * (7.0): keys of every type under known namespaces, in two databases, read back as the server
 * holds them, then the report of a saved RDB file, of a fresh RDB of the primary and of its
 * replica must say exactly that: the totals (DBSIZE, SCAN TYPE per type), each key's bytes in the
 * RDB (2 + its name's length + DEBUG OBJECT's serializedlength: the type byte, the name's length
 * byte and the name, the value as rdbSaveObject writes it), the largest keys and namespaces per type in order, the
 * top-N bounds; expired keys left out; the hot keys of the same pass with the counters OBJECT
 * FREQ reports; and a node that is not part of the deployment refused before any fork. Then a
 * cluster with replicas: its nodes by shard, and a replica's report.
 * Servers run with lfu-log-factor 0 and lfu-decay-time 0 (one access adds exactly one) and
 * repl-diskless-sync-delay 0. The truth is read with commands that do not touch the keys' LFU
 * counters (SCAN TYPE, DEBUG OBJECT, OBJECT FREQ).
 */
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OfflineAnalysis, OfflineReport } from '../../src/domain/offline-report.js';
import { RedisFailure } from '../../src/domain/redis-failure.js';
import { analyzeOfflineFile, analyzeOfflineNode, deploymentNodes } from '../../src/engine/offline-analysis.js';
import type { Arg } from '../../src/redis/resp-connection.js';
import { keysOnNode, startCluster, type RedisCluster } from '../helpers/redis-cluster.js';
import { startRedis, type RedisServer } from '../helpers/redis-server.js';
import { seededRandom } from '../helpers/seeded-random.js';

const NO_DELAY = ['--repl-diskless-sync-delay', '0'];
const TYPES = ['string', 'list', 'set', 'zset', 'hash', 'stream'] as const;
type KeyType = (typeof TYPES)[number];

const range = <T>(n: number, f: (i: number) => T): T[] => Array.from({ length: n }, (_, i) => f(i));

/** A key as the server holds it. */
interface Truth {
  readonly name: string;
  readonly db: number;
  readonly type: KeyType;
  /** 1 (type) + 1 (the name's length: names < 64 bytes, never compressed at <= 20 bytes) + the name + the serialized value. */
  readonly bytes: number;
  readonly numOfElem: number;
}

async function run(redis: RedisServer, commands: Arg[][], db = 0): Promise<void> {
  const connection = await redis.connect();
  try {
    await connection.call(['SELECT', db]);
    for (let i = 0; i < commands.length; i += 2000) await connection.pipeline(commands.slice(i, i + 2000));
  } finally {
    connection.close();
  }
}

async function until(check: () => Promise<boolean>, what: string, timeoutMs = 20_000): Promise<void> {
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

const forks = async (redis: RedisServer): Promise<number> => Number(await infoField(redis, 'stats', 'total_forks'));

/**
 * Every key of `db` with its type (SCAN TYPE, which does not touch keys) and its bytes in the RDB
 * (DEBUG OBJECT's serializedlength, which does not either). `elements` gives each key's element count.
 */
async function truthOf(redis: RedisServer, db: number, elements: ReadonlyMap<string, number>): Promise<Truth[]> {
  const connection = await redis.connect();
  try {
    await connection.call(['SELECT', db]);
    const keys: Truth[] = [];
    for (const type of TYPES) {
      const names: string[] = [];
      let cursor = '0';
      do {
        const [next, page] = (await connection.call(['SCAN', cursor, 'COUNT', 1000, 'TYPE', type])) as [Buffer, Buffer[]];
        cursor = next.toString();
        names.push(...page.map(String));
      } while (cursor !== '0');
      const replies = await connection.pipeline(names.map((name) => ['DEBUG', 'OBJECT', name]));
      names.forEach((name, i) => {
        const serialized = Number(/serializedlength:(\d+)/.exec(String(replies[i]))?.[1]);
        expect(name.length).toBeLessThanOrEqual(20);
        keys.push({ name, db, type, bytes: 2 + name.length + serialized, numOfElem: elements.get(`${db}:${name}`) ?? Number.NaN });
      });
    }
    return keys;
  } finally {
    connection.close();
  }
}

const ORDER: readonly string[] = TYPES;

/** The report the truth makes: DCS's fields, the largest first, ties by db then name. */
function expectedReport(truth: readonly Truth[], topKeys = 100, topPrefixes = 50): OfflineReport {
  const byType = TYPES.map((type) => [type, truth.filter((k) => k.type === type)] as const).filter(([, keys]) => keys.length > 0);
  const largestKeys = byType.flatMap(([, keys]) =>
    [...keys]
      .sort((a, b) => b.bytes - a.bytes || a.db - b.db || Buffer.compare(Buffer.from(a.name), Buffer.from(b.name)))
      .slice(0, topKeys)
      .map((k) => ({ name: k.name, type: k.type, bytes: k.bytes, numOfElem: k.numOfElem, db: k.db })),
  );
  const largestKeyPrefixes = byType.flatMap(([type, keys]) => {
    const sums = new Map<string, { bytes: number; num: number }>();
    for (const k of keys) {
      const at = k.name.indexOf(':');
      const prefix = at < 0 ? '' : k.name.slice(0, at);
      const into = sums.get(prefix) ?? { bytes: 0, num: 0 };
      into.bytes += k.bytes;
      into.num += 1;
      sums.set(prefix, into);
    }
    return [...sums]
      .sort((a, b) => b[1].bytes - a[1].bytes || b[1].num - a[1].num || (a[0] < b[0] ? -1 : 1))
      .slice(0, topPrefixes)
      .map(([keyPrefix, s]) => ({ keyPrefix, type, bytes: s.bytes, num: s.num }));
  });
  return {
    largestKeyPrefixes,
    largestKeys,
    totalBytes: truth.reduce((sum, k) => sum + k.bytes, 0),
    totalNum: truth.length,
    typeBytes: byType.map(([type, keys]) => ({ type, bytes: keys.reduce((sum, k) => sum + k.bytes, 0) })),
    typeNum: byType.map(([type, keys]) => ({ type, num: keys.length })),
  };
}

const hotOf = (analysis: OfflineAnalysis): [string, number][] => (analysis.hot?.keys ?? []).map((k) => [k.name, k.freq]);

describe('a primary with a replica: a saved file, the primary and the replica', () => {
  let primary: RedisServer;
  let replica: RedisServer;
  let dir: string;
  let dump: string;
  let truth: Truth[];
  /** The five hot keys, hottest first, with their counters on each node. */
  const HOT = ['user:str1', 'order:hash2', 'cache:list3', 'user:zset4', 'order:set5'];
  let primaryFreqs: [string, number][];
  let replicaFreqs: [string, number][];
  let fromFile: OfflineAnalysis;

  beforeAll(async () => {
    primary = await startRedis({ lfuLogFactor: 0, lfuDecayTime: 0, extraArgs: [...NO_DELAY, '--enable-debug-command', 'yes'] });
    // Expired keys stay in memory (and in the RDB) until something touches them.
    await primary.command(['DEBUG', 'SET-ACTIVE-EXPIRE', '0']);
    const random = seededRandom(11);
    const text = (n: number): string => range(n, () => String.fromCharCode(97 + Math.floor(random() * 26))).join('');
    const elements = new Map<string, number>();
    const db0: Arg[][] = [];
    const tags: Record<KeyType, string> = { string: 'str', list: 'list', set: 'set', zset: 'zset', hash: 'hash', stream: 'strm' };
    ['user', 'order', 'cache'].forEach((prefix, p) => {
      for (const type of TYPES) {
        for (let i = 0; i < 8; i++) {
          const name = `${prefix}:${tags[type]}${i}`;
          const n = 1 + ((i * 7 + p * 5) % 23);
          elements.set(`0:${name}`, type === 'string' ? 1 : n);
          if (type === 'string') db0.push(['SET', name, text(10 + ((i * 37 + p * 101) % 900))]);
          if (type === 'list') db0.push(['RPUSH', name, ...range(n, (j) => `e${j}-${text(3)}`)]);
          if (type === 'set') db0.push(['SADD', name, ...range(n, (j) => (i % 2 === 0 ? String(j * 3) : `m${j}${text(4)}`))]);
          if (type === 'zset') db0.push(['ZADD', name, ...range(n, (j) => [String(j / 3), `z${j}${text(2)}`]).flat()]);
          if (type === 'hash') db0.push(['HSET', name, ...range(n, (j) => [`f${j}`, text(1 + (j % 9))]).flat()]);
          // One entry per XADD: each touches the key, so streams stay short (the hot keys are read far more).
          if (type === 'stream') for (let j = 0; j < (elements.get(`0:${name}`) ?? 0) && j < 8; j++) db0.push(['XADD', name, `1-${j + 1}`, 'f', text(5)]);
          if (type === 'stream') elements.set(`0:${name}`, Math.min(n, 8));
        }
      }
    });
    // Other encodings: a quicklist of several nodes, hashtable set and hash, a skiplist, a long string; names without a namespace.
    const big: [string, KeyType, number, Arg[]][] = [
      ['user:biglist', 'list', 3000, ['RPUSH', 'user:biglist', ...range(3000, (j) => `item-${j}`)]],
      ['cache:bigset', 'set', 1000, ['SADD', 'cache:bigset', ...range(1000, (j) => `member-${j}`)]],
      ['order:bigzset', 'zset', 300, ['ZADD', 'order:bigzset', ...range(300, (j) => [String(j), `zm-${j}`]).flat()]],
      ['cache:bighash', 'hash', 1000, ['HSET', 'cache:bighash', ...range(1000, (j) => [`field-${j}`, `value-${j}`]).flat()]],
      ['user:bigstr', 'string', 1, ['SET', 'user:bigstr', text(20_000)]],
      ['plainA', 'string', 1, ['SET', 'plainA', text(700)]],
      ['plainlist', 'list', 2, ['RPUSH', 'plainlist', 'a', 'b']],
    ];
    for (const [name, , n, command] of big) {
      elements.set(`0:${name}`, n);
      db0.push(command);
    }
    // More strings than the report keeps per type (100).
    for (let i = 0; i < 150; i++) {
      elements.set(`0:cold:c${i}`, 1);
      db0.push(['SET', `cold:c${i}`, `v${i}`]);
    }
    await run(primary, db0);
    const db1: Arg[][] = [];
    for (let i = 0; i < 10; i++) {
      elements.set(`1:db1:k${i}`, 1);
      db1.push(['SET', `db1:k${i}`, text(50 + i * 40)]);
    }
    elements.set('1:user:str1', 3);
    db1.push(['HSET', 'user:str1', 'a', '1', 'b', '2', 'c', '3']);
    await run(primary, db1, 1);
    // The hot keys, far above what creating any key cost it.
    await run(primary, [
      ...range(60, (): Arg[] => ['GET', 'user:str1']),
      ...range(50, (): Arg[] => ['HGET', 'order:hash2', 'f0']),
      ...range(40, (): Arg[] => ['LINDEX', 'cache:list3', 0]),
      ...range(30, (): Arg[] => ['ZSCORE', 'user:zset4', 'x']),
      ...range(25, (): Arg[] => ['SISMEMBER', 'order:set5', 'x']),
    ]);
    truth = [...(await truthOf(primary, 0, elements)), ...(await truthOf(primary, 1, elements))];
    expect(truth).toHaveLength(Number(await primary.command(['DBSIZE'])) + Number(await primary.command(['DBSIZE'], 1)));
    // Expired but still there: in the RDB, left out of the report.
    await run(primary, [
      ['SET', 'gone:a', text(5000), 'PX', 50],
      ['RPUSH', 'gone:b', 'x', 'y'],
      ['PEXPIRE', 'gone:b', 50],
    ]);
    await new Promise((r) => setTimeout(r, 200));
    replica = await startRedis({ lfuLogFactor: 0, lfuDecayTime: 0, extraArgs: [...NO_DELAY, '--replicaof', '127.0.0.1', String(primary.port)] });
    await until(async () => (await infoField(replica, 'replication', 'master_link_status')) === 'up', 'the replica to sync');
    await until(async () => String(await primary.command(['INFO', 'replication'])).includes(`port=${replica.port},state=online`), 'the primary to list its replica');
    // Reads on the replica count on the replica only.
    await run(replica, range(100, (): Arg[] => ['GET', 'user:bigstr']));
    const freqs = async (server: RedisServer, names: readonly string[]): Promise<[string, number][]> =>
      Promise.all(names.map(async (name): Promise<[string, number]> => [name, Number(await server.command(['OBJECT', 'FREQ', name]))]));
    primaryFreqs = await freqs(primary, HOT);
    replicaFreqs = await freqs(replica, ['user:bigstr', ...HOT]);
    dir = mkdtempSync(path.join(os.tmpdir(), 'keyheat-offline-'));
    await primary.command(['SAVE']);
    const reply = (await primary.command(['CONFIG', 'GET', 'dir'])) as Buffer[];
    dump = path.join(dir, 'dump.rdb');
    copyFileSync(path.join((reply[1] as Buffer).toString(), 'dump.rdb'), dump);
    fromFile = await analyzeOfflineFile(dump, { topK: 5 });
  }, 120_000);

  afterAll(async () => {
    await replica?.stop();
    await primary?.stop();
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  });

  it('reports from a saved file what the server holds: totals, bytes, the largest keys and namespaces per type', async () => {
    const report = fromFile.report;
    expect(report).toEqual(expectedReport(truth));
    // The server's own counts: DBSIZE (the expired keys still count there) and SCAN TYPE.
    const dbsize = Number(await primary.command(['DBSIZE'])) + Number(await primary.command(['DBSIZE'], 1));
    expect(report.totalNum).toBe(dbsize - 2);
    expect(report.typeNum.map((t) => t.type)).toEqual(ORDER);
    expect(report.largestKeys.filter((k) => k.type === 'string')).toHaveLength(100);
    expect(report.largestKeys[0]).toMatchObject({ name: 'user:bigstr', type: 'string' });
    expect(report.largestKeys.find((k) => k.type === 'list')).toMatchObject({ name: 'user:biglist', numOfElem: 3000 });
    expect(report.largestKeys.filter((k) => k.type === 'hash').map((k) => [k.name, k.db]).slice(0, 1)).toEqual([['cache:bighash', 0]]);
    expect(report.largestKeys.find((k) => k.type === 'hash' && k.db === 1)).toMatchObject({ name: 'user:str1', numOfElem: 3 });
    expect(report.largestKeyPrefixes.filter((p) => p.type === 'list').map((p) => p.keyPrefix)).toEqual(expect.arrayContaining(['user', 'cache', 'order', '']));
    expect(report.largestKeyPrefixes.find((p) => p.type === 'list')?.keyPrefix).toBe('user');
    expect(report.largestKeyPrefixes.some((p) => p.errorBytes !== undefined)).toBe(false);
    expect(fromFile).toMatchObject({ node: dump, nodeType: null, groupName: null, mode: 'single', hotSkipped: null });
    expect(fromFile.snapshot).toMatchObject({ source: 'file', nodes: [expect.objectContaining({ role: 'file', expiredKeys: 2, keys: truth.length + 2 })] });
    // The hot keys of the same pass, with the counters the server reported.
    expect(hotOf(fromFile)).toEqual(primaryFreqs);
  });

  it('keeps at most topKeys keys and topPrefixes namespaces per type', async () => {
    const small = await analyzeOfflineFile(dump, { topKeys: 3, topPrefixes: 2 });
    expect(small.report).toEqual(expectedReport(truth, 3, 2));
    for (const type of TYPES) {
      expect(small.report.largestKeys.filter((k) => k.type === type)).toHaveLength(3);
      expect(small.report.largestKeyPrefixes.filter((p) => p.type === type).length).toBeLessThanOrEqual(2);
    }
    await expect(analyzeOfflineFile(dump, { topKeys: 501 })).rejects.toThrow(RangeError);
  });

  it('lists the deployment’s nodes', async () => {
    expect(await deploymentNodes({ endpoint: primary.endpoint })).toEqual([
      { id: `127.0.0.1:${primary.port}`, name: `127.0.0.1:${primary.port}`, groupName: 'single', role: 'master' },
      { id: `127.0.0.1:${replica.port}`, name: `127.0.0.1:${replica.port}`, groupName: 'single', role: 'slave' },
    ]);
  });

  it('reports a fresh RDB of the primary: the same report as its file, and what the fork cost', async () => {
    const before = await forks(primary);
    const result = await analyzeOfflineNode({ endpoint: primary.endpoint }, `127.0.0.1:${primary.port}`, { topK: 5 });
    expect(result.report).toEqual(fromFile.report);
    expect(result).toMatchObject({ node: `127.0.0.1:${primary.port}`, nodeType: 'master', groupName: 'single', mode: 'single', hotSkipped: null });
    expect(result.snapshot.source).toBe('live');
    expect(result.snapshot.nodes).toEqual([expect.objectContaining({ node: `127.0.0.1:${primary.port}`, role: 'primary', protocol: 'rdb-only', keys: truth.length + 2, expiredKeys: 2 })]);
    expect(typeof result.snapshot.nodes[0]?.forkUsec).toBe('number');
    expect(hotOf(result)).toEqual(primaryFreqs);
    expect(result.durationMs).toBeGreaterThanOrEqual(0);
    expect(await forks(primary)).toBe(before + 1);
  });

  it('reports a fresh RDB of the replica, forking the replica only, with the replica’s own counters', async () => {
    const [primaryBefore, replicaBefore] = [await forks(primary), await forks(replica)];
    const result = await analyzeOfflineNode({ endpoint: primary.endpoint }, `127.0.0.1:${replica.port}`, { topK: 6 });
    expect(result.report).toEqual(expectedReport(truth));
    expect(result).toMatchObject({ node: `127.0.0.1:${replica.port}`, nodeType: 'slave', groupName: 'single' });
    expect(result.snapshot.nodes).toEqual([expect.objectContaining({ node: `127.0.0.1:${replica.port}`, role: 'replica', expiredKeys: 2, replicaSkipped: null })]);
    expect(hotOf(result)).toEqual(replicaFreqs);
    expect(result.hot?.insights.advice.map((a) => a.code)).toContain('snapshot-replica-counters');
    expect([await forks(primary), await forks(replica)]).toEqual([primaryBefore, replicaBefore + 1]);
  });

  it('refuses a node that is not part of the deployment, naming it and the deployment’s nodes, before any fork', async () => {
    const before = await forks(primary);
    const error = await analyzeOfflineNode({ endpoint: primary.endpoint }, '127.0.0.1:1').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RedisFailure);
    expect(error).toMatchObject({ kind: 'unsupported', node: '127.0.0.1:1' });
    expect((error as Error).message).toBe(`127.0.0.1:1 is not a node of the deployment at 127.0.0.1:${primary.port}: its nodes are 127.0.0.1:${primary.port} (master), 127.0.0.1:${replica.port} (slave)`);
    expect(await forks(primary)).toBe(before);
  });

  it('says why there are no hot keys in an RDB without LFU counters, and reports the same bytes', async () => {
    await primary.command(['CONFIG', 'SET', 'maxmemory-policy', 'allkeys-lru']);
    const lru = path.join(dir, 'lru.rdb');
    try {
      await primary.command(['SAVE']);
      const reply = (await primary.command(['CONFIG', 'GET', 'dir'])) as Buffer[];
      copyFileSync(path.join((reply[1] as Buffer).toString(), 'dump.rdb'), lru);
    } finally {
      await primary.command(['CONFIG', 'SET', 'maxmemory-policy', 'allkeys-lfu']);
    }
    const result = await analyzeOfflineFile(lru);
    expect(result.hot).toBeNull();
    expect(result.hotSkipped).toMatch(/no LFU counters/);
    // IDLE opcodes instead of FREQ ones: not part of a key's bytes.
    expect(result.report).toEqual(fromFile.report);
  });
});

describe('a cluster with a replica per primary', () => {
  let cluster: RedisCluster;

  beforeAll(async () => {
    cluster = await startCluster({ primaries: 3, replicasPerPrimary: 1, lfuLogFactor: 0, lfuDecayTime: 0, extraArgs: NO_DELAY });
    await until(async () => (await cluster.topology()).replicas.length === 3, 'the seed to see 3 replicas');
    const topology = await cluster.topology();
    for (const [i, owner] of topology.primaries.filter((p) => p.slots.length > 0).entries()) {
      const node = cluster.announced.indexOf(owner.address);
      const names = await keysOnNode(cluster, node, `s${i}:`, 4 + i);
      await run(cluster.nodes[node] as RedisServer, [...names.map((name, j): Arg[] => ['RPUSH', name, ...range(1 + j * 10, String)]), ['WAIT', 1, 5000]]);
    }
  }, 120_000);
  afterAll(async () => cluster?.stop());

  it('lists every primary and replica under its shard', async () => {
    const topology = await cluster.topology();
    const nodes = await deploymentNodes({ endpoint: (cluster.nodes[0] as RedisServer).endpoint });
    expect(nodes).toHaveLength(6);
    for (const primary of topology.primaries) expect(nodes).toContainEqual({ id: primary.address, name: primary.address, groupName: primary.address, role: 'master' });
    for (const replica of topology.replicas) {
      const shard = topology.primaries.find((p) => p.id === replica.primaryId)?.address;
      expect(nodes).toContainEqual({ id: replica.address, name: replica.address, groupName: shard, role: 'slave' });
    }
  });

  it('reports a replica’s RDB: its shard’s keys, each under the shard', async () => {
    const topology = await cluster.topology();
    for (const replica of topology.replicas) {
      const shard = topology.primaries.find((p) => p.id === replica.primaryId)?.address as string;
      const server = cluster.nodes[cluster.announced.indexOf(replica.address)] as RedisServer;
      const result = await analyzeOfflineNode({ endpoint: (cluster.nodes[0] as RedisServer).endpoint }, replica.address);
      expect(result).toMatchObject({ node: replica.address, nodeType: 'slave', groupName: shard, mode: 'cluster' });
      expect(result.report.totalNum).toBe(Number(await server.command(['DBSIZE'])));
      expect(result.report.typeNum).toEqual([{ type: 'list', num: result.report.totalNum }]);
      expect(result.report.largestKeys.map((k) => k.numOfElem)).toEqual(range(result.report.totalNum, (j) => 1 + (result.report.totalNum - 1 - j) * 10));
      for (const key of result.report.largestKeys) expect(key.shard).toBe(shard);
      expect(result.snapshot.nodes).toEqual([expect.objectContaining({ node: replica.address, role: 'replica', shard })]);
    }
  });
});
