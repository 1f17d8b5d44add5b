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

/**
 * Walks LZF data for its decompressed length alone, without producing it: a literal run adds
 * its length, a back reference adds its own and must point inside what came before. This is
 * every check liblzf's lzf_decompress makes (Redis refuses a string whose data does not
 * decompress to exactly the length its header states, as "Invalid LZF compressed string"), at
 * the cost of reading the control bytes, in bounded memory, across any number of chunks.
 */
export class LzfLengthWalker {
  /** Bytes the data decompresses to so far. */
  private out = 0;
  /** Literal bytes of the current run still to pass over. */
  private literal = 0;
  /** A back reference's control byte waiting for the rest of it (-1: none). */
  private ctrl = -1;
  /** A long back reference's length byte, once read (-1: not yet). */
  private extra = -1;

  constructor(private readonly ulen: number) {}

  /** Feeds `src[start, end)`; throws LzfError at the first breach. */
  feed(src: Uint8Array, start: number, end: number): void {
    let ip = start;
    while (ip < end) {
      if (this.literal > 0) {
        const take = Math.min(this.literal, end - ip);
        ip += take;
        this.literal -= take;
        continue;
      }
      if (this.ctrl === -1) {
        const ctrl = src[ip++] as number;
        if (ctrl < 32) {
          this.grow(ctrl + 1, 0);
          this.literal = ctrl + 1;
          continue;
        }
        this.ctrl = ctrl;
        this.extra = -1;
        continue;
      }
      let len = this.ctrl >> 5;
      if (len === 7 && this.extra === -1) {
        this.extra = src[ip++] as number;
        continue;
      }
      if (len === 7) len += this.extra;
      const offset = ((this.ctrl & 0x1f) << 8) + (src[ip++] as number);
      this.ctrl = -1;
      this.grow(len + 2, offset + 1);
    }
  }

  /** The data ended: it must have decompressed to exactly the stated length, nothing cut. */
  end(): void {
    if (this.literal > 0) throw new LzfError('a literal run passes the end of the compressed data');
    if (this.ctrl !== -1) throw new LzfError('a back reference is cut');
    if (this.out !== this.ulen) throw new LzfError(`the data decompresses to ${this.out} bytes, not ${this.ulen}`);
  }

  private grow(length: number, distance: number): void {
    if (distance > this.out) throw new LzfError('a back reference points before the start');
    if (this.out + length > this.ulen) throw new LzfError(distance === 0 ? 'a literal run passes the uncompressed length' : 'a back reference passes the uncompressed length');
    this.out += length;
  }
}

/**
 * Checks that `src[start, end)` decompresses to exactly `ulen` bytes: LzfLengthWalker's checks
 * for data that is here whole (most strings), in one tight loop.
 */
export function lzfCheckLength(src: Uint8Array, start: number, end: number, ulen: number): void {
  let ip = start;
  let op = 0;
  while (ip < end) {
    const ctrl = src[ip++] as number;
    if (ctrl < 32) {
      ip += ctrl + 1;
      op += ctrl + 1;
      if (ip > end) throw new LzfError('a literal run passes the end of the compressed data');
      if (op > ulen) throw new LzfError('a literal run passes the uncompressed length');
      continue;
    }
    let len = ctrl >> 5;
    if (len === 7) len += src[ip++] as number;
    if (ip >= end) throw new LzfError('a back reference is cut');
    const distance = ((ctrl & 0x1f) << 8) + (src[ip++] as number) + 1;
    if (distance > op) throw new LzfError('a back reference points before the start');
    op += len + 2;
    if (op > ulen) throw new LzfError('a back reference passes the uncompressed length');
  }
  if (op !== ulen) throw new LzfError(`the data decompresses to ${op} bytes, not ${ulen}`);
}

/** Output history a back reference may reach (13 bits of offset, plus one). */
const LZF_HISTORY = 8192;
/** Output produced between two hand-offs to the sink. */
const LZF_SPAN = 64 * 1024;

/**
 * Decompresses LZF data fed in pieces of any size, handing the output to `sink` in spans of at
 * most LZF_SPAN bytes, with every check of lzfDecompress; holds only the 8 KiB of history a back
 * reference can reach, whatever the data decompresses to. What a compressed key name or blob
 * inflates to is therefore never held: the sink hashes it, or walks it (blobs.ts BlobWalker).
 */
export class LzfStream {
  private readonly out = Buffer.allocUnsafe(LZF_HISTORY + LZF_SPAN + 264);
  /** Write position in `out`; bytes before `emitted` were handed to the sink already. */
  private op = 0;
  private emitted = 0;
  /** Bytes the data decompressed to so far. */
  private produced = 0;
  private literal = 0;
  /** A back reference's control byte waiting for the rest of it (-1: none). */
  private ctrl = -1;
  /** A long back reference's length byte, once read (-1: not yet). */
  private extra = -1;

  constructor(
    private readonly ulen: number,
    private readonly sink: (data: Buffer, start: number, end: number) => void,
  ) {}

  feed(src: Uint8Array, start: number, end: number): void {
    let ip = start;
    const out = this.out;
    while (ip < end) {
      if (this.literal > 0) {
        if (this.op + this.literal > out.length) this.flush();
        const take = Math.min(this.literal, end - ip);
        out.set(src.subarray(ip, ip + take), this.op);
        this.op += take;
        ip += take;
        this.literal -= take;
        continue;
      }
      if (this.ctrl === -1) {
        const ctrl = src[ip++] as number;
        if (ctrl < 32) {
          this.grow(ctrl + 1, 0);
          this.literal = ctrl + 1;
          continue;
        }
        this.ctrl = ctrl;
        this.extra = -1;
        continue;
      }
      let len = this.ctrl >> 5;
      if (len === 7 && this.extra === -1) {
        this.extra = src[ip++] as number;
        continue;
      }
      if (len === 7) len += this.extra;
      const distance = ((this.ctrl & 0x1f) << 8) + (src[ip++] as number) + 1;
      this.ctrl = -1;
      len += 2;
      this.grow(len, distance);
      if (this.op + len > out.length) this.flush();
      let ref = this.op - distance;
      if (distance >= len) {
        out.copyWithin(this.op, ref, ref + len);
        this.op += len;
      } else {
        // Overlapping: the reference repeats what it is writing.
        for (let k = 0; k < len; k++) out[this.op++] = out[ref++] as number;
      }
    }
  }

  /** The data ended: checks it decompressed to exactly the stated length, and hands over the rest. */
  end(): void {
    if (this.literal > 0) throw new LzfError('a literal run passes the end of the compressed data');
    if (this.ctrl !== -1) throw new LzfError('a back reference is cut');
    if (this.produced !== this.ulen) throw new LzfError(`the data decompresses to ${this.produced} bytes, not ${this.ulen}`);
    if (this.op > this.emitted) this.sink(this.out, this.emitted, this.op);
    this.emitted = this.op;
  }

  private grow(length: number, distance: number): void {
    if (distance > this.produced) throw new LzfError('a back reference points before the start');
    if (this.produced + length > this.ulen) throw new LzfError(distance === 0 ? 'a literal run passes the uncompressed length' : 'a back reference passes the uncompressed length');
    this.produced += length;
  }

  /** Hands what is new to the sink and keeps the history a back reference can reach. */
  private flush(): void {
    if (this.op > this.emitted) this.sink(this.out, this.emitted, this.op);
    const keep = Math.min(this.op, LZF_HISTORY);
    this.out.copyWithin(0, this.op - keep, this.op);
    this.op = keep;
    this.emitted = keep;
  }
}
