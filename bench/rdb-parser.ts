/**
 * RDB parser throughput on a real dump: a redis-server (LFU policy, so every key carries a FREQ
 * opcode; rdbcompression on, the default) is filled with `keys` keys of mixed types by pipelined
 * commands: 70% strings of 10-200 bytes, 10% hashes, 8% lists, 6% sets, 5% zsets, 1% streams,
 * collections of 1-20 elements, 10% of keys with a TTL. Then SAVE, and the dump is parsed:
 *   memory: the file read once, fed to the parser in 64 KiB slices (the parser alone, what a
 *           socket delivers at most per read on loopback); `rounds` times, median printed;
 *   file:   read with a 64 KiB createReadStream and parsed as it arrives (page cache warm).
 * Prints MB/s (MiB = 2^20 bytes) and keys/s. The goal (issue 15): >= 125 MB/s, so that parsing
 * never limits a snapshot over a 1 Gbit/s link.
 *
 *   npx tsx bench/rdb-parser.ts [keys=1000000] [rounds=5]
 */
import { createReadStream, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { RdbParser } from '../src/redis/rdb/rdb-parser.js';
import type { Arg } from '../src/redis/resp-encoder.js';
import { startRedis } from '../test/helpers/redis-server.js';
import { seededRandom } from '../test/helpers/seeded-random.js';
import { median } from './bench-redis.js';

const keys = Number(process.argv[2] ?? 1_000_000);
const rounds = Number(process.argv[3] ?? 5);
const CHUNK = 64 * 1024;

function commandsFor(i: number, random: () => number): Arg[][] {
  const pick = random();
  const n = 1 + Math.floor(random() * 20);
  const items = (f: (j: number) => string[]): string[] => Array.from({ length: n }, (_, j) => f(j)).flat();
  const key = `key:${i}`;
  let command: Arg[];
  if (pick < 0.7) command = ['SET', key, 'v'.repeat(10 + Math.floor(random() * 190)) + String(i)];
  else if (pick < 0.8) command = ['HSET', key, ...items((j) => [`field${j}`, `value-${i}-${j}`])];
  else if (pick < 0.88) command = ['RPUSH', key, ...items((j) => [`element-${j}`])];
  else if (pick < 0.94) command = ['SADD', key, ...items((j) => [j % 2 === 0 ? String(j * 1000 + i) : `member-${j}`])];
  else if (pick < 0.99) command = ['ZADD', key, ...items((j) => [String(j * 1.5), `member-${j}`])];
  else command = ['XADD', key, '*', ...items((j) => [`f${j}`, String(j)])];
  return random() < 0.1 ? [command, ['EXPIRE', key, 100_000]] : [command];
}

function parseBuffer(data: Buffer): number {
  let count = 0;
  const parser = new RdbParser({ onKey: () => (count += 1) });
  for (let at = 0; at < data.length; at += CHUNK) parser.push(data.subarray(at, at + CHUNK));
  parser.end();
  return count;
}

async function parseFile(file: string): Promise<number> {
  let count = 0;
  const parser = new RdbParser({ onKey: () => (count += 1) });
  for await (const chunk of createReadStream(file, { highWaterMark: CHUNK })) parser.push(chunk as Buffer);
  parser.end();
  return count;
}

async function main(): Promise<void> {
  const redis = await startRedis({ policy: 'allkeys-lfu', extraArgs: ['--rdbcompression', 'yes'] });
  try {
    const connection = await redis.connect();
    const random = seededRandom(15);
    const fillStart = performance.now();
    let batch: Arg[][] = [];
    for (let i = 0; i < keys; i++) {
      batch.push(...commandsFor(i, random));
      if (batch.length >= 5000) {
        await connection.pipeline(batch);
        batch = [];
      }
    }
    if (batch.length > 0) await connection.pipeline(batch);
    await connection.call(['SAVE']);
    const dir = ((await connection.call(['CONFIG', 'GET', 'dir'])) as Buffer[])[1]?.toString() ?? '';
    connection.close();
    const file = path.join(dir, 'dump.rdb');
    const bytes = statSync(file).size;
    const mib = bytes / 1024 / 1024;
    console.log(`${keys} keys written and saved in ${((performance.now() - fillStart) / 1000).toFixed(1)} s; dump.rdb is ${mib.toFixed(1)} MiB`);

    const data = readFileSync(file);
    const times: number[] = [];
    for (let r = 0; r < rounds; r++) {
      const start = performance.now();
      const count = parseBuffer(data);
      times.push((performance.now() - start) / 1000);
      if (count !== keys) throw new Error(`parsed ${count} keys, expected ${keys}`);
    }
    const t = median(times);
    console.log(`memory, 64 KiB slices: median ${(t * 1000).toFixed(0)} ms = ${(mib / t).toFixed(0)} MiB/s, ${((keys / t) / 1e6).toFixed(2)} M keys/s (rounds: ${times.map((x) => (x * 1000).toFixed(0)).join(', ')} ms)`);

    const fileTimes: number[] = [];
    for (let r = 0; r < rounds; r++) {
      const start = performance.now();
      await parseFile(file);
      fileTimes.push((performance.now() - start) / 1000);
    }
    const f = median(fileTimes);
    console.log(`file, 64 KiB reads:    median ${(f * 1000).toFixed(0)} ms = ${(mib / f).toFixed(0)} MiB/s, ${((keys / f) / 1e6).toFixed(2)} M keys/s`);
  } finally {
    await redis.stop();
  }
}

await main();
