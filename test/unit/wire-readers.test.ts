/**
 * wire-readers.ts is the inverse of the wire mappers: a task read over HTTP must give back the
 * domain values it was made from, so the client prints the very table `keyheat scan` prints.
 */
import { describe, expect, it } from 'vitest';
import type { AnalysisStats, HotKey } from '../../src/domain/hot-key.js';
import type { Insights } from '../../src/domain/insights.js';
import type { Task } from '../../src/domain/task.js';
import { formatTable, type ResultView } from '../../src/cli/scan-output.js';
import { hotKeyToWire, taskToWire } from '../../src/wire/wire-mappers.js';
import { bigResultFromWire, hotKeyFromWire, insightsFromWire, nodeProgressFromWire, statsFromWire } from '../../src/wire/wire-readers.js';
import { bigTaskToWire } from '../../src/wire/bigkey-mappers.js';
import type { BigKeyResult } from '../../src/domain/big-key.js';

const KEYS: HotKey[] = [
  { name: 'user:42', type: 'string', db: 0, shard: '10.0.0.1:7000', size: 3, unit: 'byte', freq: 255, estQps: 41.7, saturated: true, previousFreq: 250, sampledQps: 1830, sampledShare: 0.612, alsoBig: true },
  { name: '\\xff\\x00bin', nameBase64: '/wBiaW4=', type: 'hash', db: 0, shard: '10.0.0.2:7000', size: 2, unit: 'count', freq: 84, estQps: 13.2, saturated: false, previousFreq: null },
  { name: 'counted', type: 'list', db: 0, shard: '10.0.0.2:7000', size: 9, unit: 'count', freq: 30, estQps: null, estAccesses: 120, saturated: false },
  // A key of a task finished before keyheat estimated rates: none of the additions.
  { name: 'old', type: 'set', db: 0, shard: '10.0.0.1:7000', size: 1, unit: 'count', freq: 20 },
];

const STATS: AnalysisStats = {
  scannedKeys: 2800,
  vanishedKeys: 3,
  changedKeys: 1,
  durationMs: 1320,
  nodes: [
    { node: '10.0.0.1:7000', scannedKeys: 1400, expectedKeys: 1401, cpuShare: 0.042, longestBlockUs: 1302, trafficSeen: false },
    { node: '10.0.0.2:7000', scannedKeys: 1400, expectedKeys: 1399, cpuShare: null, longestBlockUs: null, trafficSeen: true },
  ],
};

const INSIGHTS: Insights = {
  lfu: [
    { node: '10.0.0.1:7000', logFactor: 10, decayTime: 1, source: 'config', ceilingQps: 41.7 },
    { node: '10.0.0.2:7000', logFactor: 10, decayTime: 0, source: 'assumed', ceilingQps: null },
  ],
  prefixes: [
    { prefix: 'user', keys: 1, estQps: 41.68, estAccesses: null, share: 0.565 },
    { prefix: '\\xff', prefixBase64: '/w==', keys: 2, estQps: null, estAccesses: 40, share: 0.2 },
  ],
  shards: [
    { shard: '10.0.0.1:7000', scannedKeys: 1400, warmKeys: 2, estQps: 41.7, estAccesses: null, share: 0.6 },
    { shard: '10.0.0.2:7000', scannedKeys: 1400, warmKeys: 2, estQps: 13.2, estAccesses: 120, share: 0.4 },
  ],
  trend: { comparedWith: 'cbfded43', new: ['counted'], gone: [{ name: 'pay:1', db: 0, freq: 37 }, { name: '\\xfe', nameBase64: '/g==', db: 0, freq: 9 }] },
  advice: [{ code: 'saturated-keys', message: '1 of the reported keys is at the ceiling.' }],
  sampling: {
    sampled: [
      { name: 'user:42', db: 0, shard: '10.0.0.1:7000', qps: 1830, share: 0.612, error: 0 },
      { name: 'only-sampled', db: 0, shard: '10.0.0.2:7000', qps: 612, share: 0.2, error: 0.5 },
      { name: '\\xff', nameBase64: '/w==', db: 0, shard: '10.0.0.2:7000', qps: 3.1, share: 0.001, error: 0.5 },
    ],
    sample: {
      requestedSeconds: 10,
      seconds: 9.5,
      commandsSeen: 28_400,
      commandsPerS: 2989,
      nodes: 2,
      bound: 0.5,
      counters: 4096,
      stoppedEarly: 'keyheat read the stream 2.1 s behind the node',
      perNode: [
        { node: '10.0.0.1:7000', role: 'primary', commandsSeen: 20_000, seconds: 10, stoppedEarly: null },
        { node: '10.0.0.2:7000', role: 'primary', commandsSeen: 8400, seconds: 9.5, stoppedEarly: 'keyheat read the stream 2.1 s behind the node' },
      ],
    },
  },
};

type HotTask = Extract<Task, { kind: 'hot' }>;

function task(overrides: Partial<HotTask> = {}): HotTask {
  return {
    id: 't1',
    projectId: 'p1',
    instanceId: 'i1',
    kind: 'hot',
    status: 'success',
    scanType: 'manual',
    createdAt: '2026-11-30T01:25:56.235Z',
    startedAt: '2026-11-30T01:25:56.241Z',
    finishedAt: '2026-11-30T01:25:56.483Z',
    result: { keys: KEYS, stats: STATS, insights: INSIGHTS },
    errorMsg: null,
    progress: null,
    options: null,
    attempts: 1,
    num: KEYS.length,
    ...overrides,
  };
}

