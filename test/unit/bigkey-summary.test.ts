/** The bounded summary of a big key analysis (analysis/bigkey-summary.ts), on made-up streams of keys. */
import { describe, expect, it } from 'vitest';
import { BigKeySummary, MAX_TYPES, type SizedKey } from '../../src/analysis/bigkey-summary.js';

const THRESHOLDS = { stringBytes: 100, collectionCount: 10, perType: 3 };

function summary(weighBy: 'memory' | 'size' = 'size'): BigKeySummary {
  return new BigKeySummary(THRESHOLDS, { delimiters: ':', depth: 1 }, weighBy);
}

function key(name: string, type: string, size: number, extra: Partial<SizedKey> = {}): SizedKey {
  return { name: Buffer.from(name), db: 0, node: 'n1:6379', type, size, ...extra };
}

describe('BigKeySummary', () => {
  it('keeps perType keys strictly above the threshold per type, biggest first, whatever the order', () => {
    const keys = [
      ...Array.from({ length: 50 }, (_, i) => key(`s:${i}`, 'string', 90 + i)),
      ...Array.from({ length: 30 }, (_, i) => key(`h:${i}`, 'hash', i)),
      key('x:1', 'ReJSON-RL', 500),
    ];
    const forward = summary();
    for (const k of keys) forward.add(k);
    const backward = summary();
    for (const k of [...keys].reverse()) backward.add(k);
    for (const s of [forward, backward]) {
      expect(s.bigKeys().map((k) => `${k.type}:${k.name.toString()}:${k.size}`)).toEqual([
        'string:s:49:139',
        'string:s:48:138',
        'string:s:47:137',
        'hash:h:29:29',
        'hash:h:28:28',
        'hash:h:27:27',
        'ReJSON-RL:x:1:500',
      ]);
      const totals = Object.fromEntries(s.totals().map((t) => [t.type, t]));
      // 100 bytes is not big, 101 is: 39 of s:11..s:49.
      expect(totals['string']).toMatchObject({ keys: 50, bigKeys: 39, totalSize: (90 + 139) * 25 });
      expect(totals['hash']).toMatchObject({ keys: 30, bigKeys: 19, totalSize: (29 * 30) / 2 });
      expect(totals['ReJSON-RL']).toMatchObject({ keys: 1, bigKeys: 1 });
    }
  });

  it('keeps the largest key of a type even when none is big, and copies names out of the buffers it was given', () => {
    const s = summary();
    const socket = Buffer.from('l:only');
    s.add({ name: socket, db: 2, node: 'n1:6379', type: 'list', size: 4 });
    socket.fill(0x21);
    expect(s.bigKeys()).toEqual([]);
    expect(s.totals()[0]?.largest?.name.toString()).toBe('l:only');
  });

  it('bounds namespaces and types whatever the number of distinct ones', () => {
    const s = summary();
    s.expectNodes(1);
    for (let i = 0; i < 100_000; i++) s.add(key(`ns${i}:k`, 'string', 1 + (i % 7)));
    s.add(key('heavy:k', 'string', 1_000_000));
    const prefixes = s.namespaces(20);
    expect(prefixes).toHaveLength(20);
    expect(prefixes[0]).toMatchObject({ prefix: 'heavy', weight: expect.any(Number) });
    expect(prefixes[0]?.weight).toBeGreaterThanOrEqual(1_000_000);
    for (let i = 0; i < MAX_TYPES + 10; i++) s.add(key(`t:${i}`, `module${i}`, 5));
    expect(s.totals()).toHaveLength(MAX_TYPES);
    expect(s.untypedKeys).toBe(11);
  });

  it('weighs namespaces by memory when asked', () => {
    const s = summary('memory');
    s.add(key('a:1', 'string', 1000, { memoryBytes: 50 }));
    s.add(key('b:1', 'list', 5, { memoryBytes: 950 }));
    expect(s.namespaces(5).map((p) => [p.prefix, p.weight, p.share])).toEqual([
      ['b', 950, 0.95],
      ['a', 50, 0.05],
    ]);
    expect(s.totals().map((t) => [t.type, t.memoryBytes])).toEqual([
      ['string', 50],
      ['list', 950],
    ]);
  });
});
