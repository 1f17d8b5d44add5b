/**
 * What a /metrics scrape with findings costs as the fleet grows: 10, 100 and 1,000 instances,
 * each with two successful hot key tasks (100 keys, 3 saturated), two big key tasks (40 keys,
 * 6 types, 12 namespaces) and an expired key scan, on SQLite and on PostgreSQL. Prints, per
 * store and size, a process's first scrape with findings (all of them read from the store), the
 * median of the 5 after it (only which tasks are latest is read), the same without findings
 * (keyheat's own counts only: the baseline, in the same run), their ratio, the number of series
 * and the bytes.
 * The goal (issue 23): a scrape of 1,000 instances under 1 s on both stores.
 *
 *   npx tsx bench/findings-scrape.ts [pg-url=postgres://postgres@127.0.0.1:5432/postgres]
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import pino from 'pino';
import type { TaskOutcome } from '../src/domain/task.js';
import type { TaskKind } from '../src/domain/task-status.js';
import { PrometheusMetrics } from '../src/metrics/prometheus-metrics.js';
import { openStore, type Store } from '../src/storage/store.js';

const PG = process.argv[2] ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const SIZES = (process.env['SIZES'] ?? '10,100,1000').split(',').map(Number);
const T0 = Date.parse('2026-12-01T00:00:00Z');

const hot = (instance: number, run: number): TaskOutcome => ({
  keys: Array.from({ length: 100 }, (_, i) => ({ name: `i${instance}:feed:${i}:${'x'.repeat(20)}`, type: 'string', db: 0, size: 120, unit: 'byte', freq: i < 3 ? 255 : 200 - i, estQps: 5000 - i * 40 + run })),
  stats: { scannedKeys: 1_000_000, vanishedKeys: 0, changedKeys: 0, durationMs: 40_000 },
  insights: { lfu: [], prefixes: [], trend: null, advice: [] },
});

const TYPES = ['string', 'list', 'set', 'zset', 'hash', 'stream'];
const big = (instance: number): TaskOutcome =>
  ({
    kind: 'big',
    result: {
      keys: Array.from({ length: 40 }, (_, i) => ({ name: `i${instance}:big:${i}`, type: TYPES[i % 6], db: 0, size: 100_000 - i, unit: i % 6 === 0 ? 'byte' : 'count' })),
      stats: { scannedKeys: 1_000_000, vanishedKeys: 0, changedKeys: 0, durationMs: 40_000, nodes: [] },
      thresholds: { stringBytes: 10_240, collectionCount: 5000, perType: 20 },
      types: TYPES.map((type, i) => ({ type, keys: 1000 * (i + 1), totalSize: 5_000_000, unit: type === 'string' ? 'byte' : 'count', bigKeys: 7, largest: null })),
      prefixes: Array.from({ length: 12 }, (_, i) => ({ prefix: `ns${i}`, keys: 1000 - i, weight: 1000 - i, share: 0.05 })),
      prefixesBy: 'size',
      advice: [],
    },
  }) as unknown as TaskOutcome;

const expire = (): TaskOutcome =>
  ({
    kind: 'expire',
    result: {
      mode: 'single',
      num: 12,
      scannedKeys: 1_000_000,
      vanishedKeys: 0,
      durationMs: 30_000,
      scanKeysCount: 10,
      nodes: [],
      ttl: { totals: { keys: 1_000_000, withExpiry: 300_000, withoutExpiry: 700_000 }, databases: [], namespaces: [] },
    },
  }) as unknown as TaskOutcome;

async function fill(store: Store, instances: number): Promise<void> {
  let minute = 0;
  for (let n = 0; n < instances; n++) {
    const instanceId = `inst-${n}`;
    await store.instances.insert({
      id: instanceId,
      projectId: 'p',
      name: `cache-${n}`,
      endpoint: { host: '127.0.0.1', port: 6379, tls: null, username: null, password: null },
      mode: 'single',
      engine: 'Redis',
      engineVersion: '7.0.15',
      status: 'RUNNING',
      createdAt: new Date(T0).toISOString(),
    });
    const runs: [TaskKind, TaskOutcome][] = [
      ['hot', hot(n, 0)],
      ['hot', hot(n, 1)],
      ['big', big(n)],
      ['big', big(n)],
      ['expire', expire()],
    ];
    for (const [kind, outcome] of runs) {
      const id = `t-${n}-${minute}`;
      const at = new Date(T0 + minute++ * 60_000);
      await store.tasks.insert({ id, projectId: 'p', instanceId, kind, scanType: 'auto', createdAt: at.toISOString() });
      const claimed = await store.queue.claimNext('bench', at, 60_000);
      if (claimed?.id !== id) throw new Error(`claimed ${claimed?.id ?? 'nothing'} instead of ${id}`);
      await store.queue.complete(id, 'bench', outcome, at);
    }
  }
}

const median = (values: number[]): number => [...values].sort((a, b) => a - b)[values.length >> 1] ?? NaN;

/** The first scrape of a process (every finding read from the store), and the median of the 5 after it. */
async function timeScrapes(metrics: PrometheusMetrics): Promise<{ first: number; ms: number; text: string }> {
  const times: number[] = [];
  let text = '';
  for (let i = 0; i < 6; i++) {
    const started = performance.now();
    text = await metrics.render();
    times.push(performance.now() - started);
  }
  return { first: times[0] ?? NaN, ms: median(times.slice(1)), text };
}

