/**
 * LZF decompression (liblzf's format, as Redis writes compressed strings), strict: every
 * reference and run is checked against the input and output bounds, and the output must be
 * exactly `ulen` bytes unless the caller asked for a prefix only.
 */
export class LzfError extends Error {}

/**
 * Decompresses `src[start, end)` whose uncompressed length is `ulen`. With `prefix` < ulen only
 * the first `prefix` bytes are produced (a ziplist or listpack header tells the element count:
 * the rest need not be decompressed).
 */
export function lzfDecompress(src: Uint8Array, start: number, end: number, ulen: number, prefix = ulen): Buffer {
  const want = Math.min(prefix, ulen);
  const out = Buffer.allocUnsafe(want);
  let ip = start;
  let op = 0;
  while (ip < end && op < want) {
    let ctrl = src[ip++] as number;
    if (ctrl < 32) {
      const run = ctrl + 1;
      if (op + run > ulen) throw new LzfError('a literal run passes the uncompressed length');
      if (ip + run > end) throw new LzfError('a literal run passes the end of the compressed data');
      const copy = Math.min(run, want - op);
      // Runs are at most 32 bytes: a loop beats creating a subarray for set().
      for (let k = 0; k < copy; k++) out[op + k] = src[ip + k] as number;
      op += copy;
      ip += run;
      continue;
    }
    let len = ctrl >> 5;
    if (len === 7) {
      if (ip >= end) throw new LzfError('a back reference is cut');
      len += src[ip++] as number;
    }
    if (ip >= end) throw new LzfError('a back reference is cut');
    ctrl = ((ctrl & 0x1f) << 8) + (src[ip++] as number);
    let ref = op - ctrl - 1;
    len += 2;
    if (ref < 0) throw new LzfError('a back reference points before the start');
    if (op + len > ulen) throw new LzfError('a back reference passes the uncompressed length');
    const copy = Math.min(len, want - op);
    for (let k = 0; k < copy; k++) out[op++] = out[ref++] as number;
  }
  if (op < want) throw new LzfError(`the data decompresses to ${op} bytes, not ${ulen}`);
  if (want === ulen && ip !== end) throw new LzfError('compressed bytes left after the uncompressed length was reached');
  return out;
}
