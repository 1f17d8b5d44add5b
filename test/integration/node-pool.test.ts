/** The connection pool's bound and cancellation, against scripted loopback servers. */
import { afterEach, describe, expect, it } from 'vitest';
import { NodePool } from '../../src/redis/node-pool.js';
import { redisAccess } from '../../src/redis/redis-access.js';
import { redisLike, startStub, type Stub } from '../helpers/resp-stub.js';

const stubs: Stub[] = [];
afterEach(async () => Promise.all(stubs.splice(0).map((s) => s.close())));

const credentials = { tls: null, username: null, password: null };

describe('NodePool', () => {
  it('never holds more than maxConnections, closing idle shared ones and making the rest wait', async () => {
    const stub = await startStub(redisLike(), { listeners: 20 });
    stubs.push(stub);
    const pool = new NodePool(credentials, { ...redisAccess({ maxConnections: 4 }) });
    try {
      // 20 nodes at once, each used for a while; then 6 connections of their own, held and closed.
      await Promise.all(
        stub.ports.map((port) =>
          pool.withShared(`127.0.0.1:${port}`, async (connection) => {
            await connection.call(['PING']);
            await new Promise((r) => setTimeout(r, 20));
          }),
        ),
      );
      const own = await Promise.all(stub.ports.slice(0, 6).map(async (port, i) => {
        const connection = await pool.open(`127.0.0.1:${port}`);
        setTimeout(() => connection.close(), 10 * (i + 1));
        return connection;
      }));
      expect(own).toHaveLength(6);
      expect(pool.highWater).toBe(4);
      expect(stub.stats.accepted).toBeGreaterThanOrEqual(20);
    } finally {
      pool.closeAll();
    }
  });

  it('closes connections still authenticating when it is closed', async () => {
    const stub = await startStub(redisLike((c) => (c[0] === 'AUTH' ? null : undefined)));
    stubs.push(stub);
    const pool = new NodePool({ ...credentials, password: 'pw' }, redisAccess({ connectTimeoutMs: 60_000 }));
    const opening = pool.open(`127.0.0.1:${stub.port}`);
    while (stub.stats.open === 0) await new Promise((r) => setTimeout(r, 5));
    const started = performance.now();
    pool.closeAll();
    await expect(opening).rejects.toMatchObject({ kind: 'cancelled' });
    expect(performance.now() - started).toBeLessThan(100);
    while (stub.stats.open > 0) await new Promise((r) => setTimeout(r, 5));
  });
});
