/**
 * Shared pieces of the benchmarks: a throwaway redis-server with a populated keyspace and a
 * known access skew, and helpers to time commands. Benchmarks are run by hand, not by CI.
 */
import { execFile, spawn } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { startRedis, type RedisServer } from '../test/helpers/redis-server.js';
import type { Arg } from '../src/redis/resp-connection.js';

export const run = promisify(execFile);
export const ROOT = path.resolve(import.meta.dirname, '..');
export const KEYHEAT = path.join(ROOT, 'dist/main.js');

/**
 * 16 hot keys read 1000..16000 times, 32 warm keys read 20 times, the rest never. LFU decay is
 * off so the skew stays as built for the whole benchmark, however many rounds it runs.
 */
export const HOT_KEYS = Array.from({ length: 16 }, (_, i) => `key:${i * 61_027 + 7}`);
const WARM_KEYS = Array.from({ length: 32 }, (_, i) => `key:${i * 31_013 + 3}`);

export async function populatedRedis(keys: number): Promise<RedisServer> {
  const redis = await startRedis({ lfuDecayTime: 0, extraArgs: ['--enable-debug-command', 'yes'] });
  const connection = await redis.connect();
  await connection.call(['DEBUG', 'POPULATE', keys, 'key', 10]);
  const reads: Arg[][] = [];
  HOT_KEYS.forEach((key, i) => {
    for (let n = 0; n < 1000 * (i + 1); n++) reads.push(['GET', key]);
  });
  WARM_KEYS.forEach((key) => {
    for (let n = 0; n < 20; n++) reads.push(['GET', key]);
  });
  for (let i = 0; i < reads.length; i += 10_000) await connection.pipeline(reads.slice(i, i + 10_000));
  connection.close();
  return redis;
}

export async function buildKeyheat(): Promise<void> {
  await run('npx', ['tsc', '-p', 'tsconfig.build.json'], { cwd: ROOT });
}

export async function timed<T>(fn: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const start = performance.now();
  const value = await fn();
  return { ms: performance.now() - start, value };
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

/** redis-cli --hotkeys; returns the key names it reports (counter > 5 only). */
export async function redisCliHotkeys(port: number): Promise<string[]> {
  const { stdout } = await run('redis-cli', ['-p', String(port), '--hotkeys'], { maxBuffer: 64 * 1024 * 1024 });
  const names: string[] = [];
  for (const match of stdout.matchAll(/hot key found with counter: (\d+)\s+keyname: "?([^"\n]*)"?/g)) {
    if (Number(match[1]) > 5) names.push(match[2] as string);
  }
  return names;
}

export interface KeyheatScan {
  readonly keys: { name: string; freq: number }[];
  readonly analysis: { readonly scanned_keys: number };
}

export async function keyheatScan(port: number, args: readonly string[] = []): Promise<KeyheatScan> {
  const { stdout } = await run(process.execPath, [KEYHEAT, 'scan', `redis://127.0.0.1:${port}`, '--json', ...args], { maxBuffer: 64 * 1024 * 1024 });
  return JSON.parse(stdout) as KeyheatScan;
}

/** Server CPU spent in the scan's commands, from INFO commandstats (after CONFIG RESETSTAT). */
export async function scanCommandUsec(redis: RedisServer): Promise<number> {
  const stats = String(await redis.command(['INFO', 'commandstats']));
  let usec = 0;
  for (const match of stats.matchAll(/cmdstat_(scan|object\|freq|object|type|strlen|select|info):calls=\d+,usec=(\d+)/g)) usec += Number(match[2]);
  return usec;
}

/** Peak RSS (kB) of a command, from GNU time. */
export async function peakRssKb(command: string, args: readonly string[]): Promise<number> {
  const { stderr } = await run('/usr/bin/time', ['-f', 'peak_rss_kb=%M', command, ...args], { maxBuffer: 64 * 1024 * 1024 });
  return Number(/peak_rss_kb=(\d+)/.exec(stderr)?.[1]);
}

export { spawn };
