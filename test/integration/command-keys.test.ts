/**
 * Key positions from the server's own COMMAND reply (redis/command-keys.ts) agree with the
 * server's COMMAND GETKEYS on commands of every shape: fixed, ranges, numkeys, keywords,
 * subcommands, scripts.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CommandTable } from '../../src/redis/command-keys.js';
import type { RespConnection } from '../../src/redis/resp-connection.js';
import { startRedis, type RedisServer } from '../helpers/redis-server.js';

const COMMANDS: readonly (readonly string[])[] = [
  ['GET', 'a'],
  ['SET', 'a', 'v', 'EX', '10'],
  ['MSET', 'a', '1', 'b', '2', 'c', '3'],
  ['MGET', 'a', 'b', 'c'],
  ['DEL', 'a', 'b'],
  ['HSET', 'h', 'f', 'v'],
  ['LMOVE', 'src', 'dst', 'LEFT', 'RIGHT'],
  ['BLPOP', 'l1', 'l2', '0'],
  ['ZUNIONSTORE', 'dest', '2', 'z1', 'z2', 'WEIGHTS', '1', '2'],
  ['ZINTERCARD', '2', 'z1', 'z2', 'LIMIT', '5'],
  ['EVAL', 'return 1', '2', 'k1', 'k2', 'arg'],
  ['EVALSHA', 'abc', '1', 'k1', 'arg'],
  ['FCALL', 'fn', '1', 'k1', 'arg'],
  ['XREAD', 'COUNT', '2', 'STREAMS', 's1', 's2', '0', '0'],
  ['XREADGROUP', 'GROUP', 'g', 'c', 'STREAMS', 's1', '>'],
  ['OBJECT', 'FREQ', 'a'],
  ['XINFO', 'STREAM', 's1'],
  ['MIGRATE', '127.0.0.1', '1', '', '0', '5000', 'KEYS', 'k1', 'k2'],
  ['GEORADIUS', 'geo', '0', '0', '1', 'km', 'STORE', 'dest'],
  ['RENAME', 'a', 'b'],
  ['SINTERSTORE', 'dest', 's1', 's2', 's3'],
  ['BITOP', 'AND', 'dest', 'k1', 'k2'],
  ['PING'],
  ['CLIENT', 'LIST'],
];

describe('key positions from COMMAND', () => {
  let redis: RedisServer;
  let connection: RespConnection;
  let table: CommandTable;

  beforeAll(async () => {
    redis = await startRedis();
    connection = await redis.connect();
    table = await CommandTable.read(connection);
  });

  afterAll(async () => {
    connection?.close();
    await redis?.stop();
  });

  it('reads every command the server has', () => {
    expect(table.size).toBeGreaterThan(200);
  });

  it.each(COMMANDS.map((c) => [c.join(' '), c] as const))('agree with COMMAND GETKEYS: %s', async (_, command) => {
    const args = command.map((a) => Buffer.from(a));
    const ours = table.keyPositions(command[0]!.toLowerCase(), args).map((i) => command[i]);
    const reply = await connection.pipeline([['COMMAND', 'GETKEYS', ...command]]);
    const theirs = Array.isArray(reply[0]) ? (reply[0] as Buffer[]).map(String) : [];
    expect(ours).toEqual(theirs);
  });

  it('counts the keys an incomplete spec describes (SORT ... STORE: the sorted key, not the destination)', async () => {
    const command = ['SORT', 'list', 'BY', 'w_*', 'STORE', 'out'];
    expect(table.keyPositions('sort', command.map((a) => Buffer.from(a))).map((i) => command[i])).toEqual(['list']);
    const reply = await connection.pipeline([['COMMAND', 'GETKEYS', ...command]]);
    expect((reply[0] as Buffer[]).map(String)).toEqual(['list', 'out']);
  });

  it('finds no key in a command it does not know, or past the end of a short one', () => {
    expect(table.keyPositions('nosuchcommand', [Buffer.from('nosuchcommand'), Buffer.from('x')])).toEqual([]);
    expect(table.keyPositions('eval', ['EVAL', 'return 1', '5', 'k1'].map((a) => Buffer.from(a)))).toEqual([]);
    expect(table.keyPositions('get', [Buffer.from('GET')])).toEqual([]);
  });
});
