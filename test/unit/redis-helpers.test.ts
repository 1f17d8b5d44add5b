import { describe, expect, it } from 'vitest';
import { classifyRedisError, redirectTarget } from '../../src/redis/classify-redis-error.js';
import { hotkeyUnsupportedReason } from '../../src/redis/preflight.js';
import { ConnectionError } from '../../src/redis/resp-connection.js';
import { RedisReplyError } from '../../src/redis/resp-parser.js';
import { parseRedisUrl, redactedUrl } from '../../src/redis/redis-url.js';
import { parseInfo, serverFacts, versionAtLeast } from '../../src/redis/server-info.js';

describe('INFO parsing', () => {
  const info = parseInfo('# Server\r\nredis_version:7.0.15\r\nredis_mode:standalone\r\n\r\n# Memory\r\nmaxmemory_policy:allkeys-lfu\r\n# Keyspace\r\ndb3:keys=7,expires=0,avg_ttl=0\r\ndb0:keys=12,expires=1,avg_ttl=5\r\ndb5:keys=0,expires=0,avg_ttl=0\r\n');
  it('reads version, mode, policy and non-empty databases in order', () => {
    expect(serverFacts(info)).toEqual({
      version: '7.0.15',
      mode: 'standalone',
      role: 'master',
      maxmemoryPolicy: 'allkeys-lfu',
      keyspace: [
        { db: 0, keys: 12 },
        { db: 3, keys: 7 },
      ],
    });
  });

  it('compares versions numerically', () => {
    expect(versionAtLeast('7.0.15', '7.2.0')).toBe(false);
    expect(versionAtLeast('7.10.0', '7.2.0')).toBe(true);
    expect(versionAtLeast('4.0.0', '4.0.0')).toBe(true);
    expect(versionAtLeast('3.2.12', '4.0.0')).toBe(false);
  });

  it('says why hot key analysis cannot run', () => {
    const facts = serverFacts(info);
    expect(hotkeyUnsupportedReason(facts, 'h:1')).toBeNull();
    expect(hotkeyUnsupportedReason({ ...facts, maxmemoryPolicy: 'volatile-lfu' }, 'h:1')).toBeNull();
    expect(hotkeyUnsupportedReason({ ...facts, maxmemoryPolicy: 'allkeys-lru' }, 'h:1')).toMatch(/h:1 has maxmemory-policy allkeys-lru/);
    expect(hotkeyUnsupportedReason({ ...facts, version: '3.0.7' }, 'h:1')).toMatch(/Redis 3\.0\.7.*4\.0\.0 or later/);
    expect(hotkeyUnsupportedReason({ ...facts, role: 'slave' }, 'h:1')).toMatch(/h:1 is a replica; analyse its primary/);
  });
});

describe('classifyRedisError', () => {
  it.each([
    [new RedisReplyError('WRONGPASS invalid username-password pair'), 'auth'],
    [new RedisReplyError('NOAUTH Authentication required.'), 'auth'],
    [new RedisReplyError('ERR invalid password'), 'auth'],
    [new RedisReplyError('NOPERM this user has no permissions to run the \'info\' command'), 'no-permission'],
    [new RedisReplyError('ERR An LFU maxmemory policy is not selected, access frequency not tracked.'), 'lfu-not-selected'],
    [new RedisReplyError("ERR unknown subcommand 'NO-TOUCH'. Try CLIENT HELP."), 'unknown-command'],
    [new RedisReplyError('MOVED 3999 127.0.0.1:6381'), 'moved'],
    [new RedisReplyError('LOADING Redis is loading the dataset in memory'), 'loading'],
    [new ConnectionError('cannot connect', { code: 'ECONNREFUSED' }), 'unreachable'],
    [new ConnectionError('no answer', { code: 'ETIMEDOUT' }), 'timeout'],
    [new ConnectionError('closed', { code: 'ECLOSED' }), 'cancelled'],
    [new Error('something else'), 'other'],
  ] as const)('%s -> %s', (error, kind) => {
    expect(classifyRedisError(error, '10.0.0.1:6379').kind).toBe(kind);
  });

  it('reads the target of a redirect', () => {
    expect(redirectTarget(classifyRedisError(new RedisReplyError('ASK 12 10.0.0.2:7000'), 'x'))).toEqual({ slot: 12, address: '10.0.0.2:7000' });
  });
});

describe('parseRedisUrl', () => {
  it('reads host, port, TLS and credentials', () => {
    expect(parseRedisUrl('rediss://alice:s%40cret@cache.example:6380/2')).toEqual({
      host: 'cache.example',
      port: 6380,
      tls: true,
      username: 'alice',
      password: 's@cret',
    });
    expect(parseRedisUrl('redis://:pw@[::1]')).toEqual({ host: '::1', port: 6379, tls: false, username: null, password: 'pw' });
  });

  it('lets a separate password override the URL', () => {
    expect(parseRedisUrl('redis://:old@h:1', 'new').password).toBe('new');
  });

  it('refuses what it cannot use, with a reason', () => {
    expect(() => parseRedisUrl('http://h:1')).toThrow(/unsupported scheme http/);
    expect(() => parseRedisUrl('not a url')).toThrow(/redis:\/\/host:port/);
    expect(() => parseRedisUrl('redis://h:1/x')).toThrow(/database number/);
  });

  it('never shows credentials in the redacted form', () => {
    expect(redactedUrl(parseRedisUrl('redis://u:secret@h:7'))).toBe('redis://h:7');
  });
});
