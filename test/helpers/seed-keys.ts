/**
 * Writes keys of every type with a known access count. Each key is created by one command (a
 * second write would count as an access), then read `hits` times. On a server started with
 * lfu-log-factor 0 and lfu-decay-time 0 every read adds exactly 1: OBJECT FREQ = 5 + hits.
 */
import { groupBy } from '../../src/domain/group-by.js';
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
  for (const [db, group] of groupBy(keys, (k) => k.db)) {
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

export interface CountedKey {
  readonly name: string | Buffer;
  readonly freq: number;
  readonly db?: number;
}

/**
 * String keys with exactly the LFU counter given (RESTORE ... FREQ n), whatever the server's
 * lfu-log-factor: the way to test what counters mean on servers with non-default settings.
 * The counters hold for COUNTERS_HOLD_S seconds at least (it may wait up to that long first).
 */
export async function restoreWithFreq(server: { connect(): Promise<RespConnection> }, keys: readonly CountedKey[]): Promise<void> {
  const first = keys[0];
  if (first === undefined) return;
  const connection = await server.connect();
  try {
    await clearOfMinuteBoundary(connection);
    // The payload comes from the first key itself (on a cluster node, a key this node owns);
    // RESTORE ... REPLACE then writes it again with its counter.
    await connection.call(['SELECT', first.db ?? 0]);
    await connection.call(['SET', first.name, 'v']);
    const payload = (await connection.call(['DUMP', first.name])) as Buffer;
    for (const [db, group] of groupBy(keys, (k) => k.db ?? 0)) {
      await connection.call(['SELECT', db]);
      for (let i = 0; i < group.length; i += 5000) {
        await connection.pipeline(group.slice(i, i + 5000).map((k) => ['RESTORE', k.name, 0, payload, 'REPLACE', 'FREQ', k.freq]));
      }
    }
  } finally {
    connection.close();
  }
}

/**
 * Seconds a restored counter must keep its value: the longest a test takes from restoring to
 * its last reading. With lfu-decay-time 1 a restored counter loses one at the next minute
 * boundary of Redis's clock; closer to it than this, restoring waits until it has passed.
 */
const COUNTERS_HOLD_S = 20;

async function clearOfMinuteBoundary(connection: RespConnection): Promise<void> {
  const [seconds, micros] = (await connection.call(['TIME'])) as Buffer[];
  const intoMinute = (Number(seconds) % 60) + Number(micros) / 1e6;
  // Redis's own clock (server.unixtime) is refreshed by its cron, some 100 ms behind: 0.5 s more.
  if (60 - intoMinute < COUNTERS_HOLD_S) await new Promise((r) => setTimeout(r, (60 - intoMinute + 0.5) * 1000));
}
