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
      [0, 1].map((db) => ({ freq: 10, db, node: 'n', name: Buffer.from(name) })),
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
