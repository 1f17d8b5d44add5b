/** `keyheat scan` as a user runs it: output, filters and exit codes, against real Redis servers. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { scanCommand } from '../../src/cli/scan-command.js';
import { UsageError } from '../../src/cli/usage-error.js';
import { runKeyheatToEnd } from '../helpers/keyheat-process.js';
import { startRedis, type RedisServer } from '../helpers/redis-server.js';
import { seedRedis } from '../helpers/seed-keys.js';

describe('keyheat scan on a standalone Redis', () => {
  let redis: RedisServer;
  beforeAll(async () => {
    redis = await startRedis({ password: 'pw-scan-1', lfuLogFactor: 0, lfuDecayTime: 0 });
    await seedRedis(redis, [
      { name: 'user:1', db: 0, type: 'hash', size: 3, hits: 40 },
      { name: 'user:2', db: 4, type: 'string', size: 9, hits: 30 },
      { name: 'cart:1', db: 0, type: 'list', size: 2, hits: 50 },
    ], 2000);
  });
  afterAll(async () => redis?.stop());

  it('prints every database hot key as JSON', async () => {
    const { code, output } = await runKeyheatToEnd(['scan', redis.url, '--json']);
    expect(code).toBe(0);
    const result = JSON.parse(output) as Record<string, unknown>;
    expect(result['mode']).toBe('single');
    // The API's shapes: keys as in a task's keys, counters as in its analysis.
    expect(result['analysis']).toMatchObject({ scanned_keys: 2003, vanished_keys: 0, changed_keys: 0 });
    expect(typeof (result['analysis'] as Record<string, unknown>)['duration_ms']).toBe('number');
    const keys = result['keys'] as Record<string, unknown>[];
    expect(keys.map((k) => [k['name'], k['db'], k['type'], k['size'], k['unit']])).toEqual([
      ['cart:1', 0, 'list', 2, 'count'],
      ['user:1', 0, 'hash', 3, 'count'],
      ['user:2', 4, 'string', 9, 'byte'],
    ]);
    expect(keys.every((k) => !('shard' in k))).toBe(true);
  });

  it('filters with --pattern, limits with --top, and takes the password from the environment', async () => {
    const url = `redis://127.0.0.1:${redis.port}`;
    const { code, output } = await runKeyheatToEnd(['scan', url, '--json', '--pattern', 'user:*', '--top', '1'], { env: { KEYHEAT_REDIS_PASSWORD: 'pw-scan-1' } });
    expect(code).toBe(0);
    const result = JSON.parse(output) as { keys: { name: string }[]; analysis: { scanned_keys: number } };
    expect(result.keys.map((k) => k.name)).toEqual(['user:1']);
    expect(result.analysis.scanned_keys).toBe(2);
  });

  it('prints a table for people', async () => {
    const { code, output } = await runKeyheatToEnd(['scan', redis.url]);
    expect(code).toBe(0);
    // This Redis never decays its counters (lfu-decay-time 0): the estimate is a count of accesses.
    expect(output).toMatch(/#\s+freq\s+est acc\s+type\s+size\s+db\s+key/);
    expect(output).toMatch(/1\s+56\s+~51\s+list\s+2 items\s+0\s+cart:1/);
    expect(output).toMatch(/cart: 1 warm key, ~51 accesses, 41\.1%/);
    expect(output).toMatch(/3 hot keys among 2,003 keys \(single, 1 node\)/);
    expect(output).not.toContain('pw-scan-1');
  });

  it('exits 3 when the Redis cannot be reached or refuses the password', async () => {
    const refused = await runKeyheatToEnd(['scan', 'redis://127.0.0.1:1']);
    expect(refused.code).toBe(3);
    expect(refused.output).toMatch(/cannot reach Redis: connecting to 127\.0\.0\.1:1 failed \(ECONNREFUSED\)/);
    const wrong = await runKeyheatToEnd(['scan', `redis://:nope@127.0.0.1:${redis.port}`]);
    expect(wrong.code).toBe(3);
    expect(wrong.output).toMatch(/Redis refused the credentials: 127\.0\.0\.1:\d+ answered AUTH with WRONGPASS/);
    expect(wrong.output).not.toContain('nope');
  });

  it('exits 2 on a bad command line', async () => {
    // The process's exit code once; the other refusals in-process (a process each took seconds under load).
    expect((await runKeyheatToEnd(['scan', redis.url, '--top', '0'])).code).toBe(2);
    for (const args of [[], ['http://x'], [redis.url, '--rate', 'fast'], [redis.url, '--nope'], [redis.url, '--prefix-depth', '4'], [redis.url, '--prefix-delimiters', 'a b']]) {
      await expect(scanCommand(args), args.join(' ')).rejects.toBeInstanceOf(UsageError);
    }
  });
});

describe('keyheat scan on a Redis without an LFU policy', () => {
  it('exits 4 and says how to fix it', async () => {
    const lru = await startRedis({ policy: 'volatile-lru' });
    try {
      const { code, output } = await runKeyheatToEnd(['scan', lru.url]);
      expect(code).toBe(4);
      expect(output).toMatch(/maxmemory-policy volatile-lru/);
      expect(output).toMatch(/CONFIG SET maxmemory-policy allkeys-lfu/);
    } finally {
      await lru.stop();
    }
  });
});

describe('keyheat scan on key names written to move the cursor', () => {
  it('shows namespaces and advice with control characters escaped', async () => {
    const redis = await startRedis({ lfuLogFactor: 0, lfuDecayTime: 0 });
    try {
      // One namespace carries all the heat, so the advice names it too.
      await seedRedis(redis, [{ name: '\x1b[2J\u202e:1', db: 0, type: 'string', size: 1, hits: 20 }]);
      const { code, output } = await runKeyheatToEnd(['scan', redis.url]);
      expect(code).toBe(0);
      expect(output.includes('\x1b') || output.includes('\u202e')).toBe(false);
      expect(output).toContain('\\x1b[2J\\u202e: 1 warm key');
      expect(output).toMatch(/Advice \(namespace-dominates\): The namespace "\\x1b\[2J\\u202e" carries 100%/);
      // Other delimiters, as analysis.prefix_delimiters: '[' ends the namespace after ESC.
      const json = await runKeyheatToEnd(['scan', redis.url, '--json', '--prefix-delimiters', '[/']);
      expect((JSON.parse(json.output) as { prefixes: { prefix: string }[] }).prefixes.map((p) => p.prefix)).toEqual(['\x1b']);
    } finally {
      await redis.stop();
    }
  });
});
