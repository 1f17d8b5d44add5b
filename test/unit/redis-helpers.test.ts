import { describe, expect, it } from 'vitest';
import { classifyAuthReply, classifyReply, parseRedirect } from '../../src/redis/classify-redis-error.js';
import { hotkeyUnsupportedReason } from '../../src/redis/preflight.js';
import { DEFAULT_TLS, type RedisEngine } from '../../src/domain/instance.js';
import { rdbVersionWritten, refuseUnreadableRdb } from '../../src/redis/rdb-versions.js';
import { RedisReplyError } from '../../src/redis/resp-parser.js';
import { CredentialError, parseRedisUrl, redactedUrl } from '../../src/redis/redis-url.js';
import { parseInfo, serverFacts, versionAtLeast } from '../../src/redis/server-info.js';

describe('INFO parsing', () => {
  const info = parseInfo('# Server\r\nredis_version:7.0.15\r\nredis_mode:standalone\r\n\r\n# Memory\r\nmaxmemory_policy:allkeys-lfu\r\n# Keyspace\r\ndb3:keys=7,expires=0,avg_ttl=0\r\ndb0:keys=12,expires=1,avg_ttl=5\r\ndb5:keys=0,expires=0,avg_ttl=0\r\n');
  it('reads version, mode, policy and non-empty databases in order', () => {
    expect(serverFacts(info)).toEqual({
      engine: 'Redis',
      version: '7.0.15',
      redisVersion: '7.0.15',
      mode: 'standalone',
      role: 'master',
      maxmemoryPolicy: 'allkeys-lfu',
      keyspace: [
        { db: 0, keys: 12 },
        { db: 3, keys: 7 },
      ],
      replicas: [],
    });
  });

  it('lists online replicas from INFO replication, and nothing a server could smuggle in', () => {
    const facts = serverFacts(
      parseInfo(
        '# Replication\r\nrole:master\r\nconnected_slaves:4\r\n' +
          'slave0:ip=10.0.0.8,port=6380,state=online,offset=1,lag=0\r\n' +
          'slave1:ip=::1,port=6381,state=online,offset=1,lag=0\r\n' +
          'slave2:ip=10.0.0.9,port=6382,state=wait_bgsave,offset=0,lag=0\r\n' +
          'slave3:ip=10.0.0.9 evil,port=70000,state=online\r\n',
      ),
    );
    expect(facts.replicas).toEqual(['10.0.0.8:6380', '[::1]:6381']);
  });

  it('tells Valkey by server_name and valkey_version, its mode from server_mode, and keeps redis_version for feature checks', () => {
    const valkey = parseInfo(
      '# Server\r\nredis_version:7.2.4\r\nserver_name:valkey\r\nvalkey_version:8.0.1\r\nvalkey_release_stage:ga\r\nserver_mode:cluster\r\n# Replication\r\nrole:master\r\n',
    );
    expect(serverFacts(valkey)).toMatchObject({ engine: 'Valkey', version: '8.0.1', redisVersion: '7.2.4', mode: 'cluster' });
    const sentinel = parseInfo('# Server\r\nredis_version:7.2.4\r\nserver_name:valkey\r\nvalkey_version:8.0.1\r\nserver_mode:sentinel\r\n');
    expect(serverFacts(sentinel).mode).toBe('sentinel');
    // With extended-redis-compatibility Valkey writes redis_mode too; a version that is not dotted digits is not shown.
    expect(serverFacts(parseInfo('redis_version:7.2.4\r\nredis_mode:sentinel\r\nserver_name:valkey\r\nvalkey_version:8.0.1\x1b[2J\r\n'))).toMatchObject({
      engine: 'Valkey',
      version: '7.2.4',
      mode: 'sentinel',
    });
  });

  it('knows which RDB format each server writes, and none for releases newer than keyheat knows', () => {
    const cases: [RedisEngine, string, number | null][] = [
      ['Redis', '4.0.14', 8],
      ['Redis', '5.0.14', 9],
      ['Redis', '6.2.16', 9],
      ['Redis', '7.0.15', 10],
      ['Redis', '7.2.6', 11],
      ['Redis', '7.4.1', 12],
      ['Redis', '8.4.0', 12],
      ['Redis', '8.6.2', 13],
      ['Redis', '8.8.0', null],
      ['Redis', '', null],
      ['Valkey', '8.0.1', 11],
      ['Valkey', '9.0.0', 80],
      ['Valkey', '9.2.1', 81],
      ['Valkey', '9.4.0', null],
    ];
    for (const [engine, version, rdb] of cases) expect(rdbVersionWritten({ engine, version }), `${engine} ${version}`).toBe(rdb);
    expect(() => refuseUnreadableRdb({ engine: 'Valkey', version: '10.0.0' }, 'h:1')).toThrow(/h:1 runs Valkey 10\.0\.0, whose RDB format keyheat does not know.*use the scan strategy/);
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
    expect(hotkeyUnsupportedReason({ ...facts, version: '3.0.7', redisVersion: '3.0.7' }, 'h:1')).toMatch(/Redis 3\.0\.7.*4\.0\.0 or later/);
    expect(hotkeyUnsupportedReason({ ...facts, role: 'slave' }, 'h:1')).toMatch(/h:1 is a replica; analyse its primary/);
  });
});

