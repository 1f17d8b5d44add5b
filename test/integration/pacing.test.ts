/**
 * The pacing budgets on a real Redis. The machine is noisy, so the bounds here are loose (the
 * measured share under twice the budget); the exact figures are bench/production.ts's job.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { analyzeDeployment } from '../../src/engine/analyze-deployment.js';
import { parseCommandStats } from '../../src/redis/command-stats.js';
import { scanDatabase } from '../../src/redis/node-scanner.js';
import type { RespConnection } from '../../src/redis/resp-connection.js';
import { startRedis, type RedisServer } from '../helpers/redis-server.js';
import { startTcpProxy } from '../helpers/tcp-proxy.js';

const KEYS = 100_000;

/** Another client reading keys steadily (~2500 GETs a second) until stopped. */
function steadyLoad(connection: RespConnection): { stop: () => Promise<void> } {
  let running = true;
  const loop = (async () => {
    while (running) {
      await connection.pipeline(Array.from({ length: 5 }, (_, i) => ['GET', `key:${i}`]));
      await new Promise((r) => setTimeout(r, 2));
    }
  })();
  return {
    stop: async () => {
      running = false;
      await loop;
    },
  };
}

async function scanCost(redis: RedisServer): Promise<number> {
  const stats = parseCommandStats(String(await redis.command(['INFO', 'commandstats'])));
  return stats.scanUsec + stats.objectUsec;
}

describe('pacing by budgets on a real Redis', () => {
  let redis: RedisServer;

  beforeAll(async () => {
    redis = await startRedis({ extraArgs: ['--enable-debug-command', 'yes'] });
    await redis.command(['DEBUG', 'POPULATE', KEYS, 'key', 10]);
  });
  afterAll(async () => redis?.stop());

  it('keeps the scan under about max_cpu_share of the main thread while others are served, and reports it', async () => {
    const loadConnection = await redis.connect();
    const load = steadyLoad(loadConnection);
    try {
      await new Promise((r) => setTimeout(r, 300)); // the load is on before the scan starts
      const before = await scanCost(redis);
      const started = performance.now();
      const result = await analyzeDeployment({ endpoint: redis.endpoint }, { maxCpuShare: 0.1 });
      const elapsedUs = (performance.now() - started) * 1000;
      const measured = ((await scanCost(redis)) - before) / elapsedUs;
      expect(result.stats.scannedKeys).toBe(KEYS);
      expect(measured).toBeLessThan(0.2);
      const [node] = result.stats.nodes;
      expect(node?.trafficSeen).toBe(true);
      expect(node?.cpuShare).toBeGreaterThan(0);
      expect(node?.cpuShare).toBeLessThan(0.2);
      expect(node?.longestBlockUs).toBeGreaterThan(0);
      expect(node?.longestBlockUs).toBeLessThanOrEqual(50); // 500 us x max_cpu_share
      // Much gentler than the same scan on an idle node would be: it took several times longer.
      expect(elapsedUs / 1e6).toBeGreaterThan(0.5);
    } finally {
      await load.stop();
      loadConnection.close();
    }
  });

  it('reads an idle node at full speed, at pages of batch_size', async () => {
    const result = await analyzeDeployment({ endpoint: redis.endpoint });
    const [node] = result.stats.nodes;
    expect(node?.trafficSeen).toBe(false);
    // Idle: big pages (batch_size 1000), so the longest page is far above the busy budget.
    expect(node?.longestBlockUs).toBeGreaterThan(500);
    // Well above the busy share (0.10). How far above depends on how much CPU keyheat's own
    // process gets: 0.3-0.7 on a quiet 2-core machine, 0.29 once with another test suite beside it.
    expect(node?.cpuShare).toBeGreaterThan(0.2);
  });
});

describe('the block budget on a real Redis behind a round trip', () => {
  const FAR_KEYS = 10_000;
  let redis: RedisServer;

  beforeAll(async () => {
    redis = await startRedis({ extraArgs: ['--enable-debug-command', 'yes'] });
    await redis.command(['DEBUG', 'POPULATE', FAR_KEYS, 'key', 10]);
  });
  afterAll(async () => redis?.stop());

  it('sends a page SCAN returned bigger than the batch limit in batches, each after the previous one is answered', async () => {
    const connection = await redis.connect();
    try {
      let outstanding = 0;
      const batches: number[] = [];
      const send = connection.sendEncoded.bind(connection);
      connection.sendEncoded = (payload, count) => {
        // Never a batch sent while another of this scan's is still being worked on.
        expect(outstanding).toBe(0);
        outstanding += 1;
        batches.push(count);
        return send(payload, count).finally(() => (outstanding -= 1));
      };
      const paced: number[] = [];
      let keys = 0;
      const pages = scanDatabase(connection, { db: 0, pageSize: () => ({ count: 20, window: 0, batch: 6 }), pace: async (n) => void paced.push(n) });
      for await (const page of pages) {
        expect(page.replies).toHaveLength(page.keys.length);
        expect(page.replies.every((reply) => typeof reply === 'number')).toBe(true);
        keys += page.keys.length;
      }
      expect(keys).toBe(FAR_KEYS);
      expect(Math.max(...batches)).toBe(6);
      expect(batches.reduce((a, b) => a + b, 0)).toBe(FAR_KEYS);
      // Every batch was paced on its own: the share and the rate count each one.
      expect(paced.length).toBeGreaterThanOrEqual(batches.length);
      expect(paced.reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(FAR_KEYS);
      expect(Math.max(...paced)).toBe(6);
    } finally {
      connection.close();
    }
  });

  it('never reports a batch longer than max_block_us while others are served', async () => {
    // Through a few milliseconds of round trip the block budget binds: pages as big as it allows,
    // and SCAN returns more keys than asked on a quarter of them (a bucket's whole chain).
    // A delay line: every chunk forwarded 1 ms after it arrived, either way.
    const line = await startTcpProxy('127.0.0.1', redis.port, { delayMs: 1 });
    const loadConnection = await redis.connect();
    const load = steadyLoad(loadConnection);
    try {
      await new Promise((r) => setTimeout(r, 300));
      const result = await analyzeDeployment({ endpoint: { ...redis.endpoint, port: line.port } }, { maxCpuShare: 0.1 });
      expect(result.stats.scannedKeys).toBe(FAR_KEYS);
      const [node] = result.stats.nodes;
      expect(node?.trafficSeen).toBe(true);
      expect(node?.longestBlockUs).toBeGreaterThan(0);
      // The default block budget: 500 us x max_cpu_share.
      expect(node?.longestBlockUs, JSON.stringify(node)).toBeLessThanOrEqual(50);
    } finally {
      await load.stop();
      loadConnection.close();
      await line.close();
    }
  }, 60_000);
});
