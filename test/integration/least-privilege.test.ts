/**
 * Each analysis run as an ACL user holding exactly the rules docs/acl.md gives for it
 * (src/domain/acl-rules.ts), on every ACL version of the matrix: Redis 6.2, the system's 7.0,
 * 7.2, 7.4 and Valkey 8. A denied command is named with the rule that allows it, in each
 * version's wording; the optional commands are done without, saying which rule would restore
 * them: CONFIG GET (LFU settings assumed), CLIENT NO-TOUCH, MEMORY USAGE (--memory).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { aclFamilyOf, aclSetuser, type AclFamily, type AclFeature } from '../../src/domain/acl-rules.js';
import { analyzeExpiredKeys } from '../../src/engine/expire-scan.js';
import { analyzeOfflineNode } from '../../src/engine/offline-analysis.js';
import type { RedisEndpoint } from '../../src/domain/instance.js';
import { RedisFailure } from '../../src/domain/redis-failure.js';
import { analyzeBigKeys } from '../../src/engine/analyze-bigkeys.js';
import { analyzeDeployment } from '../../src/engine/analyze-deployment.js';
import { startRedis, type RedisServer } from '../helpers/redis-server.js';
import { matrixVersions } from '../helpers/redis-versions.js';
import { seedRedis } from '../helpers/seed-keys.js';

/** The system's redis-server (7.0) always; the matrix's ACL versions where the matrix is found. */
const VERSIONS: { name: string; server?: string }[] = [
  { name: 'system 7.0' },
  ...matrixVersions()
    .filter((v) => ['redis-6.2.16', 'redis-7.2.6', 'redis-7.4.1', 'valkey-8.0.1'].includes(v.name))
    .map((v) => ({ name: v.name, server: v.server })),
];
if (VERSIONS.length === 1) process.stderr.write('least-privilege: the version matrix was not found; only the system redis-server is tested\n');

