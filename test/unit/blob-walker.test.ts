/**
 * The walk of a compact blob that arrives in pieces (BlobWalker) against the walk of the same
 * blob here whole: the same count, the same TTLs, and the same verdict on a corrupt blob,
 * whatever the pieces; and LzfStream against lzfDecompress.
 */
import { describe, expect, it } from 'vitest';
import { BlobError, BlobWalker, blobCount, listpackTriplets, type BlobKind } from '../../src/redis/rdb/blobs.js';
import { LzfError, LzfStream, lzfDecompress } from '../../src/redis/rdb/lzf.js';
import { listpack, lzfCompress, lzfRepeating, ziplist, zipmap } from '../helpers/rdb-writer.js';
import { seededRandom } from '../helpers/seeded-random.js';

type Walked = { count: number } | { triplets: unknown } | { error: string };

function wholeWalk(kind: Exclude<BlobKind, 'intset'>, blob: Buffer, triplets: boolean): Walked {
  try {
    return triplets ? { triplets: listpackTriplets(blob, 0, blob.length) } : { count: blobCount(kind, blob, 0, blob.length) };
  } catch (error) {
    if (!(error instanceof BlobError)) throw error;
    return { error: 'BlobError' };
  }
}

function piecewiseWalk(kind: Exclude<BlobKind, 'intset'>, blob: Buffer, triplets: boolean, pieces: () => number): Walked {
  const walker = new BlobWalker(kind, blob.length, triplets);
  try {
    for (let at = 0; at < blob.length; ) {
      const next = Math.min(blob.length, at + pieces());
      // A copy per piece: the walker must keep nothing of it.
      walker.feed(Buffer.from(blob.subarray(at, next)), 0, next - at);
      at = next;
    }
    return walker.end();
  } catch (error) {
    if (!(error instanceof BlobError)) throw error;
    return { error: 'BlobError' };
  }
}

const random = seededRandom(21);
const BLOBS: [Exclude<BlobKind, 'intset'>, Buffer, boolean][] = [
  ['ziplist', ziplist(Array.from({ length: 5000 }, (_, i) => (i % 5 === 0 ? 'y'.repeat(i % 300) : i % 3 === 0 ? -70000 * i : i % 13)), 65535), false],
  ['listpack', listpack(Array.from({ length: 5000 }, (_, i) => (i % 3 === 0 ? 'x'.repeat(i % 200) : i * 1000)), 65535), false],
  ['listpack', listpack(Array.from({ length: 300 }, (_, i) => (i % 3 === 2 ? (i % 7 === 0 ? 0 : 1_700_000_000_000 + i) : `field${i}`))), true],
  ['zipmap', zipmap(Array.from({ length: 200 }, (_, i): [string, string] => [`f${i}`, 'v'.repeat(i)])), false],
];

describe('BlobWalker', () => {
  it('counts what the whole walk counts, whatever the pieces', () => {
    for (const [kind, blob, triplets] of BLOBS) {
      const whole = wholeWalk(kind, blob, triplets);
      expect(whole).not.toHaveProperty('error');
      for (const size of [1, 2, 3, 7, 15, 16, 17, 100, 4093, blob.length]) expect(piecewiseWalk(kind, blob, triplets, () => size), `${kind} in ${size}-byte pieces`).toEqual(whole);
      for (let run = 0; run < 20; run++) expect(piecewiseWalk(kind, blob, triplets, () => 1 + Math.floor(random() * 40))).toEqual(whole);
    }
  });

  it('gives the same verdict as the whole walk on corrupt blobs', () => {
    for (const [kind, blob, triplets] of BLOBS) {
      for (let run = 0; run < 300; run++) {
        const corrupt = Buffer.from(blob);
        for (let flips = 1 + Math.floor(random() * 3); flips > 0; flips--) corrupt[Math.floor(random() * corrupt.length)] = Math.floor(random() * 256);
        const cut = random() < 0.2 ? corrupt.subarray(0, Math.floor(random() * corrupt.length)) : corrupt;
        const whole = wholeWalk(kind, cut, triplets);
        const pieces = 1 + Math.floor(random() * 64);
        expect(piecewiseWalk(kind, cut, triplets, () => pieces), `${kind} run ${run}`).toEqual(whole);
      }
    }
  });
});

/** Index of the first byte where two buffers differ, or -1 when they are equal. */
function firstDifference(a: Buffer, b: Buffer): number {
  if (a.equals(b)) return -1;
  for (let i = 0; i < Math.min(a.length, b.length); i++) if (a[i] !== b[i]) return i;
  return Math.min(a.length, b.length);
}

describe('LzfStream', () => {
  const inflate = (data: Buffer, ulen: number, piece: number): Buffer | string => {
    const parts: Buffer[] = [];
    const stream = new LzfStream(ulen, (out, start, end) => parts.push(Buffer.from(out.subarray(start, end))));
    try {
      for (let at = 0; at < data.length; at += piece) stream.feed(data, at, Math.min(data.length, at + piece));
      stream.end();
    } catch (error) {
      if (!(error instanceof LzfError)) throw error;
      return 'LzfError';
    }
    return Buffer.concat(parts);
  };

  it('inflates what lzfDecompress inflates, in spans, whatever the pieces', () => {
    const text = Buffer.from(Array.from({ length: 600 }, (_, i) => `word${(i * 7) % 37} `).join(''));
    const compressed = lzfCompress(text);
    for (const piece of [1, 2, 3, 1000, compressed.length]) expect(inflate(compressed, text.length, piece)).toEqual(text);
    const { data, ulen } = lzfRepeating(Buffer.from('head'), Buffer.from('abc'), 500_000, Buffer.from('tail'));
    const expected = lzfDecompress(data, 0, data.length, ulen);
    // 1.5 MB outputs: compared as bytes, where toEqual walks them element by element (seconds each).
    for (const piece of [1, 5, 16 * 1024, data.length]) {
      const inflated = inflate(data, ulen, piece);
      expect(typeof inflated === 'string' ? inflated : firstDifference(inflated, expected), `piece ${piece}`).toBe(-1);
    }
  });

  it('refuses what lzfDecompress refuses', () => {
    const compressed = lzfCompress(Buffer.from('hello hello hello hello world'));
    for (let run = 0; run < 500; run++) {
      const corrupt = Buffer.from(compressed);
      corrupt[Math.floor(random() * corrupt.length)] = Math.floor(random() * 256);
      const ulen = random() < 0.2 ? 29 + Math.floor(random() * 5) - 2 : 29;
      let whole: Buffer | string;
      try {
        whole = lzfDecompress(corrupt, 0, corrupt.length, ulen);
      } catch (error) {
        if (!(error instanceof LzfError)) throw error;
        whole = 'LzfError';
      }
      expect(inflate(corrupt, ulen, 1 + (run % 7))).toEqual(whole);
    }
  });
});
