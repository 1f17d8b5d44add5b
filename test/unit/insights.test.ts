import { describe, expect, it } from 'vitest';
import { adviseOn } from '../../src/analysis/advice.js';
import { HeatSummary, prefixOf } from '../../src/analysis/heat-summary.js';
import { SpaceSaving } from '../../src/analysis/space-saving.js';
import { compareWithPrevious } from '../../src/analysis/trend.js';
import type { HotKey } from '../../src/domain/hot-key.js';
import type { LfuSettings } from '../../src/domain/lfu.js';

const DEFAULT_LFU: LfuSettings = { logFactor: 10, decayTime: 1, source: 'config' };

describe('SpaceSaving', () => {
  it('keeps every key heavier than total / capacity, with its weight bounded by its error', () => {
    const summary = new SpaceSaving<string>(100);
    // 10 heavy keys among 20 000 light ones, interleaved.
    const truth = new Map<string, number>();
    for (let i = 0; i < 20_000; i++) {
      const heavy = `heavy-${i % 10}`;
      summary.offer(heavy, 5);
      truth.set(heavy, (truth.get(heavy) ?? 0) + 5);
      summary.offer(`light-${i}`, 1);
    }
    const bound = summary.totalWeight / 100;
    const top = summary.top(10);
    expect(top.map((t) => t.key).sort()).toEqual([...truth.keys()].sort());
    for (const t of top) {
      expect(t.weight).toBeGreaterThanOrEqual(truth.get(t.key) ?? 0);
      expect(t.weight - t.error).toBeLessThanOrEqual(truth.get(t.key) ?? 0);
      expect(t.error).toBeLessThanOrEqual(bound);
    }
    expect(summary.errorBound).toBe(bound);
  });
});

describe('prefixOf', () => {
  const colon = new Set([0x3a]);
  it.each([
    ['user:42:cart', 1, 'user'],
    ['user:42:cart', 2, 'user:42'],
    ['user:42:cart', 3, 'user:42'],
    ['plain', 1, ''],
  ])('%s at depth %i -> "%s"', (name, depth, prefix) => {
    expect(prefixOf(Buffer.from(name), colon, depth).toString()).toBe(prefix);
  });

  it('takes several delimiters and binary names', () => {
    expect(prefixOf(Buffer.from('a.b:c'), new Set([0x3a, 0x2e]), 1).toString()).toBe('a');
    expect(prefixOf(Buffer.from([0xff, 0x3a, 0x01]), colon, 1)).toEqual(Buffer.from([0xff]));
  });
});

describe('HeatSummary', () => {
  it('sums 100k warm keys by namespace, more distinct namespaces than it has counters, and finds the hot ones', () => {
    const heat = new HeatSummary({ delimiters: ':', depth: 1 }, 'qps');
    heat.expectNodes(1);
    const spec = [
      { prefix: 'session', keys: 20_000, freq: 50 },
      { prefix: 'user', keys: 10_000, freq: 30 },
      { prefix: 'cart', keys: 5_000, freq: 20 },
    ];
    for (const { prefix, keys, freq } of spec) {
      for (let i = 0; i < keys; i++) heat.warm('n1', '0', Buffer.from(`${prefix}:${i}`), freq, DEFAULT_LFU);
    }
    // 65 000 one-off namespaces, each a single lukewarm key: far more than the 1000 counters.
    for (let i = 0; i < 65_000; i++) heat.warm('n1', '0', Buffer.from(`tmp${i}:x`), 6, DEFAULT_LFU);
    heat.scanned('n1', '0', 100_000);
    const top = heat.prefixes(3);
    expect(top.map((p) => p.prefix)).toEqual(['session', 'user', 'cart']);
    // est_qps of a key at freq 50: (45 * 10 + 1) / 60 = 7.5167; the sum is exact up to the error bound.
    const exact = (20_000 * 451) / 60;
    expect(top[0]!.estQps).toBeGreaterThanOrEqual(exact * 0.999);
    expect(top[0]!.estQps).toBeLessThanOrEqual(exact + heat.prefixErrorBound());
    expect(top[0]!.keys).toBeGreaterThanOrEqual(20_000);
    const total = 20_000 * 451 / 60 + 10_000 * 251 / 60 + 5_000 * 151 / 60 + 65_000 * 11 / 60;
    expect(top[0]!.share).toBeCloseTo((20_000 * 451) / 60 / total, 2);
  });

  it('sums groups exactly, and forgets a failed node', () => {
    const heat = new HeatSummary({ delimiters: ':', depth: 1 }, 'qps');
    heat.expectNodes(2);
    heat.scanned('a', 'a', 10);
    heat.scanned('b', 'b', 10);
    heat.warm('a', 'a', Buffer.from('k:1'), 65, DEFAULT_LFU); // 601 / 60 = 10.02 reads/s
    heat.warm('b', 'b', Buffer.from('k:2'), 11, DEFAULT_LFU); // 61 / 60
    expect(heat.groups()).toEqual([
      { group: 'a', scannedKeys: 10, warmKeys: 1, estQps: 10.02, estAccesses: null, share: 0.908 },
      { group: 'b', scannedKeys: 10, warmKeys: 1, estQps: 1.017, estAccesses: null, share: 0.092 },
    ]);
    heat.forgetNode('a');
    expect(heat.groups().map((g) => g.group)).toEqual(['b']);
    expect(heat.prefixes(5)).toEqual([{ prefix: 'k', keys: 1, estQps: 1.017, estAccesses: null, share: 1 }]);
  });

  it('sums accesses where counters hold no rate', () => {
    const heat = new HeatSummary({ delimiters: ':', depth: 1 }, 'accesses');
    heat.warm('a', '0', Buffer.from('k:1'), 10, { logFactor: 10, decayTime: 0, source: 'config' });
    expect(heat.prefixes(1)[0]).toMatchObject({ estQps: null, estAccesses: 105, share: 1 });
  });
});