describe.each(VERSIONS)('an ACL user with exactly the documented rules, on $name', ({ server }) => {
  let redis: RedisServer;
  let family: AclFamily;
  const PASSWORD = 'acl-user-password';

  /** A user holding the rules of `features`, minus `without`. */
  async function user(name: string, features: readonly AclFeature[], without: readonly string[] = []): Promise<RedisEndpoint> {
    const rules = aclSetuser(family, features).filter((rule) => !without.includes(rule));
    await redis.command(['ACL', 'SETUSER', name, 'reset', 'on', `>${PASSWORD}`, ...rules]);
    return { ...redis.endpoint, username: name, password: PASSWORD };
  }

  beforeAll(async () => {
    redis = await startRedis({
      ...(server === undefined ? {} : { server }),
      lfuLogFactor: 0,
      lfuDecayTime: 0,
      extraArgs: ['--repl-diskless-sync', 'yes', '--repl-diskless-sync-delay', '0'],
    });
    const info = String(await redis.command(['INFO', 'server']));
    family = aclFamilyOf(/redis_version:([\d.]+)/.exec(info)?.[1] ?? '') ?? '6.2';
    await seedRedis(redis, [
      { name: 'acl:hot', db: 0, type: 'string', size: 8, hits: 20 },
      { name: 'acl:big', db: 0, type: 'list', size: 6000, hits: 0 },
      { name: 'acl:db2', db: 2, type: 'hash', size: 3, hits: 4 },
    ]);
  }, 60_000);

  afterAll(async () => {
    await redis?.stop();
  });

  it('runs a hot key scan', async () => {
    const result = await analyzeDeployment({ endpoint: await user('hot', ['hot']) });
    expect(result.keys.map((k) => [k.name, k.db, k.freq])).toEqual([
      ['acl:hot', 0, 25],
      ['acl:db2', 2, 9],
    ]);
    expect(result.insights.advice.map((a) => a.code)).not.toContain('lfu-assumed');
    expect(result.insights.advice.map((a) => a.code)).not.toContain('no-touch-denied');
  });

  it('runs a big key scan, with --memory', async () => {
    const result = await analyzeBigKeys({ endpoint: await user('big', ['big']) }, { memoryUsage: true });
    expect(result.keys.map((k) => [k.name, k.size, k.memoryBytes !== undefined, k.ttl])).toEqual([['acl:big', 6000, true, -1]]);
    expect(result.stats.nodes.map((n) => [n.noTouch, n.noTouchDenied ?? false])).toEqual([[family === '7.2+', false]]);
  });

  it('runs a sampling phase and the LFU scan after it', async () => {
    const result = await analyzeDeployment({ endpoint: await user('sampling', ['sampling', 'hot']) }, { sampleSeconds: 1 });
    expect(result.insights.sampling?.sample.nodes).toBe(1);
    expect(result.keys.map((k) => k.name)).toContain('acl:hot');
  });

  it('takes a snapshot, hot and big keys from it', async () => {
    const endpoint = await user('snapshot', ['snapshot']);
    const hot = await analyzeDeployment({ endpoint }, { strategy: 'snapshot' });
    // Before 7.2 the big key scans above read acl:big's size without NO-TOUCH: it is warm there too.
    expect(hot.keys.map((k) => k.name).slice(0, 2)).toEqual(['acl:hot', 'acl:db2']);
    const big = await analyzeBigKeys({ endpoint }, { strategy: 'snapshot' });
    expect(big.keys.map((k) => [k.name, k.size])).toEqual([['acl:big', 6000]]);
  });

  it('runs an expired key scan, and an offline analysis of a fresh RDB with the snapshot rules', async () => {
    const expire = await analyzeExpiredKeys({ endpoint: await user('expire', ['expire']) });
    expect(expire.scannedKeys).toBe(3);
    const offline = await analyzeOfflineNode({ endpoint: await user('offline', ['snapshot']) }, `${redis.host}:${redis.port}`);
    expect(offline.report.totalNum).toBe(3);
  });

  it('names a denied command with the rule that allows it', async () => {
    const noInfo = await analyzeDeployment({ endpoint: await user('no-info', ['hot'], ['+info']) }).catch((e: unknown) => e);
    expect(noInfo).toBeInstanceOf(RedisFailure);
    expect(noInfo).toMatchObject({ kind: 'no-permission', message: expect.stringMatching(/the ACL user may not run INFO.*add \+info/) });
    const noFreq = await analyzeDeployment({ endpoint: await user('no-freq', ['hot'], ['+object|freq']) }).catch((e: unknown) => e);
    expect(noFreq).toMatchObject({
      kind: 'no-permission',
      message: family === '6.2' ? expect.stringMatching(/may not run OBJECT or the subcommand used: add \+object/) : expect.stringMatching(/may not run OBJECT FREQ: add \+object\|freq/),
    });
    const noSync = await analyzeDeployment({ endpoint: await user('no-sync', ['snapshot'], ['+sync']) }, { strategy: 'snapshot' }).catch((e: unknown) => e);
    expect(noSync).toMatchObject({ kind: 'no-permission', message: expect.stringMatching(/SYNC.*\+sync/) });
  });

  it('does without CONFIG GET, CLIENT NO-TOUCH and MEMORY USAGE, saying which rule would restore each', async () => {
    const noConfig = await analyzeDeployment({ endpoint: await user('no-config', ['hot'], ['+config|get']) });
    expect(noConfig.insights.lfu.map((l) => l.source)).toEqual(['assumed']);
    expect(noConfig.insights.advice.find((a) => a.code === 'lfu-assumed')?.message).toMatch(/\+config\|get/);

    const noMemory = await analyzeBigKeys({ endpoint: await user('no-memory', ['big'], ['+memory|usage']) }, { memoryUsage: true });
    expect(noMemory.keys.map((k) => [k.name, k.memoryBytes])).toEqual([['acl:big', undefined]]);
    expect(noMemory.advice.find((a) => a.code === 'memory-usage-denied')?.message).toMatch(/--memory .* may not run MEMORY USAGE .*\+memory\|usage/);

    if (family !== '7.2+') return; // no CLIENT NO-TOUCH before Redis 7.2: nothing to deny
    const endpoint = await user('no-touch', ['big', 'hot'], ['+client|no-touch']);
    const big = await analyzeBigKeys({ endpoint }, { preferReplicas: false });
    expect(big.stats.nodes.map((n) => [n.noTouch, n.noTouchDenied])).toEqual([[false, true]]);
    expect(big.advice.find((a) => a.code === 'scanned-primary')?.message).toMatch(/may not run CLIENT NO-TOUCH there \(add \+client\|no-touch\)/);
    const hot = await analyzeDeployment({ endpoint });
    expect(hot.insights.advice.find((a) => a.code === 'no-touch-denied')?.message).toMatch(/may not run CLIENT NO-TOUCH on 127\.0\.0\.1:\d+ \(add \+client\|no-touch\)/);
  });
});
