/**
 * The RDB parser against files written by real redis-server processes (7.0 here, RDB 10), one
 * server per group of settings so every encoding 7.0 writes appears: listpack and hashtable
 * hashes, listpack and skiplist zsets, intset and hashtable sets, quicklist v2 lists with packed
 * and plain nodes, streams with groups, PELs and consumers, int / raw / LZF strings, with and
 * without rdbcompression, a function library, several dbs, expiries, FREQ (LFU) and IDLE (LRU).
 * After SAVE every key the parser reports is checked against the server: type, size
 * (STRLEN / LLEN / SCARD / ZCARD / HLEN / XLEN), db, PEXPIRETIME, and the exact OBJECT FREQ
 * (lfu-log-factor 0, lfu-decay-time 0: one access adds exactly one; OBJECT FREQ itself does not touch).
 */
import { createReadStream } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { RdbParser, type RdbKey } from '../../src/redis/rdb/rdb-parser.js';
import type { Arg, RespConnection } from '../../src/redis/resp-connection.js';
import { startRedis, type RedisServer } from '../helpers/redis-server.js';

const servers: RedisServer[] = [];
afterAll(async () => {
  await Promise.all(servers.map((s) => s.stop()));
});

interface Parsed {
  keys: Map<string, RdbKey & { keyText: string }>;
  functions: number;
  aux: Map<string, string>;
  version: number;
}

async function parseFile(file: string, chunkBytes = 64 * 1024): Promise<Parsed> {
  const keys = new Map<string, RdbKey & { keyText: string }>();
  const aux = new Map<string, string>();
  let functions = 0;
  const parser = new RdbParser({
    onKey: (k) => {
      const keyText = `${k.db}:${k.key.toString('latin1')}`;
      expect(keys.has(keyText), `${keyText} reported twice`).toBe(false);
      keys.set(keyText, { ...k, key: Buffer.from(k.key), keyText });
    },
    onAux: (name, value) => aux.set(name, value.toString('latin1')),
    onFunction: () => (functions += 1),
  });
  for await (const chunk of createReadStream(file, { highWaterMark: chunkBytes })) parser.push(chunk as Buffer);
  parser.end();
  return { keys, functions, aux, version: parser.rdbVersion };
}

async function dumpPath(redis: RedisServer): Promise<string> {
  const reply = (await redis.command(['CONFIG', 'GET', 'dir'])) as Buffer[];
  return path.join((reply[1] as Buffer).toString(), 'dump.rdb');
}

async function run(connection: RespConnection, commands: Arg[][]): Promise<void> {
  for (let i = 0; i < commands.length; i += 1000) await connection.pipeline(commands.slice(i, i + 1000));
}

const SIZE_COMMAND: Record<string, string> = { string: 'STRLEN', list: 'LLEN', set: 'SCARD', zset: 'ZCARD', hash: 'HLEN', stream: 'XLEN' };

/** Checks every key of every db of the server against what the parser reported, exactly. */
async function compareWithServer(redis: RedisServer, parsed: Parsed, lfu: boolean): Promise<void> {
  const connection = await redis.connect();
  try {
    let total = 0;
    for (let db = 0; db < 16; db++) {
      await connection.call(['SELECT', db]);
      let cursor = '0';
      const names: Buffer[] = [];
      do {
        const [next, batch] = (await connection.call(['SCAN', cursor, 'COUNT', 1000])) as [Buffer, Buffer[]];
        cursor = next.toString();
        names.push(...batch);
      } while (cursor !== '0');
      // Counters first: the size commands below touch keys.
      const freqs = lfu ? ((await connection.pipeline(names.map((n) => ['OBJECT', 'FREQ', n]))) as number[]) : [];
      const types = (await connection.pipeline(names.map((n) => ['TYPE', n]))) as Buffer[];
      const expires = (await connection.pipeline(names.map((n) => ['PEXPIRETIME', n]))) as number[];
      const sizes = (await connection.pipeline(names.map((n, i) => [SIZE_COMMAND[(types[i] as Buffer).toString()] as string, n]))) as number[];
      names.forEach((name, i) => {
        const id = `${db}:${name.toString('latin1')}`;
        const k = parsed.keys.get(id);
        expect(k, `${id} missing from the RDB`).toBeDefined();
        if (k === undefined) return;
        expect([id, k.type, k.size, k.expiresAtMs ?? -1]).toEqual([id, (types[i] as Buffer).toString(), sizes[i], expires[i]]);
        if (lfu) expect([id, k.freq]).toEqual([id, freqs[i]]);
        else expect([id, k.freq, typeof k.idleSeconds]).toEqual([id, null, 'number']);
      });
      total += names.length;
    }
    expect(parsed.keys.size).toBe(total);
  } finally {
    connection.close();
  }
}

