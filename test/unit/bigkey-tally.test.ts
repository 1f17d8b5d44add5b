/**
 * What a big key scan keeps per shard and over the deployment (engine/bigkey-consumer.ts
 * BigKeyTally): the same totals, namespaces and biggest keys as one analysis/bigkey-summary.ts
 * fed the same keys; a key read on two nodes reported once, from its later reading; a shard
 * read again leaving nothing of its first reading behind.
 */
import { describe, expect, it } from 'vitest';
import { BigKeySummary, type SizedKey } from '../../src/analysis/bigkey-summary.js';
import { BigKeyTally } from '../../src/engine/bigkey-consumer.js';
import { seededRandom } from '../helpers/seeded-random.js';

const THRESHOLDS = { stringBytes: 1000, collectionCount: 50, perType: 5 };
const PREFIX = { delimiters: ':', depth: 2 };
/** In the canonical order: the known types, then module types by name. */
const TYPES = ['string', 'list', 'hash', 'ReJSON-RL'];

function keys(count: number, seed: number): SizedKey[] {
  const random = seededRandom(seed);
  return Array.from({ length: count }, (_, i) => {
    const type = TYPES[Math.floor(random() * TYPES.length)] as string;
    const node = `10.0.0.${1 + Math.floor(random() * 3)}:6379`;
    return {
      name: Buffer.from(`ns${Math.floor(random() * 7)}:sub${Math.floor(random() * 3)}:${i}`),
      db: 0,
      node,
      shard: node,
      type,
      size: Math.floor(random() * (type === 'string' ? 2000 : 100)),
      memoryBytes: Math.floor(random() * 5000),
    };
  });
}

describe('BigKeyTally', () => {
  for (const weighBy of ['size', 'memory'] as const) {
    it(`gives what one summary of the same keys gives (namespaces by ${weighBy})`, () => {
      const tally = new BigKeyTally(THRESHOLDS, PREFIX, weighBy);
      const summary = new BigKeySummary(THRESHOLDS, PREFIX, weighBy);
      tally.expectNodes(3);
      summary.expectNodes(3);
      const all = keys(5000, 7);
      for (const key of all) {
        tally.add(tally.shard(key.node), key.node, key);
        summary.add(key);
      }
      expect(tally.totals()).toEqual(summary.totals());
      expect(tally.namespaces(20)).toEqual(summary.namespaces(20));
      // The biggest per type, ties in size broken by name (whichever node read them).
      const expected = TYPES.flatMap((type) =>
        all
          .filter((k) => k.type === type && summary.isBig(k.type, k.size))
          .sort((a, b) => b.size - a.size || Buffer.compare(a.name, b.name))
          .slice(0, THRESHOLDS.perType)
          .map((k) => [k.type, k.name.toString(), k.size]),
      );
      expect(tally.bigKeys().map((k) => [k.type, k.name.toString(), k.size])).toEqual(expected);
    });
  }

  it('reports a key read on two nodes once, from its later reading', () => {
    const tally = new BigKeyTally(THRESHOLDS, PREFIX, 'size');
    const key: SizedKey = { name: Buffer.from('big:moved'), db: 0, node: 'b:1', shard: 'b:1', type: 'string', size: 5000 };
    tally.add(tally.shard('b:1'), 'b:1', key);
    // Read again where its slot went ('a:1' sorts first: the later reading wins, not the node's name).
    tally.add(tally.shard('a:1'), 'a:1', { ...key, node: 'a:1', shard: 'a:1' });
    tally.offer({ ...key, node: 'c:1', shard: 'c:1' }, 'c:1');
    expect(tally.bigKeys().map((k) => [k.name.toString(), k.shard])).toEqual([['big:moved', 'c:1']]);
    // Totals count what the scans met: twice here (the re-read at the end is not counted).
    expect(tally.totals()[0]).toMatchObject({ keys: 2, bigKeys: 2 });
  });

  it('forgets a shard read again: its totals, counts and readings among the biggest', () => {
    const tally = new BigKeyTally(THRESHOLDS, PREFIX, 'size');
    const a = tally.shard('a:1');
    const b = tally.shard('b:1');
    tally.add(a, 'a:1', { name: Buffer.from('x:1'), db: 0, node: 'a-replica:1', shard: 'a:1', type: 'string', size: 9000 });
    a.scanned += 1;
    a.vanished += 3;
    tally.add(b, 'b:1', { name: Buffer.from('y:1'), db: 0, node: 'b:1', shard: 'b:1', type: 'string', size: 3000 });
    b.scanned += 1;
    tally.forget('a:1');
    expect(tally.bigKeys().map((k) => k.name.toString())).toEqual(['y:1']);
    expect(tally.totals()).toEqual([expect.objectContaining({ type: 'string', keys: 1, totalSize: 3000 })]);
    expect(tally.counts()).toEqual({ scanned: 1, vanished: 0, changed: 0 });
    expect(tally.namespaces(5).map((p) => p.prefix)).toEqual(['y']);
  });
});
