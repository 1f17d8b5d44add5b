/**
 * RDB parser throughput on real dumps: a redis-server (LFU policy, so every key carries a FREQ
 * opcode; rdbcompression on, the default) is filled with `keys` keys of mixed types by pipelined
 * commands: 70% strings of 10-200 bytes, 10% hashes, 8% lists, 6% sets, 5% zsets, 1% streams,
 * collections of 1-20 elements, 10% of keys with a TTL. Then SAVE, and the dump is parsed:
 *   memory: the file read once, fed to the parser in 64 KiB slices (the parser alone, what a
 *           socket delivers at most per read on loopback); `rounds` times, median printed,
 *           the parsers compared taking turns in alternating order;
 *   file:   read with a 64 KiB createReadStream and parsed as it arrives (page cache warm).
 * The same data goes into the system's redis-server (7.0, RDB 10) and, where the version matrix
 * is found (test/helpers/redis-versions.ts), into Redis 7.4.1 (RDB 12): the ratio of the two is
 * printed, measured in the same run. With KEYHEAT_BASE_PARSER=<path of another checkout's
 * src/redis/rdb/rdb-parser.ts>, that parser is timed on the same dumps too (where it reads them),
 * and the ratio this/base printed: a before/after of a change, on one machine in one run.
 * Prints MB/s (MiB = 2^20 bytes) and keys/s. The goal (issue 15): >= 125 MB/s, so that parsing
 * never limits a snapshot over a 1 Gbit/s link.
 *
 *   npx tsx bench/rdb-parser.ts [keys=1000000] [rounds=5]
 */
import { createReadStream, readFileSync } from 'node:fs';
import path from 'node:path';
import { RdbParser } from '../src/redis/rdb/rdb-parser.js';
import type { Arg } from '../src/redis/resp-encoder.js';
import { startRedis } from '../test/helpers/redis-server.js';
import { matrixVersions } from '../test/helpers/redis-versions.js';
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

/** What the bench needs of a parser: the current one, or another checkout's. */
type ParserClass = new (handlers: { onKey: () => void }) => { push(chunk: Buffer): number; end(): void };

function parseBuffer(Parser: ParserClass, data: Buffer): number {
  let count = 0;
  const parser = new Parser({ onKey: () => (count += 1) });
  for (let at = 0; at < data.length; at += CHUNK) parser.push(data.subarray(at, at + CHUNK));
  parser.end();
  return count;
}

async function parseFile(Parser: ParserClass, file: string): Promise<number> {
  let count = 0;
  const parser = new Parser({ onKey: () => (count += 1) });
  for await (const chunk of createReadStream(file, { highWaterMark: CHUNK })) parser.push(chunk as Buffer);
  parser.end();
  return count;
}

/** Fills a fresh server of `server` (default: the PATH's) with the seeded keys, saves, and returns the dump's bytes and path. */
async function dumpOf(server: string | undefined, label: string): Promise<{ label: string; file: string; data: Buffer; stop: () => Promise<void> }> {
  const redis = await startRedis({ policy: 'allkeys-lfu', extraArgs: ['--rdbcompression', 'yes'], ...(server === undefined ? {} : { server }) });
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
  const data = readFileSync(file);
  console.log(`${label}: ${keys} keys written and saved in ${((performance.now() - fillStart) / 1000).toFixed(1)} s; dump.rdb is ${(data.length / 1048576).toFixed(1)} MiB, RDB ${data.toString('latin1', 5, 9)}`);
  return { label, file, data, stop: () => redis.stop() };
}

/** Whether this parser reads the dump at all (an older one may not know its RDB version). */
function reads(Parser: ParserClass, dump: { data: Buffer }): boolean {
  try {
    parseBuffer(Parser, dump.data.subarray(0, Math.min(dump.data.length, 4096)));
  } catch (error) {
    if (/version|type/i.test(String(error))) return false;
  }
  return true;
}

