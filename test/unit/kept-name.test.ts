/**
 * What an analysis keeps of a name (domain/kept-name.ts) and how containers use it: at most
 * 1 KiB and the SHA-1 of the whole, the same identity whether the name came whole (SCAN) or
 * already kept (an RDB's parser), long names never confused, hashes computed only when needed.
 */
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { HeatSummary } from '../../src/analysis/heat-summary.js';
import { BigKeySummary } from '../../src/analysis/bigkey-summary.js';
import { compareKept, keepName, keptIdentity, keptView, NAME_KEEP_BYTES, utf8Cut } from '../../src/domain/kept-name.js';
import { HotKeyCollector } from '../../src/engine/hot-key-collector.js';
import { reportedName } from '../../src/analysis/key-name.js';

const sha1 = (data: Buffer): string => createHash('sha1').update(data).digest('hex');
const long = (tail: string): Buffer => Buffer.concat([Buffer.alloc(5000, 'n'), Buffer.from(tail)]);

describe('kept names', () => {
  it('keeps a short name whole and a long one as its beginning and the hash of all of it', () => {
    expect(keepName(Buffer.from('user:1'))).toEqual({ name: Buffer.from('user:1') });
    const name = long('a');
    expect(keepName(name)).toEqual({ name: name.subarray(0, NAME_KEEP_BYTES), nameSha1: sha1(name) });
  });

  it('cuts on a UTF-8 character, and still at the limit for bytes that are not UTF-8', () => {
    const accented = Buffer.from('é'.repeat(600));
    expect(utf8Cut(accented, 1023)).toBe(1022);
    expect(keepName(accented).name.toString()).toBe('é'.repeat(512));
    const binary = Buffer.alloc(2000, 0x80);
    expect(utf8Cut(binary, 1024)).toBe(1024);
  });

  it('gives two long names that start alike two identities, and the same one to a name however it came', () => {
    const [a, b] = [long('a'), long('b')];
    expect(keptIdentity(0, keepName(a))).not.toBe(keptIdentity(0, keepName(b)));
    expect(keptIdentity(0, keepName(a))).toBe(keptIdentity(0, { name: a.subarray(0, NAME_KEEP_BYTES), nameSha1: sha1(a) }));
    expect(keptIdentity(0, keepName(a))).not.toBe(keptIdentity(1, keepName(a)));
    expect(Math.sign(compareKept(keepName(a), keepName(b)))).toBe(sha1(a) < sha1(b) ? -1 : 1);
    // A whole name that is exactly another's kept beginning comes first.
    expect(compareKept({ name: keepName(long('x')).name }, keepName(long('x')))).toBeLessThan(0);
  });

  it('hashes a long name only when a comparison needs it', () => {
    const view = keptView(long('a'));
    const hashed = (): string | undefined => (view as unknown as { sha1?: string }).sha1;
    expect(compareKept(view, { name: Buffer.from('zzz') })).toBeLessThan(0);
    expect(hashed()).toBeUndefined();
    expect(compareKept(view, keepName(long('b')))).not.toBe(0);
    expect(hashed()).toBe(sha1(long('a')));
  });

  it('reports a kept long name truncated, with its hash', () => {
    const name = long('a');
    expect(reportedName(keepName(name))).toEqual({ name: name.toString('latin1', 0, NAME_KEEP_BYTES), truncated: true, nameSha1: sha1(name) });
    expect(reportedName(keepName(Buffer.from([0xff])))).toEqual({ name: '\\xff', nameBase64: '/w==' });
  });
});

describe('containers of kept names', () => {
  it('keeps a hot long name once, as 1 KiB and a hash, asking for its type while the page has it', () => {
    const collector = new HotKeyCollector(10, new HeatSummary({ delimiters: ':', depth: 1 }, 'accesses'), 'db');
    const name = long('a');
    collector.offer(200, 0, 'n1', name);
    collector.offer(200, 0, 'n1', Buffer.from(name)); // SCAN may return a key twice
    collector.offer(100, 0, 'n1', long('b'));
    const [first, second] = collector.candidates();
    expect(collector.candidates()).toHaveLength(2);
    expect(first).toMatchObject({ freq: 200, nameSha1: sha1(name), id: keptIdentity(0, keepName(name)) });
    expect(first?.name.length).toBe(NAME_KEEP_BYTES);
    expect(second?.nameSha1).toBe(sha1(long('b')));
    const admitted = collector.takeLongAdmissions();
    expect(admitted.map((a) => [a.candidate.nameSha1, sha1(a.fullName)])).toEqual([
      [sha1(name), sha1(name)],
      [sha1(long('b')), sha1(long('b'))],
    ]);
    expect(collector.takeLongAdmissions()).toEqual([]);
    collector.setDetail(admitted[0]?.candidate as never, { type: 'string', size: 5, unit: 'byte' });
    collector.setDetail(admitted[1]?.candidate as never, 'vanished');
    expect(collector.candidates()).toHaveLength(1);
    expect(collector.vanishedKeys).toBe(1);
    expect(collector.candidates()[0]?.detail).toEqual({ type: 'string', size: 5, unit: 'byte' });
  });

  it('refuses a server claiming more databases than analysis.max_groups', () => {
    const collector = new HotKeyCollector(10, new HeatSummary({ delimiters: ':', depth: 1 }, 'accesses'), 'db', 16);
    for (let db = 0; db < 16; db++) collector.offer(100, db, 'n1', Buffer.from('k'));
    expect(() => collector.offer(100, 16, 'n1', Buffer.from('k'))).toThrow(/database 16 would be group 17 of this analysis, past analysis.max_groups \(16\)/);
    expect(() => collector.counted('n1', 3, 10)).not.toThrow();
  });

  it('keeps a big key under a long name as 1 KiB and a hash, once', () => {
    const summary = new BigKeySummary({ stringBytes: 10, collectionCount: 10, perType: 5 }, { delimiters: ':', depth: 1 }, 'size');
    const name = long('a');
    summary.add({ name, db: 0, node: 'n1', type: 'string', size: 100 });
    summary.add({ name: Buffer.from(name), db: 0, node: 'n1', type: 'string', size: 100 });
    summary.add({ name: name.subarray(0, NAME_KEEP_BYTES), nameSha1: sha1(name), db: 0, node: 'n1', type: 'string', size: 100 });
    const kept = summary.bigKeys();
    expect(kept).toHaveLength(1);
    expect(kept[0]).toMatchObject({ nameSha1: sha1(name) });
    expect(kept[0]?.name.length).toBe(NAME_KEEP_BYTES);
  });
});