async function measure(label: string, open: () => Promise<{ url: string; cleanup: () => Promise<void> }>): Promise<void> {
  for (const size of SIZES) {
    const { url, cleanup } = await open();
    const store = await openStore(url, { maxTasksPerInstance: 100 });
    try {
      const filled = performance.now();
      await fill(store, size);
      const fillS = (performance.now() - filled) / 1000;
      const logger = pino({ level: 'silent' });
      const base = { readActiveTasks: () => store.queue.countActive(), logger };
      const counts = await timeScrapes(new PrometheusMetrics(base));
      const findings = await timeScrapes(new PrometheusMetrics({ ...base, findings: { source: store.findings, settings: { hotKeys: 10, bigKeys: 10, deadlineMs: 10_000 } } }));
      const reads: number[] = [];
      for (let i = 0; i < 5; i++) {
        const started = performance.now();
        const latest = await store.findings.latest();
        if (i === 0) await store.findings.findings(latest.latest.map((t) => t.taskId));
        reads.push(performance.now() - started);
      }
      const series = (text: string): number => text.split('\n').filter((line) => line !== '' && !line.startsWith('#')).length;
      console.log(
        `${label.padEnd(10)} ${String(size).padStart(5)} instances: scrape ${findings.ms.toFixed(1).padStart(6)} ms with findings (a process's first: ${findings.first.toFixed(1)} ms; store: latest tasks ${median(reads).toFixed(1)} ms) vs ${counts.ms.toFixed(1).padStart(4)} ms counts only ` +
          `(${(findings.ms / counts.ms).toFixed(1)}x), ${series(findings.text)} series (${series(findings.text) - series(counts.text)} of findings), ` +
          `${(Buffer.byteLength(findings.text) / 1024).toFixed(0)} KiB; fill ${fillS.toFixed(1)} s`,
      );
    } finally {
      await store.close();
      await cleanup();
    }
  }
}

await measure('sqlite', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'keyheat-findings-'));
  return { url: `sqlite:${path.join(dir, 'keyheat.db')}`, cleanup: async () => rmSync(dir, { recursive: true, force: true }) };
});

const admin = async (sql: string): Promise<void> => {
  const client = new pg.Client({ connectionString: PG });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
};
await measure('postgresql', async () => {
  const schema = `kh_bench_${randomBytes(4).toString('hex')}`;
  await admin(`CREATE SCHEMA ${schema}`);
  const url = new URL(PG);
  url.searchParams.set('options', `-c search_path=${schema}`);
  return { url: url.toString(), cleanup: () => admin(`DROP SCHEMA ${schema} CASCADE`) };
});
