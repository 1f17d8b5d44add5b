/**
 * Writes keys of every type with a known access count. Each key is created by one command (a
 * second write would count as an access), then read `hits` times. On a server started with
 * lfu-log-factor 0 and lfu-decay-time 0 every read adds exactly 1: OBJECT FREQ = 5 + hits.
 */
import type { RespConnection, Arg } from '../../src/redis/resp-connection.js';

export interface SeedKey {
  readonly name: string | Buffer;
  readonly db: number;
  readonly type: 'string' | 'list' | 'set' | 'zset' | 'hash' | 'stream';
  /** Elements for collections; bytes for strings. */
  readonly size: number;
  readonly hits: number;
}

function createCommand(key: SeedKey): Arg[] {
  const members = Array.from({ length: key.size }, (_, i) => `m${i}`);
  switch (key.type) {
    case 'string':
      return ['SET', key.name, 'x'.repeat(key.size)];
    case 'list':
      return ['RPUSH', key.name, ...members];
    case 'set':
      return ['SADD', key.name, ...members];
    case 'zset':
      return ['ZADD', key.name, ...members.flatMap((m, i) => [i, m])];
    case 'hash':
      return ['HSET', key.name, ...members.flatMap((m) => [m, 'v'])];
    case 'stream':
      // One XADD per entry would touch the key; create it with the first entry and report size 1.
      return ['XADD', key.name, '*', 'f', 'v'];
  }
}

function readCommand(key: SeedKey): Arg[] {
  switch (key.type) {
    case 'string':
      return ['GET', key.name];
    case 'list':
      return ['LINDEX', key.name, 0];
    case 'set':
      return ['SISMEMBER', key.name, 'm0'];
    case 'zset':
      return ['ZSCORE', key.name, 'm0'];
    case 'hash':
      return ['HGET', key.name, 'm0'];
    case 'stream':
      return ['XLEN', key.name];
  }
}

export async function seedKeys(connection: RespConnection, keys: readonly SeedKey[]): Promise<void> {
  const byDb = new Map<number, SeedKey[]>();
  keys.forEach((k) => byDb.set(k.db, [...(byDb.get(k.db) ?? []), k]));
  for (const [db, group] of byDb) {
    await connection.call(['SELECT', db]);
    await connection.pipeline(group.map(createCommand));
    const reads: Arg[][] = group.flatMap((k) => Array.from({ length: k.hits }, () => readCommand(k)));
    for (let i = 0; i < reads.length; i += 5000) await connection.pipeline(reads.slice(i, i + 5000));
  }
  await connection.call(['SELECT', 0]);
}

/** Many never-read string keys, written fast, to make scans take a while. */
export async function fillColdKeys(connection: RespConnection, count: number, prefix = 'cold', db = 0): Promise<void> {
  await connection.call(['SELECT', db]);
  for (let i = 0; i < count; i += 10_000) {
    const batch: Arg[][] = [];
    for (let j = i; j < Math.min(count, i + 10_000); j++) batch.push(['SET', `${prefix}:${j}`, 'v']);
    await connection.pipeline(batch);
  }
  await connection.call(['SELECT', 0]);
}

/** Seeds a server on a connection of its own: hot keys with known reads, then `cold` never-read keys in db 0. */
export async function seedRedis(server: { connect(): Promise<RespConnection> }, keys: readonly SeedKey[], cold = 0): Promise<void> {
  const connection = await server.connect();
  try {
    await seedKeys(connection, keys);
    if (cold > 0) await fillColdKeys(connection, cold);
  } finally {
    connection.close();
  }
}
