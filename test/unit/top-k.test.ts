import { describe, expect, it } from 'vitest';
import { TopK } from '../../src/analysis/top-k.js';
import { isHotter, type Candidate } from '../../src/analysis/candidate.js';

const byValue = (a: number, b: number): boolean => a > b;

describe('TopK', () => {
  it('keeps the k largest of a long stream, best first', () => {
    const top = new TopK<number>(5, byValue);
    const values = Array.from({ length: 10_000 }, (_, i) => (i * 7919) % 10_007);
    for (const v of values) top.offer(v);
    expect(top.size).toBe(5);
    expect(top.sorted()).toEqual([...values].sort((a, b) => b - a).slice(0, 5));
  });

  it('reports the worst kept item only once full', () => {
    const top = new TopK<number>(3, byValue);
    top.offer(1);
    top.offer(9);
    expect(top.worstKept()).toBeUndefined();
    top.offer(5);
    expect(top.worstKept()).toBe(1);
    expect(top.offer(0)).toBe(false);
    expect(top.offer(7)).toBe(true);
    expect(top.worstKept()).toBe(5);
  });

  it('rejects a capacity below one', () => {
    expect(() => new TopK<number>(0, byValue)).toThrow(RangeError);
  });

  it('gives the same result whatever the arrival order, thanks to the tie-break', () => {
    const keys: Candidate[] = ['b', 'a', 'c', 'd'].flatMap((name) =>
      [0, 1].map((db) => ({ freq: 10, db, node: 'n', name: Buffer.from(name), id: `${db}:${name}` })),
    );
    const forward = new TopK<Candidate>(3, isHotter);
    const backward = new TopK<Candidate>(3, isHotter);
    keys.forEach((k) => forward.offer(k));
    [...keys].reverse().forEach((k) => backward.offer(k));
    const names = (t: TopK<Candidate>) => t.sorted().map((c) => `${c.db}:${c.name.toString()}`);
    expect(names(forward)).toEqual(['0:a', '0:b', '0:c']);
    expect(names(backward)).toEqual(names(forward));
  });
});

describe('TopK with identity', () => {
  const item = (id: string, score: number) => ({ id, score });
  type Item = ReturnType<typeof item>;
  const better = (a: Item, b: Item) => a.score > b.score || (a.score === b.score && a.id < b.id);

  it('never keeps an item twice and keeps its best offer', () => {
    const top = new TopK<Item>(3, better, (i) => i.id);
    for (const [id, score] of [['a', 5], ['b', 4], ['a', 9], ['c', 1], ['a', 2], ['d', 3], ['b', 4]] as const) top.offer(item(id, score));
    expect(top.sorted()).toEqual([item('a', 9), item('b', 4), item('d', 3)]);
  });

  it('matches a brute-force top-k on random streams with repeats', () => {
    let seed = 7;
    const random = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
    for (let round = 0; round < 50; round++) {
      const top = new TopK<Item>(5, better, (i) => i.id);
      const best = new Map<string, number>();
      for (let n = 0; n < 300; n++) {
        const offered = item(`k${Math.floor(random() * 40)}`, Math.floor(random() * 100));
        top.offer(offered);
        best.set(offered.id, Math.max(best.get(offered.id) ?? -1, offered.score));
      }
      const expected = [...best].map(([id, score]) => item(id, score)).sort((a, b) => (better(a, b) ? -1 : 1)).slice(0, 5);
      expect(top.sorted()).toEqual(expected);
    }
  });
});

describe('TopK.removeWhere', () => {
  it('drops matching items and keeps a valid heap and identity index', () => {
    const better = (a: { id: string; score: number }, b: { id: string; score: number }) => a.score > b.score || (a.score === b.score && a.id < b.id);
    const top = new TopK<{ id: string; score: number }>(4, better, (i) => i.id);
    for (const [id, score] of [['a', 9], ['b', 8], ['c', 7], ['d', 6]] as const) top.offer({ id, score });
    expect(top.removeWhere((i) => i.id === 'a' || i.id === 'c')).toBe(2);
    expect(top.sorted().map((i) => i.id)).toEqual(['b', 'd']);
    top.offer({ id: 'a', score: 1 }); // no longer kept: may come back, at its new score
    top.offer({ id: 'b', score: 10 });
    top.offer({ id: 'e', score: 5 });
    expect(top.sorted()).toEqual([{ id: 'b', score: 10 }, { id: 'd', score: 6 }, { id: 'e', score: 5 }, { id: 'a', score: 1 }]);
  });
});