describe('classifyReply', () => {
  it.each([
    ['WRONGPASS invalid username-password pair', 'auth'],
    ['NOAUTH Authentication required.', 'auth'],
    ['ERR invalid password', 'auth'],
    ["NOPERM this user has no permissions to run the 'info' command", 'no-permission'],
    ['ERR An LFU maxmemory policy is not selected, access frequency not tracked.', 'unsupported'],
    ["ERR unknown subcommand 'NO-TOUCH'. Try CLIENT HELP.", 'unsupported'],
    ['CLUSTERDOWN The cluster is down', 'cluster-down'],
    ['LOADING Redis is loading the dataset in memory', 'loading'],
    ['BUSY Redis is busy running a script.', 'busy'],
    ['ERR something else', 'other'],
  ] as const)('%s -> %s', (text, kind) => {
    const failure = classifyReply(new RedisReplyError(text), '10.0.0.1:6379');
    expect(failure.kind).toBe(kind);
    expect(failure.node).toBe('10.0.0.1:6379');
    expect(failure.message).toContain('10.0.0.1:6379');
  });

  it('names the command an ACL denies and the rule that allows it, in every version\'s wording', () => {
    const said = (text: string): string => classifyReply(new RedisReplyError(text), 'h:1').message;
    expect(said("NOPERM User keyheat has no permissions to run the 'info' command")).toBe('h:1: the ACL user may not run INFO: add +info (docs/acl.md lists what each analysis needs)');
    expect(said("NOPERM this user has no permissions to run the 'object|freq' command")).toMatch(/may not run OBJECT FREQ: add \+object\|freq/);
    expect(said("NOPERM this user has no permissions to run the 'object' command or its subcommand")).toMatch(/may not run OBJECT or the subcommand used: add \+object, or the subcommand/);
    expect(said('NOPERM No permissions to access a key')).toMatch(/may not read the keys: add %R~\*/);
    expect(said('NOPERM this user has no permissions to access one of the keys used as arguments')).toMatch(/may not read the keys/);
  });

  it('cuts the password out of server text and escapes control and bidi characters', () => {
    const failure = classifyReply(new RedisReplyError("ERR unknown command 'X', with args beginning with: 'hunter2-s3cret' \u202e\x1b[2J"), 'h:1', ['hunter2-s3cret']);
    expect(failure.message).not.toContain('hunter2');
    expect(failure.message).toContain('***');
    expect(failure.message).not.toContain('\u202e');
    expect(failure.message).not.toContain('\x1b');
    expect(failure.message).toContain('\\u202e');
  });

  it('cuts out a long password echoed only in part', () => {
    const password = 'p'.repeat(40) + 'q'.repeat(200);
    const echoed = `ERR unknown command 'AUTH', with args beginning with: '${password.slice(0, 128)}'`;
    expect(classifyReply(new RedisReplyError(echoed), 'h:1', [password]).message).not.toContain('pppppppp');
  });

  it('never shows the text of an AUTH error, which may echo the password', () => {
    const renamed = classifyAuthReply(new RedisReplyError("ERR unknown command 'AUTH', with args beginning with: 'my-password'"), 'h:1');
    expect(renamed.kind).toBe('auth');
    expect(renamed.message).not.toContain('my-password');
    const wrong = classifyAuthReply(new RedisReplyError('WRONGPASS invalid username-password pair or user is disabled.'), 'h:1');
    expect(wrong).toMatchObject({ kind: 'auth', message: 'h:1 answered AUTH with WRONGPASS' });
  });

  it('bounds the length of what it shows', () => {
    expect(classifyReply(new RedisReplyError(`ERR ${'x'.repeat(10_000)}`), 'h:1').message.length).toBeLessThan(400);
  });
});