/**
 * Median seconds of `rounds` parses from memory and from the file, per parser (null: it cannot
 * read the dump). The parsers take turns within each round, in an order that alternates from one
 * round to the next: whichever ran second was measured faster when each ran all its rounds in a
 * block, about 10% either way.
 */
async function timeAll(parsers: readonly (readonly [string, ParserClass])[], dump: { file: string; data: Buffer }): Promise<Map<string, { memory: number; file: number } | null>> {
  const readers = parsers.filter(([, Parser]) => reads(Parser, dump));
  const memory = new Map<string, number[]>(readers.map(([name]) => [name, []]));
  const file = new Map<string, number[]>(readers.map(([name]) => [name, []]));
  // One untimed parse each first: the JIT warms up on this dump before any round counts.
  for (const [, Parser] of readers) parseBuffer(Parser, dump.data);
  for (let r = 0; r < rounds; r++) {
    const order = r % 2 === 0 ? readers : [...readers].reverse();
    for (const [name, Parser] of order) {
      const start = performance.now();
      const count = parseBuffer(Parser, dump.data);
      memory.get(name)?.push((performance.now() - start) / 1000);
      if (count !== keys) throw new Error(`${name} parsed ${count} keys, expected ${keys}`);
      const fileStart = performance.now();
      await parseFile(Parser, dump.file);
      file.get(name)?.push((performance.now() - fileStart) / 1000);
    }
  }
  return new Map(parsers.map(([name]) => [name, memory.has(name) ? { memory: median(memory.get(name) ?? []), file: median(file.get(name) ?? []) } : null]));
}

async function main(): Promise<void> {
  const v741 = matrixVersions().find((v) => v.name === 'redis-7.4.1');
  const basePath = process.env['KEYHEAT_BASE_PARSER'];
  const parsers: [string, ParserClass][] = [['this', RdbParser as unknown as ParserClass]];
  if (basePath !== undefined) parsers.push(['base', ((await import(path.resolve(basePath))) as { RdbParser: ParserClass }).RdbParser]);
  const dumps = [await dumpOf(undefined, 'Redis 7.0 (system)')];
  if (v741 !== undefined) dumps.push(await dumpOf(v741.server, 'Redis 7.4.1'));
  else console.log('the version matrix was not found: Redis 7.4.1 is left out');
  try {
    const results = new Map<string, { memory: number; file: number } | null>();
    for (const dump of dumps) {
      const mib = dump.data.length / 1048576;
      const timed = await timeAll(parsers, dump);
      for (const [name] of parsers) {
        const t = timed.get(name) ?? null;
        results.set(`${name} ${dump.label}`, t);
        if (t === null) {
          console.log(`${dump.label}, ${name} parser: cannot read this dump`);
          continue;
        }
        console.log(
          `${dump.label}, ${name} parser: memory ${(mib / t.memory).toFixed(0)} MiB/s (${((keys / t.memory) / 1e6).toFixed(2)} M keys/s), file ${(mib / t.file).toFixed(0)} MiB/s (${((keys / t.file) / 1e6).toFixed(2)} M keys/s)`,
        );
      }
    }
    const ratio = (a: string, b: string, what: 'memory' | 'file'): string => {
      const x = results.get(a);
      const y = results.get(b);
      return x == null || y == null ? 'n/a' : `${(y[what] / x[what]).toFixed(2)}x`;
    };
    if (dumps.length > 1) {
      console.log(`keys/s, 7.4.1 dump / 7.0 dump (this parser): memory ${ratio('this Redis 7.4.1', 'this Redis 7.0 (system)', 'memory')}, file ${ratio('this Redis 7.4.1', 'this Redis 7.0 (system)', 'file')}`);
    }
    if (basePath !== undefined) {
      for (const dump of dumps) console.log(`speed this / base on the ${dump.label} dump: memory ${ratio(`this ${dump.label}`, `base ${dump.label}`, 'memory')}, file ${ratio(`this ${dump.label}`, `base ${dump.label}`, 'file')}`);
    }
  } finally {
    for (const dump of dumps) await dump.stop();
  }
}

await main();
