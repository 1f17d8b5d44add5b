/** The TTL report of an expired key scan (analysis/ttl-report.ts), on made-up streams of PTTL answers. */
import { describe, expect, it } from 'vitest';
import { TtlReportBuilder, ttlSlot } from '../../src/analysis/ttl-report.js';
import { NAMESPACES_REPORTED, type TtlCounts } from '../../src/domain/expire-report.js';
import { RedisFailure } from '../../src/domain/redis-failure.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

function builder(maxGroups?: number): TtlReportBuilder {
  return new TtlReportBuilder({ delimiters: ':', depth: 1 }, maxGroups);
}

function counts(histogram: Partial<TtlCounts['histogram']>): TtlCounts {
  const full = { under1m: 0, under1h: 0, under1d: 0, under7d: 0, longer: 0, none: 0, ...histogram };
  const keys = Object.values(full).reduce((a, b) => a + b, 0);
  return { keys, withExpiry: keys - full.none, withoutExpiry: full.none, histogram: full };
}

describe('ttlSlot: the bucket edges', () => {
  it('puts each TTL in the bucket whose upper bound it is below', () => {
    const report = builder();
    const edges: [number, keyof TtlCounts['histogram']][] = [
      [0, 'under1m'],
      [MINUTE - 1, 'under1m'],
      [MINUTE, 'under1h'],
      [HOUR - 1, 'under1h'],
      [HOUR, 'under1d'],
      [DAY - 1, 'under1d'],
      [DAY, 'under7d'],
      [7 * DAY - 1, 'under7d'],
      [7 * DAY, 'longer'],
      [10 * 365 * DAY, 'longer'],
      [-1, 'none'],
    ];
    for (const [pttl, bucket] of edges) {
      const one = builder();
      one.add('n:1', 0, Buffer.from('k'), pttl);
      expect(one.report().totals.histogram[bucket], `${pttl} ms`).toBe(1);
      report.add('n:1', 0, Buffer.from('k'), pttl);
    }
    expect(report.report().totals).toEqual(counts({ under1m: 2, under1h: 2, under1d: 2, under7d: 2, longer: 2, none: 1 }));
  });

  it('refuses what is not a remaining TTL (-2 is the caller\'s: a vanished key)', () => {
    for (const bad of [-2, -3, 1.5, Number.NaN]) expect(() => ttlSlot(bad), String(bad)).toThrow(RangeError);
  });
});

describe('TtlReportBuilder', () => {
  it('counts per database and in total, exactly, databases in order', () => {
    const report = builder();
    const db3 = report.database('n:1', 3);
    db3.add(Buffer.from('a:1'), 30_000);
    db3.add(Buffer.from('a:2'), -1);
    const db0 = report.database('n:1', 0);
    db0.add(Buffer.from('b:1'), 2 * HOUR);
    report.add('n:2', 0, Buffer.from('b:2'), 3 * DAY);
    const result = report.report();
    expect(result.databases).toEqual([
      { db: 0, ...counts({ under1d: 1, under7d: 1 }) },
      { db: 3, ...counts({ under1m: 1, none: 1 }) },
    ]);
    expect(result.totals).toEqual(counts({ under1m: 1, under1d: 1, under7d: 1, none: 1 }));
  });

  it('reports namespaces by key count, merged over nodes, with their own histograms', () => {
    const report = builder();
    for (let i = 0; i < 5; i++) report.add('n:1', 0, Buffer.from(`user:${i}`), -1);
    for (let i = 0; i < 3; i++) report.add('n:2', 0, Buffer.from(`user:x${i}`), 10 * MINUTE);
    for (let i = 0; i < 4; i++) report.add('n:2', 0, Buffer.from(`session:${i}`), 30_000);
    report.add('n:1', 0, Buffer.from('plain'), 8 * DAY);
    report.add('n:1', 0, Buffer.from([0xff, 0x3a, 0x01]), -1);
    const namespaces = report.report().namespaces;
    expect(namespaces).toEqual([
      { prefix: 'user', ...counts({ none: 5, under1h: 3 }), error: 0 },
      { prefix: 'session', ...counts({ under1m: 4 }), error: 0 },
      { prefix: '', ...counts({ longer: 1 }), error: 0 },
      { prefix: '\\xff', prefixBase64: '/w==', ...counts({ none: 1 }), error: 0 },
    ]);
  });

  it('keeps namespaces bounded: capacity counters per node, the top 20 reported, the heavy ones found', () => {
    const report = builder();
    report.expectNodes(1000); // 64 counters per node
    for (let i = 0; i < 20_000; i++) {
      report.add('n:1', 0, Buffer.from(`rare${i}:x`), -1);
      if (i % 10 === 0) report.add('n:1', 0, Buffer.from(`heavy:${i}`), MINUTE);
    }
    const result = report.report();
    expect(result.totals.keys).toBe(22_000);
    expect(result.namespaces.length).toBeLessThanOrEqual(NAMESPACES_REPORTED);
    const heavy = result.namespaces[0];
    expect(heavy?.prefix).toBe('heavy');
    // Space-Saving: the true 2000 is within [keys, keys + error].
    expect(heavy!.keys).toBeLessThanOrEqual(2000);
    expect(heavy!.keys + heavy!.error).toBeGreaterThanOrEqual(2000);
    expect(heavy!.keys).toBe(heavy!.histogram.under1h);
    // What it holds: 64 namespaces with their counts, whatever the 20 001 offered.
    const node = (report as unknown as { nodes: Map<string, { namespaceTallies: Map<string, unknown> }> }).nodes.get('n:1');
    expect(node?.namespaceTallies.size).toBeLessThanOrEqual(64);
  });

  it('keeps at most 256 bytes of a namespace, whatever the name', () => {
    const report = builder();
    report.add('n:1', 0, Buffer.concat([Buffer.alloc(300, 0x61), Buffer.from(':x')]), -1);
    report.add('n:1', 0, Buffer.concat([Buffer.alloc(100, 0x62), Buffer.from(':'), Buffer.alloc(2 * 1024 * 1024, 0x63)]), -1);
    const prefixes = report.report().namespaces.map((n) => n.prefix);
    expect(prefixes).toContain('b'.repeat(100));
    for (const prefix of prefixes) expect(prefix.length).toBeLessThanOrEqual(256);
  });

  it('forgets what a failed node contributed', () => {
    const report = builder();
    report.add('n:1', 0, Buffer.from('a:1'), -1);
    report.add('n:2', 0, Buffer.from('a:2'), 5);
    report.forgetNode('n:1');
    const result = report.report();
    expect(result.totals).toEqual(counts({ under1m: 1 }));
    expect(result.namespaces).toEqual([{ prefix: 'a', ...counts({ under1m: 1 }), error: 0 }]);
  });

  it('fails a server claiming more databases than max_groups', () => {
    const report = builder(16);
    for (let db = 0; db < 16; db++) report.add('n:1', db, Buffer.from('k'), -1);
    report.add('n:2', 15, Buffer.from('k'), -1);
    expect(() => report.database('n:1', 16)).toThrow(RedisFailure);
  });
});