describe('wire readers', () => {
  it('read back every hot key field, additions absent or present', () => {
    for (const key of KEYS) expect(hotKeyFromWire(hotKeyToWire(key))).toEqual(key);
  });

  it('read back the counters and the per-node report', () => {
    const wire = taskToWire(task(), { withKeys: true });
    expect(statsFromWire(wire.analysis!)).toEqual(STATS);
    expect(statsFromWire({ scanned_keys: 1, vanished_keys: 0, changed_keys: 0, duration_ms: 5 })).toEqual({ scannedKeys: 1, vanishedKeys: 0, changedKeys: 0, durationMs: 5 });
  });

  it('read back the insights, with every node\'s LFU settings when they differ', () => {
    const wire = taskToWire(task(), { withKeys: true });
    expect(insightsFromWire(wire)).toEqual(INSIGHTS);
    const standalone: Insights = {
      lfu: [{ logFactor: 10, decayTime: 1, source: 'config', ceilingQps: 41.7 }],
      prefixes: INSIGHTS.prefixes,
      databases: [{ db: 0, scannedKeys: 5, warmKeys: 1, estQps: 1, estAccesses: null, share: 1 }],
      trend: null,
      advice: [],
    };
    expect(insightsFromWire(taskToWire(task({ result: { keys: KEYS, stats: STATS, insights: standalone } }), { withKeys: true }))).toEqual(standalone);
  });

  it('give null insights for a task without them (running, or finished before keyheat read results)', () => {
    expect(insightsFromWire(taskToWire(task({ status: 'running', result: null }), { withKeys: true }))).toBeNull();
  });

  it('read back a running task\'s progress', () => {
    const wire = taskToWire(task({ status: 'running', progress: { nodes: [{ node: 'n:1', scannedKeys: 5, expectedKeys: 10 }] } }), { withKeys: false });
    expect(wire.progress!.nodes.map(nodeProgressFromWire)).toEqual([{ node: 'n:1', scannedKeys: 5, expectedKeys: 10 }]);
  });

  it('make the table of a task read over HTTP the table of the result it was made from', () => {
    const wire = taskToWire(task(), { withKeys: true });
    const direct: ResultView = { mode: 'cluster', keys: KEYS, stats: STATS, insights: INSIGHTS };
    const read: ResultView = { mode: 'cluster', keys: wire.keys!.map(hotKeyFromWire), stats: statsFromWire(wire.analysis!), insights: insightsFromWire(wire) };
    expect(formatTable(read, 'cache-1')).toBe(formatTable(direct, 'cache-1'));
    expect(formatTable(read, 'cache-1')).toMatch(/Since task cbfded43: 1 new \(counted\), 2 gone \(pay:1, \\xfe\)/);
  });
});

describe('big key results', () => {
  const RESULT: BigKeyResult = {
    keys: [
      { name: 'big:str', type: 'string', db: 0, shard: '10.0.0.1:7000', size: 20_000, unit: 'byte', memoryBytes: 20_536, ttl: -1, alsoHot: true },
      { name: '\\xffbig', nameBase64: '/2JpZw==', type: 'hash', db: 0, shard: '10.0.0.2:7000', size: 6000, unit: 'count', ttl: 3600 },
    ],
    stats: {
      scannedKeys: 1000,
      vanishedKeys: 2,
      changedKeys: 1,
      durationMs: 120,
      nodes: [
        { node: '10.0.0.11:7000', role: 'replica', shard: '10.0.0.1:7000', scannedKeys: 500, expectedKeys: 501, noTouch: false, cpuShare: 0.2, longestBlockUs: 900, trafficSeen: false, replicaSkipped: null },
        { node: '10.0.0.2:7000', role: 'primary', shard: '10.0.0.2:7000', scannedKeys: 500, expectedKeys: 499, noTouch: true, cpuShare: null, longestBlockUs: null, trafficSeen: true, replicaSkipped: 'its replica 10.0.0.12:7000 could not be reached' },
      ],
    },
    thresholds: { stringBytes: 10_240, collectionCount: 5000, perType: 20 },
    types: [
      { type: 'string', keys: 900, totalSize: 120_000, unit: 'byte', bigKeys: 1, memoryBytes: 180_000, largest: { name: 'big:str', db: 0, shard: '10.0.0.1:7000', size: 20_000 } },
      { type: 'stream', keys: 0, totalSize: 0, unit: 'count', bigKeys: 0, largest: null },
    ],
    prefixes: [{ prefix: 'big', keys: 1, weight: 20_000, share: 0.8 }],
    prefixesBy: 'memory',
    advice: [{ code: 'big-keys-found', message: '2 keys are over the thresholds.' }],
  };

  it('reads back exactly what the mappers wrote', () => {
    const big: Task = { ...task(), kind: 'big', result: RESULT };
    const wire = bigTaskToWire(big, { withKeys: true });
    expect(bigResultFromWire(wire)).toEqual(RESULT);
    expect(bigResultFromWire(bigTaskToWire({ ...big, status: 'running', result: null }, { withKeys: true }))).toBeNull();
  });
});