const range = (n: number, f: (i: number) => string): string[] => Array.from({ length: n }, (_, i) => f(i));

/** Keys of every type in several encodings (which ones depends on the server's settings), in dbs 0 and 5. */
async function writeKeys(redis: RedisServer): Promise<void> {
  const connection = await redis.connect();
  try {
    await connection.call(['FUNCTION', 'LOAD', "#!lua name=kh\nredis.register_function('kh_one', function() return 1 end)"]);
    const commands: Arg[][] = [
      ['SET', 'str:short', 'hello'],
      ['SET', 'str:int', '123456'],
      ['SET', 'str:negint', '-42'],
      ['SET', 'str:bigint', '12345678901234'],
      ['SET', 'str:compressible', 'a'.repeat(5000)],
      ['SET', 'str:random', range(300, (i) => String.fromCharCode(33 + ((i * 7919) % 90))).join('')],
      ['SET', 'k'.repeat(100), 'long key, compressible'],
      ['SET', '12345', 'an int key'],
      ['SET', Buffer.from([0xff, 0x00, 0xfe]), Buffer.from([0, 1, 2])],
      ['SET', 'str:empty', ''],
      ['SET', 'str:ttl', 'x', 'PX', 86_400_000],
      ['RPUSH', 'list:small', 'a', 'b', 'c'],
      ['RPUSH', 'list:long', ...range(3000, (i) => `element-${i}`)],
      ['RPUSH', 'list:ints', ...range(500, (i) => String(i * 1000))],
      ['RPUSH', 'list:bigelem', 'small', 'x'.repeat(20_000), 'small again'],
      ['SADD', 'set:ints', ...range(100, (i) => String(i))],
      ['SADD', 'set:bigints', ...range(50, (i) => String(i * 100_000_000_000))],
      ['SADD', 'set:strings', ...range(100, (i) => `member-${i}`)],
      ['SADD', 'set:manyints', ...range(2000, (i) => String(i))],
      ['ZADD', 'zset:small', '1', 'a', '2.5', 'b', 'inf', 'c'],
      ['ZADD', 'zset:big', ...Array.from({ length: 400 }, (_, i) => [String(i / 3), `zm-${i}`]).flat()],
      ['HSET', 'hash:small', 'f1', 'v1', 'f2', '2'],
      ['HSET', 'hash:big', ...Array.from({ length: 1000 }, (_, i) => [`field-${i}`, `value-${i}`]).flat()],
      ['HSET', 'hash:longvalue', 'f', 'v'.repeat(1000)],
      ['XADD', 'stream:a', '1-1', 'f', 'v'],
      ['XADD', 'stream:a', '1-2', 'f', 'v2', 'g', 'w'],
      ['XADD', 'stream:a', '2-0', 'f', 'v3'],
      ['XDEL', 'stream:a', '1-2'],
      ['XGROUP', 'CREATE', 'stream:a', 'g1', '0'],
      ['XGROUP', 'CREATE', 'stream:a', 'g2', '$'],
      ['XREADGROUP', 'GROUP', 'g1', 'alice', 'COUNT', '1', 'STREAMS', 'stream:a', '>'],
      ['XREADGROUP', 'GROUP', 'g1', 'bob', 'STREAMS', 'stream:a', '>'],
      ['XGROUP', 'CREATECONSUMER', 'stream:a', 'g2', 'carol'],
      ['EXPIRE', 'list:small', 3600],
      ['PEXPIREAT', 'hash:small', Date.now() + 7_200_123],
    ];
    for (let i = 0; i < 1500; i++) commands.push(['XADD', 'stream:long', '*', 'n', String(i)]);
    for (let i = 0; i < 200; i++) commands.push(['SET', `plain:${i}`, `value-${i}`]);
    await run(connection, commands);
    // Different access counts: FREQ must follow them exactly.
    for (let i = 0; i < 40; i++) await run(connection, [['GET', 'str:short'], ...(i < 10 ? [['LLEN', 'list:long']] : [])]);
    await connection.call(['SELECT', 5]);
    await run(connection, [
      ['SET', 'db5:str', 'in db 5'],
      ['HSET', 'db5:hash', 'a', '1'],
      ['SET', 'db5:ttl', 'y', 'EX', 1000],
    ]);
  } finally {
    connection.close();
  }
}

