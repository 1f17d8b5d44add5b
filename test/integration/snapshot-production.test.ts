/**
 * The snapshot strategy where production differs from a lab: a node with a client `timeout`
 * shorter than the transfer, a node with diskless replication off, a primary without a
 * replication backlog, a task cancelled while the child is still streaming, and two snapshots
 * of nodes on one host at once. Real redis-server processes; `rdb-key-save-delay` (microseconds
 * per key, in the fork child) makes a transfer last long enough to watch.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { RedisFailure } from '../../src/domain/redis-failure.js';
import { analyzeDeployment } from '../../src/engine/analyze-deployment.js';
import { startRedis, type RedisServer } from '../helpers/redis-server.js';
import { restoreWithFreq } from '../helpers/seed-keys.js';

const servers: RedisServer[] = [];
afterAll(async () => {
  await Promise.all(servers.map((s) => s.stop()));
});

async function server(extraArgs: string[], keys = 2000): Promise<RedisServer> {
  const redis = await startRedis({ lfuDecayTime: 0, extraArgs: ['--repl-diskless-sync-delay', '0', '--enable-debug-command', 'yes', ...extraArgs] });
  servers.push(redis);
  await redis.command(['DEBUG', 'POPULATE', String(keys), 'cold', '10']);
  await restoreWithFreq(redis, [{ name: 'hot', freq: 120 }]);
  return redis;
}

async function info(redis: RedisServer, section: string, field: string): Promise<string | undefined> {
  const text = String(await redis.command(['INFO', section]));
  return new RegExp(`^${field}:(.*)$`, 'm').exec(text)?.[1]?.trim();
}

async function until(check: () => Promise<boolean>, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('snapshots where production differs from a lab', () => {
  it('survives a client timeout shorter than the transfer: the cost is read on a fresh connection', async () => {
    // 2000 keys x 1 ms in the child: a 2 s transfer against a 1 s idle timeout.
    const redis = await server(['--rdb-key-save-delay', '1000']);
    // Set after seeding: the seeding helper may wait idle on its connection (restoreWithFreq).
    await redis.command(['CONFIG', 'SET', 'timeout', '1']);
    const result = await analyzeDeployment({ endpoint: redis.endpoint }, { strategy: 'snapshot' });
    const node = result.insights.snapshot?.nodes[0];
    expect(node?.transferMs, JSON.stringify(result.stats)).toBeGreaterThan(1000);
    expect(result.stats.durationMs).toBeLessThan(20_000);
    expect(typeof node?.forkUsec).toBe('number');
    expect(result.keys.map((k) => [k.name, k.freq])).toEqual([['hot', 120]]);
  }, 30_000);

  it('refuses a node with repl-diskless-sync no, which would write the RDB to its own disk, before any fork', async () => {
    const redis = await server(['--repl-diskless-sync', 'no']);
    const forks = Number(await info(redis, 'stats', 'total_forks'));
    const failure = await analyzeDeployment({ endpoint: redis.endpoint }, { strategy: 'snapshot' }).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(RedisFailure);
    expect((failure as RedisFailure).kind).toBe('unsupported');
    expect((failure as RedisFailure).message).toMatch(/repl-diskless-sync no: it would write the snapshot to its own disk/);
    expect(Number(await info(redis, 'stats', 'total_forks'))).toBe(forks);
  }, 30_000);

  it('says when a primary without a replication backlog had to create one, and not the second time', async () => {
    const redis = await server([]);
    expect(await info(redis, 'replication', 'repl_backlog_active')).toBe('0');
    const first = await analyzeDeployment({ endpoint: redis.endpoint }, { strategy: 'snapshot' });
    const size = Number(await info(redis, 'replication', 'repl_backlog_size'));
    expect(first.insights.snapshot?.nodes[0]?.backlogBytes).toBe(size);
    expect(first.insights.advice.find((a) => a.code === 'snapshot-backlog')?.message).toMatch(/had no replication backlog.*repl-backlog-ttl/);
    const second = await analyzeDeployment({ endpoint: redis.endpoint }, { strategy: 'snapshot' });
    expect(second.insights.snapshot?.nodes[0]?.backlogBytes).toBeNull();
    expect(second.insights.advice.map((a) => a.code)).not.toContain('snapshot-backlog');
  }, 30_000);

  it('cancelled while the child streams, stops within 2 s and leaves no child and no replica on the node', async () => {
    // 5000 keys x 1 ms: a 5 s transfer, cancelled half a second into it.
    const redis = await server(['--rdb-key-save-delay', '1000'], 5000);
    const controller = new AbortController();
    const analysis = analyzeDeployment({ endpoint: redis.endpoint }, { strategy: 'snapshot', signal: controller.signal }).catch((error: unknown) => error);
    await until(async () => (await info(redis, 'persistence', 'rdb_bgsave_in_progress')) === '1', 'the fork');
    await new Promise((r) => setTimeout(r, 500));
    const started = Date.now();
    controller.abort(new RedisFailure('cancelled', '', 'task deleted'));
    const failure = await analysis;
    expect(Date.now() - started).toBeLessThan(2000);
    expect((failure as RedisFailure).message).toBe('task deleted');
    await until(async () => (await info(redis, 'persistence', 'rdb_bgsave_in_progress')) === '0', 'the child to be stopped', 5000);
    await until(async () => (await info(redis, 'replication', 'connected_slaves')) === '0', 'the replica connection to close', 5000);
  }, 30_000);

  it('never has two forks at once on one host: two snapshots of nodes on 127.0.0.1 take turns', async () => {
    const [a, b] = await Promise.all([server(['--rdb-key-save-delay', '500']), server(['--rdb-key-save-delay', '500'])]);
    let both = 0;
    let polls = 0;
    let watching = true;
    const watch = (async () => {
      while (watching) {
        const [left, right] = await Promise.all([info(a, 'persistence', 'rdb_bgsave_in_progress'), info(b, 'persistence', 'rdb_bgsave_in_progress')]);
        polls += 1;
        if (left === '1' && right === '1') both += 1;
        await new Promise((r) => setTimeout(r, 10));
      }
    })();
    try {
      const [first, second] = await Promise.all([
        analyzeDeployment({ endpoint: a.endpoint }, { strategy: 'snapshot' }),
        analyzeDeployment({ endpoint: b.endpoint }, { strategy: 'snapshot' }),
      ]);
      expect(first.keys.map((k) => k.name)).toEqual(['hot']);
      expect(second.keys.map((k) => k.name)).toEqual(['hot']);
    } finally {
      watching = false;
      await watch;
    }
    expect(polls).toBeGreaterThan(50);
    expect(both).toBe(0);
  }, 30_000);
});
