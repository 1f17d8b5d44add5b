/**
 * `keyheat scan --snapshot` and `keyheat scan --rdb` as a user runs them: the same answer as a
 * scan, both results from one pass with --big, and clear exits for a missing, corrupt or
 * truncated file.
 */
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runKeyheatToEnd } from '../helpers/keyheat-process.js';
import { startRedis, type RedisServer } from '../helpers/redis-server.js';
import { seedRedis } from '../helpers/seed-keys.js';

type Json = Record<string, unknown>;

describe('keyheat scan --snapshot and --rdb', () => {
  let redis: RedisServer;
  let dir: string;
  let dump: string;

  beforeAll(async () => {
    redis = await startRedis({ lfuLogFactor: 0, lfuDecayTime: 0, extraArgs: ['--repl-diskless-sync-delay', '0'] });
    await seedRedis(
      redis,
      [
        { name: 'user:1', db: 0, type: 'hash', size: 3, hits: 40 },
        { name: 'user:2', db: 4, type: 'string', size: 9, hits: 30 },
        { name: 'cart:1', db: 0, type: 'list', size: 7000, hits: 50 },
      ],
      2000,
    );
    dir = mkdtempSync(path.join(os.tmpdir(), 'keyheat-rdb-'));
    await redis.command(['SAVE']);
    const reply = (await redis.command(['CONFIG', 'GET', 'dir'])) as Buffer[];
    dump = path.join(dir, 'dump.rdb');
    copyFileSync(path.join((reply[1] as Buffer).toString(), 'dump.rdb'), dump);
  }, 60_000);

  afterAll(async () => {
    await redis?.stop();
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  });

  const hotKeys = (result: Json) => (result['keys'] as Json[]).map((k) => [k['name'], k['db'], k['type'], k['size'], k['freq']]);

  it('--snapshot prints what a scan prints, and --big adds the big keys from the same pass', async () => {
    // The snapshot first: on Redis < 7.2 a scan's TYPE and size probes touch the keys it reports (one more access each).
    const snap = await runKeyheatToEnd(['scan', redis.url, '--snapshot', '--json']);
    expect(snap.code, snap.output).toBe(0);
    const scan = await runKeyheatToEnd(['scan', redis.url, '--json']);
    expect(scan.code, scan.output).toBe(0);
    const scanned = JSON.parse(scan.stdout) as Json;
    const snapped = JSON.parse(snap.stdout) as Json;
    expect(hotKeys(snapped)).toEqual(hotKeys(scanned));
    expect(hotKeys(snapped).map((k) => k[0])).toEqual(['cart:1', 'user:1', 'user:2']);
    expect((snapped['snapshot'] as Json)['source']).toBe('live');

    const both = await runKeyheatToEnd(['scan', redis.url, '--snapshot', '--big', '--top', '2', '--json']);
    expect(both.code, both.output).toBe(0);
    const result = JSON.parse(both.stdout) as Json;
    expect(hotKeys(result).map((k) => k[0])).toEqual(['cart:1', 'user:1']);
    const big = result['bigkeys'] as Json;
    expect((big['keys'] as Json[]).map((k) => [k['name'], k['size']])).toEqual([['cart:1', 7000]]);
    // One RDB read for both results.
    expect(((result['snapshot'] as Json)['nodes'] as Json[]).length).toBe(1);

    const text = await runKeyheatToEnd(['scan', redis.url, '--snapshot']);
    expect(text.code, text.output).toBe(0);
    expect(text.stdout).toMatch(/Snapshots read:\n {2}127\.0\.0\.1:\d+ \(primary\): RDB v\d+ .*fork [\d.]+ ms/);
  }, 60_000);

  it('--rdb reads a saved file: the same keys and counters, without a Redis', async () => {
    const run = await runKeyheatToEnd(['scan', '--rdb', dump, '--big', '--json']);
    expect(run.code, run.output).toBe(0);
    const result = JSON.parse(run.stdout) as Json;
    expect(hotKeys(result)).toEqual([
      ['cart:1', 0, 'list', 7000, 55],
      ['user:1', 0, 'hash', 3, 45],
      ['user:2', 4, 'string', 9, 35],
    ]);
    expect(((result['bigkeys'] as Json)['keys'] as Json[]).map((k) => k['name'])).toEqual(['cart:1']);
    const node = ((result['snapshot'] as Json)['nodes'] as Json[])[0] as Json;
    expect(node).toMatchObject({ role: 'file', protocol: 'file', keys: 2003, fork_usec: null });
    expect(((result['advice'] as Json[]) ?? []).map((a) => a['code'])).toContain('snapshot-file');
    expect(((result['advice'] as Json[]) ?? []).map((a) => a['code'])).not.toContain('lfu-assumed');
  }, 30_000);

  it('fails clearly on a missing, corrupt or truncated file, and refuses flags that pace a scan', async () => {
    const missing = await runKeyheatToEnd(['scan', '--rdb', path.join(dir, 'nope.rdb')]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/nope\.rdb: ENOENT/);

    const bytes = readFileSync(dump);
    const truncated = path.join(dir, 'truncated.rdb');
    writeFileSync(truncated, bytes.subarray(0, Math.floor(bytes.length / 2)));
    const cut = await runKeyheatToEnd(['scan', '--rdb', truncated]);
    expect(cut.code).toBe(1);
    expect(cut.stderr).toMatch(/truncated\.rdb: .*the RDB ended while reading/);
    expect(cut.stdout).toBe('');

    // Corrupt where the outcome does not depend on the dump's layout, which varies between runs
    // (bytes flipped in the middle may make an unknown type, 'unsupported', instead of a corrupt
    // structure): a flipped byte of the CRC-64 that ends the file.
    const corrupt = path.join(dir, 'corrupt.rdb');
    const flipped = Buffer.from(bytes);
    const last = flipped.length - 1;
    flipped[last] = 0xff - (flipped[last] as number);
    writeFileSync(corrupt, flipped);
    const bad = await runKeyheatToEnd(['scan', '--rdb', corrupt]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/corrupt\.rdb: .*at byte \d+/);
    expect(bad.stdout).toBe('');

    // A version this parser does not read is unsupported, not corrupt (exit 4).
    const future = path.join(dir, 'future.rdb');
    const newer = Buffer.from(bytes);
    newer.write('0099', 5, 'latin1');
    writeFileSync(future, newer);
    const unknown = await runKeyheatToEnd(['scan', '--rdb', future]);
    expect(unknown.code).toBe(4);
    expect(unknown.stderr).toMatch(/future\.rdb: .*RDB version 99 is not supported.*at byte 0/);

    const paced = await runKeyheatToEnd(['scan', redis.url, '--snapshot', '--max-cpu-share', '0.2']);
    expect(paced.code).toBe(2);
    expect(paced.stderr).toMatch(/--max-cpu-share is for the scan strategy/);
  }, 30_000);
});
