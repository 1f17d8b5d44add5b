/**
 * The pacing budgets on a real Redis. The machine is noisy, so the bounds here are loose (the
 * measured share under twice the budget); the exact figures are bench/production.ts's job.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { analyzeDeployment } from '../../src/engine/analyze-deployment.js';
import { parseCommandStats } from '../../src/redis/command-stats.js';
import type { RespConnection } from '../../src/redis/resp-connection.js';
import { startRedis, type RedisServer } from '../helpers/redis-server.js';

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