describe('parseRedirect', () => {
  it('reads the target of MOVED and ASK, IPv6 and same-host forms included', () => {
    expect(parseRedirect(new RedisReplyError('ASK 12 10.0.0.2:7000'), 'x:1')).toEqual({ ask: true, slot: 12, address: '10.0.0.2:7000' });
    expect(parseRedirect(new RedisReplyError('MOVED 3999 [::1]:7001'), 'x:1')).toEqual({ ask: false, slot: 3999, address: '[::1]:7001' });
    expect(parseRedirect(new RedisReplyError('MOVED 3999 :7002'), '10.1.1.1:7000')).toEqual({ ask: false, slot: 3999, address: '10.1.1.1:7002' });
    expect(parseRedirect(new RedisReplyError('ERR nope'), 'x:1')).toBeNull();
  });

  it.each(['MOVED 99999 h:1', 'MOVED 1 h:0', 'MOVED 1 h:70000', 'ASK 1 h', 'MOVED 1 h:1 extra', 'MOVED 1 \x1b[2J:1'])('refuses the malformed redirect %s', (text) => {
    expect(() => parseRedirect(new RedisReplyError(text), 'x:1')).toThrow(/malformed redirect/);
  });
});

describe('parseRedisUrl', () => {
  it('reads host, port, TLS and credentials', () => {
    expect(parseRedisUrl('rediss://alice:s%40cret@cache.example:6380/2')).toEqual({
      host: 'cache.example',
      port: 6380,
      tls: DEFAULT_TLS,
      username: 'alice',
      password: 's@cret',
      sentinel: null,
    });
    expect(parseRedisUrl('redis://:pw@[::1]')).toEqual({ host: '::1', port: 6379, tls: null, username: null, password: 'pw', sentinel: null });
  });

  it('turns TLS on for redis:// when TLS settings are given', () => {
    const tls = { ...DEFAULT_TLS, servername: 'cache.internal' };
    expect(parseRedisUrl('redis://h:1', { tls }).tls).toEqual(tls);
  });

  it('reads redis+sentinel:// with several Sentinels, the master name and the data nodes\' credentials', () => {
    expect(parseRedisUrl('redis+sentinel://app:s%40cret@10.0.0.1:26379,[::1],sentinel-3:26380/my%20master/2', { sentinelPassword: 'sp' })).toEqual({
      host: '10.0.0.1',
      port: 26379,
      tls: null,
      username: 'app',
      password: 's@cret',
      sentinel: {
        masterName: 'my master',
        nodes: [
          { host: '10.0.0.1', port: 26379 },
          { host: '::1', port: 26379 },
          { host: 'sentinel-3', port: 26380 },
        ],
        password: 'sp',
      },
    });
    expect(parseRedisUrl('rediss+sentinel://h/m').tls).toEqual(DEFAULT_TLS);
    expect(redactedUrl(parseRedisUrl('redis+sentinel://:pw@a:1,b:2/mymaster', { sentinelPassword: 'x' }))).toBe('redis+sentinel://a:1,b:2/mymaster');
  });

  it('refuses a Sentinel URL without a master name, a malformed host list, and a Sentinel password elsewhere', () => {
    expect(() => parseRedisUrl('redis+sentinel://h:26379')).toThrow(/names the master after the hosts/);
    expect(() => parseRedisUrl('redis+sentinel://h:26379,/m')).toThrow(/is not host:port/);
    expect(() => parseRedisUrl('redis+sentinel://h:99999/m')).toThrow(/port must be 1 to 65535/);
    expect(() => parseRedisUrl('redis+sentinel://h/m/x')).toThrow(/database number/);
    expect(() => parseRedisUrl('redis://h:1', { sentinelPassword: 'x' })).toThrow(/redis\+sentinel/);
    expect(() => parseRedisUrl('redis+sentinel://h/m', { sentinelPassword: 'a\r\nb' })).toThrow(CredentialError);
  });

  it('lets a separate password override the URL', () => {
    expect(parseRedisUrl('redis://:old@h:1', { password: 'new' }).password).toBe('new');
  });

  it('refuses CR, LF and NUL in credentials, which a line-protocol listener would read as commands', () => {
    expect(() => parseRedisUrl('redis://:a%0d%0aFLUSHALL@h:1')).toThrow(CredentialError);
    expect(() => parseRedisUrl('redis://us%00er:pw@h:1')).toThrow(/user name may not contain CR, LF or NUL/);
    expect(() => parseRedisUrl('redis://h:1', { password: 'pw\nFLUSHALL' })).toThrow(/password may not contain/);
    expect(() => parseRedisUrl('redis://:%zz@h:1')).toThrow(/not valid percent-encoding/);
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