const key = (name: string, freq: number, extra: Partial<HotKey> = {}): HotKey => ({ name, type: 'string', db: 0, size: 1, unit: 'byte', freq, ...extra });

describe('compareWithPrevious', () => {
  it('marks new keys, lists gone ones, and gives each key its previous counter', () => {
    const { keys, trend } = compareWithPrevious([key('a', 50), key('b', 40), key('c', 30, { db: 1 })], {
      id: 'task-1',
      keys: [key('a', 45), key('c', 31), key('d', 20)],
    });
    expect(keys.map((k) => [k.name, k.previousFreq])).toEqual([
      ['a', 45],
      ['b', null],
      ['c', null], // c was in db 0 before: another key
    ]);
    expect(trend).toEqual({ comparedWith: 'task-1', new: ['b', 'c'], gone: [{ name: 'c', db: 0, freq: 31 }, { name: 'd', db: 0, freq: 20 }] });
  });

  it('has no trend without a previous analysis', () => {
    expect(compareWithPrevious([key('a', 9)], null)).toEqual({ keys: [{ ...key('a', 9), previousFreq: null }], trend: null });
  });
});

describe('adviseOn', () => {
  const lfu = [{ logFactor: 10, decayTime: 1, source: 'config' as const, ceilingQps: 41.7 }];
  it('explains saturated keys with the log factor that would rank them', () => {
    const advice = adviseOn({ keys: [key('a', 255, { saturated: true }), key('b', 200, { saturated: false })], lfu, shards: null, prefixes: [], scannedKeys: 10, warmKeys: 2 });
    expect(advice).toEqual([
      expect.objectContaining({ code: 'saturated-keys', message: expect.stringMatching(/1 of the reported keys is at the counter's ceiling \(255\): at least 41\.7 reads\/s.*CONFIG SET lfu-log-factor 101 \(now 10\).*\(417\/s\)/) }),
    ]);
  });

  it('says an idle instance or reset counters leave nothing warm', () => {
    expect(adviseOn({ keys: [], lfu, shards: null, prefixes: [], scannedKeys: 100, warmKeys: 0 }).map((a) => a.code)).toEqual(['no-warm-keys']);
  });

  it('points at a shard or a namespace carrying most of the heat', () => {
    const group = (shard: string, share: number) => ({ shard, scannedKeys: 1, warmKeys: 1, estQps: 1, estAccesses: null, share });
    const advice = adviseOn({
      keys: [],
      lfu,
      shards: [group('10.0.0.1:7000', 0.7), group('10.0.0.2:7000', 0.3)],
      prefixes: [{ prefix: 'session', keys: 5, estQps: 10, estAccesses: null, share: 0.8 }],
      scannedKeys: 2,
      warmKeys: 2,
    });
    expect(advice.map((a) => a.code)).toEqual(['shard-imbalance', 'namespace-dominates']);
    expect(advice[0]?.message).toMatch(/Shard 10\.0\.0\.1:7000 carries 70% of the estimated reads of 2 shards/);
  });

  it('says when counters hold no rate, when settings were assumed, and when nodes differ', () => {
    const codes = adviseOn({
      keys: [],
      lfu: [
        { node: 'a', logFactor: 10, decayTime: 2, source: 'config', ceilingQps: null },
        { node: 'b', logFactor: 10, decayTime: 1, source: 'assumed', ceilingQps: 41.7 },
      ],
      shards: null,
      prefixes: [],
      scannedKeys: 0,
      warmKeys: 0,
    }).map((a) => a.code);
    expect(codes).toEqual(['no-rates', 'lfu-assumed', 'lfu-settings-differ']);
  });
});