function encodingsOf(parsed: Parsed): string[] {
  return [...new Set([...parsed.keys.values()].map((k) => `${k.type}/${k.encoding}`))].sort();
}

describe('RDB parser on dumps written by redis-server', () => {
  it('reads an LFU server with compact encodings and compression, exactly as the server reports', async () => {
    const redis = await startRedis({ policy: 'allkeys-lfu', lfuLogFactor: 0, lfuDecayTime: 0, extraArgs: ['--rdbcompression', 'yes', '--list-max-listpack-size', '16'] });
    servers.push(redis);
    await writeKeys(redis);
    await redis.command(['SAVE']);
    const parsed = await parseFile(await dumpPath(redis));
    expect(parsed.version).toBe(10);
    expect(parsed.functions).toBe(1);
    expect(parsed.aux.get('redis-ver')).toMatch(/^7\./);
    expect(encodingsOf(parsed)).toEqual([
      'hash/hashtable',
      'hash/listpack',
      'list/quicklist2',
      'set/hashtable',
      'set/intset',
      'stream/stream2',
      'string/int',
      'string/lzf',
      'string/raw',
      'zset/listpack',
      'zset/skiplist',
    ]);
    expect(parsed.keys.get('0:str:short')?.freq).toBe(45);
    await compareWithServer(redis, parsed, true);
  });

  it('reads an LRU server with every collection in its big encoding, without compression (IDLE instead of FREQ)', async () => {
    const redis = await startRedis({
      policy: 'allkeys-lru',
      extraArgs: ['--rdbcompression', 'no', '--hash-max-listpack-entries', '0', '--zset-max-listpack-entries', '0', '--set-max-intset-entries', '0', '--list-max-listpack-size', '1'],
    });
    servers.push(redis);
    await writeKeys(redis);
    await redis.command(['SAVE']);
    const parsed = await parseFile(await dumpPath(redis), 4096);
    expect(encodingsOf(parsed)).toEqual(['hash/hashtable', 'list/quicklist2', 'set/hashtable', 'stream/stream2', 'string/int', 'string/raw', 'zset/skiplist']);
    await compareWithServer(redis, parsed, false);
  });

  it('reads plain quicklist nodes (elements over the packed threshold) and gives the same keys in 1 KiB chunks', async () => {
    const redis = await startRedis({ policy: 'allkeys-lfu', lfuLogFactor: 0, lfuDecayTime: 0, extraArgs: ['--enable-debug-command', 'yes'] });
    servers.push(redis);
    await redis.command(['DEBUG', 'QUICKLIST-PACKED-THRESHOLD', '100']);
    await redis.command(['RPUSH', 'plain', 'a', 'b'.repeat(500), 'c', 'd'.repeat(200)]);
    await writeKeys(redis);
    await redis.command(['SAVE']);
    const file = await dumpPath(redis);
    const parsed = await parseFile(file);
    expect(parsed.keys.get('0:plain')?.size).toBe(4);
    await compareWithServer(redis, parsed, true);
    const small = await parseFile(file, 1024);
    expect([...small.keys.values()].map((k) => [k.keyText, k.size, k.freq])).toEqual([...parsed.keys.values()].map((k) => [k.keyText, k.size, k.freq]));
  });
});
