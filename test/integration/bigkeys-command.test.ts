/** `keyheat scan --big` as a user runs it: JSON in the API's shapes, the table, usage errors. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { scanCommand } from '../../src/cli/scan-command.js';
import { runKeyheatToEnd } from '../helpers/keyheat-process.js';
import { startRedis, type RedisServer } from '../helpers/redis-server.js';
import { seedRedis } from '../helpers/seed-keys.js';

describe('keyheat scan --big', () => {
  let redis: RedisServer;
  beforeAll(async () => {
    // Any policy will do for big keys: this one has no LFU.
    redis = await startRedis({ password: 'pw-big-1', policy: 'volatile-lru' });
    await seedRedis(redis, [
      { name: 'user:1', db: 0, type: 'hash', size: 5001, hits: 0 },
      { name: 'blob:1', db: 2, type: 'string', size: 12_000, hits: 0 },
      { name: 'blob:2', db: 0, type: 'string', size: 11_000, hits: 0 },
      { name: '\x1b[2J:x', db: 0, type: 'list', size: 6000, hits: 0 },
    ], 300);
  });
  afterAll(async () => redis?.stop());

  it('prints the result as JSON in the API shapes', async () => {
    const { code, stdout } = await runKeyheatToEnd(['scan', redis.url, '--big', '--json']);
    expect(code).toBe(0);
    const result = JSON.parse(stdout) as Record<string, unknown>;
    expect(result['mode']).toBe('single');
    const keys = result['keys'] as Record<string, unknown>[];
    expect(keys.map((k) => [k['name'], k['type'], k['db'], k['size'], k['unit'], k['ttl']])).toEqual([
      ['blob:1', 'string', 2, 12_000, 'byte', -1],
      ['blob:2', 'string', 0, 11_000, 'byte', -1],
      ['\x1b[2J:x', 'list', 0, 6000, 'count', -1],
      ['user:1', 'hash', 0, 5001, 'count', -1],
    ]);
    expect(keys.every((k) => typeof k['memory_bytes'] === 'number' && !('shard' in k))).toBe(true);
    expect(result['analysis']).toMatchObject({ scanned_keys: 304, vanished_keys: 0, changed_keys: 0 });
    const nodes = (result['analysis'] as { nodes: Record<string, unknown>[] }).nodes;
    expect(nodes).toEqual([expect.objectContaining({ node: `127.0.0.1:${redis.port}`, role: 'primary', no_touch: false, replica_skipped: null, scanned_keys: 304 })]);
    expect(result['thresholds']).toEqual({ string_bytes: 10_240, collection_count: 5000, per_type: 20 });
    expect((result['types'] as Record<string, unknown>[]).map((t) => [t['type'], t['keys'], t['big_keys']])).toEqual([
      ['string', 302, 2],
      ['list', 1, 1],
      ['hash', 1, 1],
    ]);
    expect(result['prefixes_by']).toBe('size');
    expect((result['advice'] as { code: string }[]).map((a) => a.code)).toEqual(['big-keys-found', 'scanned-primary']);
  });

  it('takes thresholds, --per-type, --memory and --pattern', async () => {
    const { code, stdout } = await runKeyheatToEnd(['scan', redis.url, '--big', '--json', '--string-bytes', '11000', '--collection-count', '5001', '--per-type', '1', '--memory', '--pattern', '*:*']);
    expect(code).toBe(0);
    const result = JSON.parse(stdout) as { keys: { name: string }[]; types: { type: string; memory_bytes?: number }[]; prefixes_by: string; analysis: { scanned_keys: number } };
    expect(result.keys.map((k) => k.name)).toEqual(['blob:1', '\x1b[2J:x']);
    expect(result.prefixes_by).toBe('memory');
    expect(result.types.every((t) => typeof t.memory_bytes === 'number')).toBe(true);
    expect(result.analysis.scanned_keys).toBe(304);
  });

  it('prints a table for people, control characters escaped', async () => {
    const { code, stdout } = await runKeyheatToEnd(['scan', redis.url, '--big']);
    expect(code).toBe(0);
    expect(stdout).toMatch(/#\s+size\s+memory\s+ttl\s+type\s+db\s+key/);
    expect(stdout).toMatch(/1\s+11\.7 KB\s+\S+ KB\s+none\s+string\s+2\s+blob:1/);
    expect(stdout).toMatch(/3\s+6,000 items\s+.*list\s+0\s+\\x1b\[2J:x/);
    expect(stdout).toMatch(/4 big keys \(strings over 10,240 B, collections over 5,000 items, 20 per type\) among 304 keys \(single, 1 node\)/);
    expect(stdout).toMatch(/string: 302 keys, .* 2 big, largest blob:1 \(11\.7 KB\)/);
    expect(stdout).toMatch(/127\.0\.0\.1:\d+ \(primary\): 304 keys, no NO-TOUCH \(Redis < 7\.2\)/);
    expect(stdout).toMatch(/Advice \(big-keys-found\)/);
    expect(stdout.includes('\x1b')).toBe(false);
    expect(stdout).not.toContain('pw-big-1');
  });

  it('exits 3 when the Redis cannot be reached', async () => {
    const { code, output } = await runKeyheatToEnd(['scan', 'redis://127.0.0.1:1', '--big']);
    expect(code).toBe(3);
    expect(output).toMatch(/cannot reach Redis/);
  });

  it('exits 2 on a bad command line', async () => {
    for (const args of [
      ['scan', redis.url, '--big', '--top', '5'],
      ['scan', redis.url, '--big', '--sample', '5s'],
      ['scan', redis.url, '--string-bytes', '100'],
      ['scan', redis.url, '--memory'],
      ['scan', redis.url, '--primaries'],
      ['scan', redis.url, '--big', '--per-type', '0'],
      ['scan', redis.url, '--big', '--per-type', '1001'],
      ['scan', redis.url, '--big', '--collection-count', 'many'],
    ]) {
      // In-process: a process each took seconds under load; one runs below for the exit code.
      await expect(scanCommand(args.slice(1)), args.join(' ')).rejects.toThrow(/^(--top is for hot keys|--sample is for hot keys|--\S+ needs --big|--\S+ must be an integer)/);
    }
    const { code, output } = await runKeyheatToEnd(['scan', redis.url, '--memory']);
    expect(code).toBe(2);
    expect(output).toMatch(/keyheat: --memory needs --big/);
  });
});
