/**
 * The offline report builder (analysis/offline-report.ts): exact totals, the largest keys and
 * namespaces per type in a stable order, and its bounds whatever it is fed (a million distinct
 * namespaces, names of any length, a module type per key).
 */
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { MAX_MODULE_TYPES, OfflineReportBuilder, offlineSettings, prefixCounters, type OfflineKey } from '../../src/analysis/offline-report.js';
import { NAME_KEEP_BYTES } from '../../src/domain/kept-name.js';
import { OFFLINE_DEFAULTS } from '../../src/domain/offline-report.js';
import { seededRandom } from '../helpers/seeded-random.js';

const PREFIXES = { delimiters: ':', depth: 1 };

const key = (name: string | Buffer, type: string, bytes: number, extra: Partial<OfflineKey> = {}): OfflineKey => ({
  name: typeof name === 'string' ? Buffer.from(name) : name,
  db: 0,
  node: '127.0.0.1:6379',
  type,
  module: false,
  bytes,
  numOfElem: 1,
  ...extra,
});

function build(keys: readonly OfflineKey[], settings = OFFLINE_DEFAULTS): OfflineReportBuilder {
  const builder = new OfflineReportBuilder(settings, PREFIXES);
  for (const k of keys) builder.add(k);
  return builder;
}

