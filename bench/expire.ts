/**
 * The expired key scan (engine/expire-scan.ts) at DCS's page size, against DCS's documented
 * reference rate (200 SCAN pages of scan_keys_count keys per second: 20,000 keys/s at COUNT 100)
 * and against a straightforward client measured in the same run on the same keyspace: SCAN
 * COUNT 100, then that page's PTTLs in one pipeline, then the next SCAN (one round trip after
 * another, nothing counted).
 *
 * The keyspace, rebuilt before every scan (a scan reclaims the expired keys): DEBUG POPULATE
 * `keys` strings, then `expired` of them (a fixed share, default 30%) given a TTL that has
 * passed when the scan starts (200 ms), and a fifth of the others TTLs from 30 s to 30 days; active
 * expiry is off (DEBUG SET-ACTIVE-EXPIRE 0), so every expired key is still there for the scan
 * to reclaim. Each round checks that `num` is exactly `expired` and that the keyspace shrank by
 * as much.
 *
 * Per round, alternately: the straightforward client, keyheat's expire scan (in this process, its
 * defaults: an idle node is read at full speed). Prints the medians, keys visited per second
 * (the keyspace at the start, expired keys included: SCAN visits them too) and the ratios.
 * The goal: at least 3x DCS's reference rate.
 *
 *   npx tsx bench/expire.ts [keys=1000000] [expired=300000] [--rounds=3] [--count=100]
 */
import { analyzeExpiredKeys } from '../src/engine/expire-scan.js';
import type { ExpireScanResult } from '../src/domain/expire-report.js';
import type { Arg } from '../src/redis/resp-encoder.js';
import { startRedis, type RedisServer } from '../test/helpers/redis-server.js';
import { median, timed } from './bench-redis.js';

const positional = process.argv.slice(2).filter((a) => !a.startsWith('--'));
const keys = Number(positional[0] ?? 1_000_000);
const expired = Number(positional[1] ?? Math.round(keys * 0.3));
const rounds = Number(process.argv.find((a) => a.startsWith('--rounds='))?.slice('--rounds='.length) ?? 3);
const count = Number(process.argv.find((a) => a.startsWith('--count='))?.slice('--count='.length) ?? 100);
/** DCS: 200 SCAN pages a second (its documented rate for the expired key scan). */
const DCS_RATE = 200 * count;
/**
 * The lapsing keys' TTL: long enough that none has lapsed before the last PEXPIRE batch is in
 * (a key whose TTL passed while its PEXPIRE ran is deleted at once, never seen by the scan).
 */
const LAPSE_MS = 200;
const TTLS_MS = [30_000, 10 * 60_000, 2 * 3_600_000, 3 * 86_400_000, 30 * 86_400_000];

/** A fresh keyspace: `keys` keys, `expired` of them lapsed, a fifth of the rest with TTLs. */
async function build(redis: RedisServer): Promise<void> {
  const connection = await redis.connect();
  try {
    await connection.call(['FLUSHALL']);
    await connection.call(['DEBUG', 'POPULATE', keys, 'key', 10]);
    const commands: Arg[][] = [];
    // Every (keys / expired)-th key lapses, so expired keys are spread over the whole table.
    const lapsing = new Set<number>();
    for (let i = 0; i < expired; i++) lapsing.add(Math.floor((i * keys) / expired));
    for (const i of lapsing) commands.push(['PEXPIRE', `key:${i}`, LAPSE_MS]);
    // Not a lapsing key: PEXPIRE on one that has lapsed would reclaim it before the scan.
    for (let i = 0; i < keys; i += 5) if (!lapsing.has(i)) commands.push(['PEXPIRE', `key:${i}`, TTLS_MS[(i / 5) % TTLS_MS.length] as number]);
    for (let i = 0; i < commands.length; i += 10_000) await connection.pipeline(commands.slice(i, i + 10_000));
  } finally {
    connection.close();
  }
  await new Promise((r) => setTimeout(r, 2 * LAPSE_MS));
}

async function dbsize(redis: RedisServer): Promise<number> {
  return (await redis.command(['DBSIZE'])) as number;
}

/** SCAN COUNT `count`, the page's PTTLs in one pipeline, the next SCAN: keys returned. */
async function sequentialScan(redis: RedisServer): Promise<number> {
  const connection = await redis.connect();
  let returned = 0;
  try {
    let cursor = '0';
    do {
      const [next, names] = (await connection.call(['SCAN', cursor, 'COUNT', count])) as [Buffer, Buffer[]];
      cursor = next.toString();
      returned += names.length;
      if (names.length > 0) await connection.pipeline(names.map((name) => ['PTTL', name]));
    } while (cursor !== '0');
  } finally {
    connection.close();
  }
  return returned;
}

const redis = await startRedis({ extraArgs: ['--enable-debug-command', 'yes'] });
try {
  await redis.command(['DEBUG', 'SET-ACTIVE-EXPIRE', '0']);
  const sequentialTimes: number[] = [];
  const keyheatTimes: number[] = [];
  let last: ExpireScanResult | null = null;
  for (let round = 1; round <= rounds; round++) {
    await build(redis);
    const sequential = await timed(() => sequentialScan(redis));
    sequentialTimes.push(sequential.ms);
    await build(redis);
    const before = await dbsize(redis);
    const keyheat = await timed(() => analyzeExpiredKeys({ endpoint: redis.endpoint }, { scanKeysCount: count }));
    const after = await dbsize(redis);
    keyheatTimes.push(keyheat.ms);
    last = keyheat.value;
    const exact = before === keys && keyheat.value.num === expired && before - after === expired;
    console.log(
      `round ${round}: sequential SCAN + PTTL ${(sequential.ms / 1000).toFixed(2)} s (${sequential.value} keys), ` +
        `keyheat expire scan ${(keyheat.ms / 1000).toFixed(2)} s (num ${keyheat.value.num}, scanned ${keyheat.value.scannedKeys}, dbsize ${before} -> ${after}: ${exact ? 'exact' : 'MISMATCH'})`,
    );
  }
  const sequentialMedian = median(sequentialTimes);
  const keyheatMedian = median(keyheatTimes);
  const rate = (keys * 1000) / keyheatMedian;
  console.log(`\n${keys.toLocaleString('en-US')} keys, ${expired.toLocaleString('en-US')} expired, COUNT ${count}, ${rounds} rounds`);
  console.log(`sequential SCAN COUNT ${count} + PTTL median: ${(sequentialMedian / 1000).toFixed(2)} s (${Math.round((keys * 1000) / sequentialMedian).toLocaleString('en-US')} keys/s)`);
  console.log(`keyheat expire scan median: ${(keyheatMedian / 1000).toFixed(2)} s (${Math.round(rate).toLocaleString('en-US')} keys/s visited)`);
  console.log(`vs DCS's reference rate (${DCS_RATE.toLocaleString('en-US')} keys/s): ${(rate / DCS_RATE).toFixed(2)}x (goal: >= 3x)`);
  console.log(`vs the sequential client (same commands, one round trip after another): ${(sequentialMedian / keyheatMedian).toFixed(2)}x`);
  if (last !== null) {
    const node = last.nodes[0];
    console.log(`last round: cpu_share ${node?.cpuShare ?? 'n/a'}, longest block ${node?.longestBlockUs ?? 'n/a'} us, histogram ${JSON.stringify(last.ttl.totals.histogram)}`);
  }
} finally {
  await redis.stop();
}