describe('OfflineReportBuilder', () => {
  const keys = [
    key('user:1', 'string', 100),
    key('user:2', 'string', 300),
    key('order:1', 'string', 200),
    key('plain', 'string', 50),
    key('user:list', 'list', 1000, { numOfElem: 40 }),
    key('order:list', 'list', 400, { numOfElem: 7, db: 3 }),
    key('s:1', 'stream', 90, { numOfElem: 3 }),
    key('h:1', 'hash', 70, { numOfElem: 2 }),
  ];

  it('totals every key, per type in canonical order', () => {
    const report = build(keys).result();
    expect(report.totalNum).toBe(8);
    expect(report.totalBytes).toBe(2210);
    expect(report.typeNum).toEqual([
      { type: 'string', num: 4 },
      { type: 'list', num: 2 },
      { type: 'hash', num: 1 },
      { type: 'stream', num: 1 },
    ]);
    expect(report.typeBytes).toEqual([
      { type: 'string', bytes: 650 },
      { type: 'list', bytes: 1400 },
      { type: 'hash', bytes: 70 },
      { type: 'stream', bytes: 90 },
    ]);
  });

  it('reports the largest keys per type, largest first, with their elements and database', () => {
    const report = build(keys).result();
    expect(report.largestKeys.map((k) => [k.type, k.name, k.bytes, k.numOfElem, k.db])).toEqual([
      ['string', 'user:2', 300, 1, 0],
      ['string', 'order:1', 200, 1, 0],
      ['string', 'user:1', 100, 1, 0],
      ['string', 'plain', 50, 1, 0],
      ['list', 'user:list', 1000, 40, 0],
      ['list', 'order:list', 400, 7, 3],
      ['hash', 'h:1', 70, 2, 0],
      ['stream', 's:1', 90, 3, 0],
    ]);
  });

  it('sums namespaces per type, exactly while they fit their counters; names without a delimiter count under ""', () => {
    const report = build(keys).result();
    expect(report.largestKeyPrefixes).toEqual([
      { keyPrefix: 'user', type: 'string', bytes: 400, num: 2 },
      { keyPrefix: 'order', type: 'string', bytes: 200, num: 1 },
      { keyPrefix: '', type: 'string', bytes: 50, num: 1 },
      { keyPrefix: 'user', type: 'list', bytes: 1000, num: 1 },
      { keyPrefix: 'order', type: 'list', bytes: 400, num: 1 },
      { keyPrefix: 'h', type: 'hash', bytes: 70, num: 1 },
      { keyPrefix: 's', type: 'stream', bytes: 90, num: 1 },
    ]);
  });

  it('keeps topKeys keys and topPrefixes namespaces per type, the same whatever the order of the keys', () => {
    const random = seededRandom(7);
    const many: OfflineKey[] = [];
    for (let i = 0; i < 2000; i++) many.push(key(`ns${i % 13}:${i}`, i % 2 === 0 ? 'string' : 'zset', 1 + (i % 97), { db: i % 3, numOfElem: i }));
    const settings = { topKeys: 5, topPrefixes: 4 };
    const report = build(many, settings).result();
    const shuffled = [...many].sort(() => random() - 0.5);
    expect(build(shuffled, settings).result()).toEqual(report);
    for (const type of ['string', 'zset']) {
      const largest = report.largestKeys.filter((k) => k.type === type);
      expect(largest).toHaveLength(5);
      // The five largest of the type, ties by db, then name bytes.
      const expected = many
        .filter((k) => k.type === type)
        .sort((a, b) => b.bytes - a.bytes || a.db - b.db || Buffer.compare(a.name, b.name))
        .slice(0, 5)
        .map((k) => [k.name.toString(), k.bytes, k.db]);
      expect(largest.map((k) => [k.name, k.bytes, k.db])).toEqual(expected);
      const prefixes = report.largestKeyPrefixes.filter((p) => p.type === type);
      expect(prefixes).toHaveLength(4);
      const sums = new Map<string, number>();
      for (const k of many.filter((m) => m.type === type)) sums.set(k.name.toString().split(':')[0] as string, (sums.get(k.name.toString().split(':')[0] as string) ?? 0) + k.bytes);
      const top = [...sums].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).slice(0, 4);
      expect(prefixes.map((p) => [p.keyPrefix, p.bytes])).toEqual(top);
    }
  });

  it('stays bounded over a million distinct namespaces, and still finds the heavy one within its error', () => {
    const builder = new OfflineReportBuilder(OFFLINE_DEFAULTS, PREFIXES);
    let heavy = 0;
    let total = 0;
    for (let i = 0; i < 1_000_000; i++) {
      const isHeavy = i % 50 === 0;
      const bytes = isHeavy ? 40 : 20 + (i % 7);
      if (isHeavy) heavy += bytes;
      total += bytes;
      builder.add(key(isHeavy ? `heavy:${i}` : `p${i}:x`, 'string', bytes));
    }
    const retained = builder.retained();
    expect(retained).toEqual({ types: 1, keys: OFFLINE_DEFAULTS.topKeys, prefixCounters: prefixCounters(OFFLINE_DEFAULTS.topPrefixes) });
    const report = builder.result();
    expect(report.totalNum).toBe(1_000_000);
    expect(report.totalBytes).toBe(total);
    expect(report.largestKeys).toHaveLength(OFFLINE_DEFAULTS.topKeys);
    expect(report.largestKeyPrefixes).toHaveLength(OFFLINE_DEFAULTS.topPrefixes);
    const first = report.largestKeyPrefixes[0];
    expect(first?.keyPrefix).toBe('heavy');
    // Space-Saving: an upper bound, overestimated by at most its error, itself at most W / k.
    expect(first?.bytes).toBeGreaterThanOrEqual(heavy);
    expect((first?.bytes ?? 0) - (first?.errorBytes ?? 0)).toBeLessThanOrEqual(heavy);
    expect(first?.errorBytes ?? 0).toBeLessThanOrEqual(total / prefixCounters(OFFLINE_DEFAULTS.topPrefixes));
    // The others are estimates past eviction, and say so.
    expect(report.largestKeyPrefixes.slice(1).every((p) => (p.errorBytes ?? 0) > 0)).toBe(true);
  }, 60_000);

  it('keeps a long name as its first 1 KiB and the SHA-1 of the whole, copied out of the buffer it came in', () => {
    const whole = Buffer.alloc(5000, 'n');
    whole.write('long:', 0);
    const given = Buffer.from(whole);
    // As the parser hands a long name over: its beginning and the hash of all of it.
    const parsed = Buffer.alloc(NAME_KEEP_BYTES, 'q');
    const parsedSha1 = createHash('sha1').update('the whole parsed name').digest('hex');
    const builder = build([key(given, 'string', 900), key(parsed, 'string', 800, { nameSha1: parsedSha1 })]);
    given.fill(0);
    parsed.fill(0);
    const [first, second] = builder.result().largestKeys;
    expect(first).toMatchObject({ truncated: true, nameSha1: createHash('sha1').update(whole).digest('hex'), bytes: 900 });
    expect(first?.name).toBe(whole.subarray(0, NAME_KEEP_BYTES).toString());
    expect(second).toMatchObject({ name: 'q'.repeat(NAME_KEEP_BYTES), truncated: true, nameSha1: parsedSha1 });
    // The namespace came from the name as given, before the buffer was reused.
    expect(builder.result().largestKeyPrefixes.map((p) => p.keyPrefix)).toEqual(['long', '']);
  });

  it('reports names and namespaces that are not UTF-8 escaped, with their bytes in base64', () => {
    const name = Buffer.from([0xff, 0x3a, 0x41]);
    const report = build([key(name, 'set', 10, { numOfElem: 4 })]).result();
    expect(report.largestKeys[0]).toMatchObject({ name: '\\xff:A', nameBase64: name.toString('base64'), numOfElem: 4 });
    expect(report.largestKeyPrefixes[0]).toMatchObject({ keyPrefix: '\\xff', keyPrefixBase64: Buffer.from([0xff]).toString('base64') });
    // JSON-serialisable as it is.
    expect(JSON.parse(JSON.stringify(report))).toEqual(report);
  });

  it('tracks at most MAX_MODULE_TYPES module types by name; further ones count under module', () => {
    const modules = Array.from({ length: MAX_MODULE_TYPES + 5 }, (_, i) => key(`m:${i}`, `mod${String(i).padStart(6, '0')}`, 10 + i, { module: true }));
    const report = build([...modules, key('s', 'string', 1)]).result();
    expect(report.typeNum).toHaveLength(MAX_MODULE_TYPES + 2);
    expect(report.typeNum.find((t) => t.type === 'module')).toEqual({ type: 'module', num: 5 });
    expect(report.largestKeys.filter((k) => k.type === 'module').map((k) => k.name)).toEqual(['m:12', 'm:11', 'm:10', 'm:9', 'm:8']);
    expect(report.totalNum).toBe(MAX_MODULE_TYPES + 6);
  });

  it('refuses settings outside OFFLINE_LIMITS', () => {
    expect(offlineSettings()).toEqual({ topKeys: 100, topPrefixes: 50 });
    expect(offlineSettings({ topKeys: 500, topPrefixes: 1 })).toEqual({ topKeys: 500, topPrefixes: 1 });
    for (const bad of [0, 501, 2.5, Number.NaN]) {
      expect(() => new OfflineReportBuilder({ topKeys: bad, topPrefixes: 50 }, PREFIXES)).toThrow(RangeError);
      expect(() => offlineSettings({ topPrefixes: bad })).toThrow(/topPrefixes must be a whole number from 1 to 500/);
    }
  });
});
