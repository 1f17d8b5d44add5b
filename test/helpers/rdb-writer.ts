/**
 * A small RDB writer for tests, after the servers' own rdb.c: lengths, strings (raw, int, LZF),
 * ziplists, listpacks, intsets, zipmaps, whole files with their CRC-64; and the parser run over
 * bytes in chunks of given sizes, each chunk overwritten after its push (the parser must not keep
 * views of it).
 */
import { expect } from 'vitest';
import { crc64Hex } from '../../src/redis/rdb/crc64.js';
import { RdbParseError, RdbParser, type RdbKey, type RdbLimits } from '../../src/redis/rdb/rdb-parser.js';


export type Width = 6 | 14 | 32 | 64;

export function len(n: number, width?: Width): Buffer {
  const w = width ?? (n < 64 ? 6 : n < 16384 ? 14 : n < 2 ** 32 ? 32 : 64);
  if (w === 6) return Buffer.from([n]);
  if (w === 14) return Buffer.from([0x40 | (n >> 8), n & 0xff]);
  if (w === 32) {
    const b = Buffer.alloc(5);
    b[0] = 0x80;
    b.writeUInt32BE(n, 1);
    return b;
  }
  const b = Buffer.alloc(9);
  b[0] = 0x81;
  b.writeBigUInt64BE(BigInt(n), 1);
  return b;
}

export const cat = (...parts: (Buffer | number[])[]): Buffer => Buffer.concat(parts.map((p) => (Buffer.isBuffer(p) ? p : Buffer.from(p))));

export function str(s: string | Buffer, width?: Width): Buffer {
  const b = typeof s === 'string' ? Buffer.from(s, 'latin1') : s;
  return cat(len(b.length, width), b);
}

export function intStr(v: number): Buffer {
  if (v >= -128 && v <= 127) return cat([0xc0], Buffer.from([v & 0xff]));
  if (v >= -32768 && v <= 32767) {
    const b = Buffer.alloc(3);
    b[0] = 0xc1;
    b.writeInt16LE(v, 1);
    return b;
  }
  const b = Buffer.alloc(5);
  b[0] = 0xc2;
  b.writeInt32LE(v, 1);
  return b;
}

/** Greedy LZF compressor (brute-force matches: test data is small). */
export function lzfCompress(input: Buffer): Buffer {
  const out: number[] = [];
  const literal: number[] = [];
  const flush = (): void => {
    while (literal.length > 0) {
      const run = literal.splice(0, 32);
      out.push(run.length - 1, ...run);
    }
  };
  let i = 0;
  while (i < input.length) {
    let bestLen = 0;
    let bestOff = 0;
    for (let j = Math.max(0, i - 8191); j < i; j++) {
      let l = 0;
      while (i + l < input.length && l < 264 && input[j + l] === input[i + l]) l++;
      if (l > bestLen) {
        bestLen = l;
        bestOff = i - j - 1;
      }
    }
    if (bestLen >= 3) {
      flush();
      const l = bestLen - 2;
      if (l < 7) out.push((l << 5) | (bestOff >> 8), bestOff & 0xff);
      else out.push((7 << 5) | (bestOff >> 8), l - 7, bestOff & 0xff);
      i += bestLen;
    } else {
      literal.push(input[i] as number);
      i++;
    }
  }
  flush();
  return Buffer.from(out);
}

/** Valid LZF made of literal runs only (fast to build for big test data). */
export function lzfLiteralStr(data: Buffer): Buffer {
  const parts: Buffer[] = [];
  for (let i = 0; i < data.length; i += 32) {
    const run = data.subarray(i, i + 32);
    parts.push(Buffer.from([run.length - 1]), run);
  }
  const c = Buffer.concat(parts);
  return cat([0xc3], len(c.length), len(data.length), c);
}

export function lzfStr(data: Buffer): Buffer {
  const c = lzfCompress(data);
  return cat([0xc3], len(c.length), len(data.length), c);
}

export type Entry = string | number;

export function ziplist(entries: Entry[], zllen = entries.length): Buffer {
  const body: Buffer[] = [];
  let prev = 0;
  for (const e of entries) {
    const prevlen = prev < 254 ? Buffer.from([prev]) : cat([0xfe], u32(prev));
    let enc: Buffer;
    if (typeof e === 'string') {
      const b = Buffer.from(e, 'latin1');
      if (b.length < 64) enc = cat([b.length], b);
      else if (b.length < 16384) enc = cat([0x40 | (b.length >> 8), b.length & 0xff], b);
      else {
        const h = Buffer.alloc(5);
        h[0] = 0x80;
        h.writeUInt32BE(b.length, 1);
        enc = cat(h, b);
      }
    } else if (e >= 0 && e <= 12) enc = Buffer.from([0xf1 + e]);
    else if (e >= -128 && e <= 127) enc = Buffer.from([0xfe, e & 0xff]);
    else if (e >= -32768 && e <= 32767) {
      enc = Buffer.alloc(3);
      enc[0] = 0xc0;
      enc.writeInt16LE(e, 1);
    } else if (e >= -(2 ** 23) && e < 2 ** 23) {
      enc = Buffer.alloc(4);
      enc[0] = 0xf0;
      enc.writeIntLE(e, 1, 3);
    } else if (e >= -(2 ** 31) && e < 2 ** 31) {
      enc = Buffer.alloc(5);
      enc[0] = 0xd0;
      enc.writeInt32LE(e, 1);
    } else {
      enc = Buffer.alloc(9);
      enc[0] = 0xe0;
      enc.writeBigInt64LE(BigInt(e), 1);
    }
    const entry = cat(prevlen, enc);
    body.push(entry);
    prev = entry.length;
  }
  const content = Buffer.concat(body);
  const total = 10 + content.length + 1;
  const header = Buffer.alloc(10);
  header.writeUInt32LE(total, 0);
  header.writeUInt32LE(10 + content.length - prev, 4);
  header.writeUInt16LE(zllen, 8);
  return cat(header, content, [0xff]);
}

export function u32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(n, 0);
  return b;
}

export function backlen(l: number): Buffer {
  if (l <= 127) return Buffer.from([l]);
  if (l < 16383) return Buffer.from([l >> 7, (l & 127) | 128]);
  if (l < 2097151) return Buffer.from([l >> 14, ((l >> 7) & 127) | 128, (l & 127) | 128]);
  return Buffer.from([l >> 21, ((l >> 14) & 127) | 128, ((l >> 7) & 127) | 128, (l & 127) | 128]);
}

export function listpack(entries: Entry[], count = entries.length): Buffer {
  const body: Buffer[] = [];
  for (const e of entries) {
    let enc: Buffer;
    if (typeof e === 'string') {
      const b = Buffer.from(e, 'latin1');
      if (b.length < 64) enc = cat([0x80 | b.length], b);
      else if (b.length < 4096) enc = cat([0xe0 | (b.length >> 8), b.length & 0xff], b);
      else enc = cat([0xf0], u32(b.length), b);
    } else if (e >= 0 && e <= 127) enc = Buffer.from([e]);
    else if (e >= -4096 && e < 4096) {
      const v = e < 0 ? e + 8192 : e;
      enc = Buffer.from([0xc0 | (v >> 8), v & 0xff]);
    } else if (e >= -32768 && e <= 32767) {
      enc = Buffer.alloc(3);
      enc[0] = 0xf1;
      enc.writeInt16LE(e, 1);
    } else if (e >= -(2 ** 23) && e < 2 ** 23) {
      enc = Buffer.alloc(4);
      enc[0] = 0xf2;
      enc.writeIntLE(e, 1, 3);
    } else if (e >= -(2 ** 31) && e < 2 ** 31) {
      enc = Buffer.alloc(5);
      enc[0] = 0xf3;
      enc.writeInt32LE(e, 1);
    } else {
      enc = Buffer.alloc(9);
      enc[0] = 0xf4;
      enc.writeBigInt64LE(BigInt(e), 1);
    }
    body.push(enc, backlen(enc.length));
  }
  const content = Buffer.concat(body);
  const header = Buffer.alloc(6);
  header.writeUInt32LE(6 + content.length + 1, 0);
  header.writeUInt16LE(count, 4);
  return cat(header, content, [0xff]);
}

export function intset(values: number[], width: 2 | 4 | 8): Buffer {
  const b = Buffer.alloc(8 + values.length * width);
  b.writeUInt32LE(width, 0);
  b.writeUInt32LE(values.length, 4);
  values.forEach((v, i) => {
    if (width === 2) b.writeInt16LE(v, 8 + i * 2);
    else if (width === 4) b.writeInt32LE(v, 8 + i * 4);
    else b.writeBigInt64LE(BigInt(v), 8 + i * 8);
  });
  return b;
}

export function zipmap(pairs: [string, string][], zmlen = pairs.length): Buffer {
  const zl = (n: number): Buffer => (n < 254 ? Buffer.from([n]) : cat([254], u32(n)));
  const body = pairs.map(([k, v]) => cat(zl(k.length), Buffer.from(k), zl(v.length), [2], Buffer.from(v), [0, 0]));
  return cat([Math.min(zmlen, 254)], ...body, [0xff]);
}

export function header(version = 10): Buffer {
  // Valkey 9.0+ writes "VALKEY" and three digits (RDB 80 and up), Redis "REDIS" and four.
  return Buffer.from(version >= 80 ? `VALKEY${String(version).padStart(3, '0')}` : `REDIS${String(version).padStart(4, '0')}`, 'latin1');
}

/** A whole RDB: header, the items, EOF and the CRC-64 (or zeros). */
export function rdb(items: Buffer[], options: { version?: number; checksum?: 'ok' | 'zero' | 'bad' } = {}): Buffer {
  const version = options.version ?? 10;
  // Buffer.concat of an array: an RDB of a million items is no call of a million arguments.
  const body = Buffer.concat([header(version), ...items, Buffer.from([0xff])]);
  if (version < 5) return body;
  const mode = options.checksum ?? 'ok';
  if (mode === 'zero') return cat(body, Buffer.alloc(8));
  const crc = Buffer.from(crc64Hex(body), 'hex').reverse();
  if (mode === 'bad') crc[0] = (crc[0] as number) ^ 1;
  return cat(body, crc);
}

export const selectDb = (db: number): Buffer => cat([0xfe], len(db));
export const aux = (name: string, value: Buffer): Buffer => cat([0xfa], str(name), value);
export const keyOf = (type: number, key: string | Buffer, value: Buffer): Buffer => cat([type], typeof key === 'string' ? str(key) : key, value);

export interface Seen {
  keys: (Omit<RdbKey, 'key'> & { key: string })[];
  aux: [string, string][];
  dbs: unknown[][];
  modules: string[];
  functions: number;
}

export function parse(data: Buffer, chunks: number[] = [data.length], limits: Partial<RdbLimits> = {}): Seen {
  const seen: Seen = { keys: [], aux: [], dbs: [], modules: [], functions: 0 };
  const parser = new RdbParser(
    {
      onKey: (k) => seen.keys.push({ ...k, key: k.key.toString('latin1') }),
      onAux: (name, value) => seen.aux.push([name, value.toString('latin1')]),
      onDb: (...args) => seen.dbs.push(args),
      onModuleAux: (name) => seen.modules.push(name),
      onFunction: () => (seen.functions += 1),
    },
    limits,
  );
  let at = 0;
  let ci = 0;
  while (at < data.length) {
    const size = chunks[ci % chunks.length] as number;
    ci++;
    // A fresh copy per chunk, later overwritten: the parser must not keep views of it.
    const chunk = Buffer.from(data.subarray(at, at + size));
    parser.push(chunk);
    chunk.fill(0xee);
    at += size;
  }
  parser.end();
  return seen;
}

export function parseError(data: Buffer, limits: Partial<RdbLimits> = {}, chunks = [data.length]): RdbParseError {
  try {
    parse(data, chunks, limits);
  } catch (error) {
    expect(error).toBeInstanceOf(RdbParseError);
    return error as RdbParseError;
  }
  throw new Error('expected the parse to fail');
}


/** A stream of the given RDB layout (15: v1, 19: v2, 21: v3, 26: v4 with its IDMP producers). */
export function streamValue(version: 1 | 2 | 3 | 4): Buffer {
  const id = Buffer.alloc(16, 1);
  const lp = listpack(['x', 1, 2]);
  const parts: Buffer[] = [len(2), str(id), str(lp), str(id), lzfStr(listpack(Array.from({ length: 20 }, () => 'field')))];
  parts.push(len(7), len(1000), len(3)); // length, last id
  if (version >= 2) parts.push(len(1), len(0), len(0), len(0), len(9)); // first id, max deleted id, entries added
  parts.push(len(2)); // groups
  for (let g = 0; g < 2; g++) {
    parts.push(str(`group${g}`), len(999), len(1));
    if (version >= 2) parts.push(len(5));
    parts.push(len(2)); // PEL
    for (let p = 0; p < 2; p++) parts.push(Buffer.alloc(16, 2), Buffer.alloc(8, 3), len(1));
    parts.push(len(2)); // consumers
    for (let c = 0; c < 2; c++) {
      parts.push(str(`consumer${c}`), Buffer.alloc(8, 4));
      if (version >= 3) parts.push(Buffer.alloc(8, 5));
      parts.push(len(1), Buffer.alloc(16, 2));
    }
  }
  if (version >= 4) {
    // IDMP (Redis 8.6): duration, max entries, producers with their idempotent ids, two counters.
    parts.push(len(100), len(1000), len(2));
    for (let p = 0; p < 2; p++) {
      parts.push(str(`producer${p}`), len(2));
      for (let e = 0; e < 2; e++) parts.push(str(`iid-${p}-${e}`), len(1_700_000_000_000 + e), len(e));
    }
    parts.push(len(4), len(1));
  }
  return cat(...parts);
}

/** A module type id for a 9-character name and encoding version. */
export function moduleId(name: string, encver: number): Buffer {
  const cs = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
  let id = 0n;
  for (const ch of name) id = (id << 6n) | BigInt(cs.indexOf(ch));
  id = (id << 10n) | BigInt(encver);
  const b = Buffer.alloc(9);
  b[0] = 0x81;
  b.writeBigUInt64BE(id, 1);
  return b;
}

export const moduleOps = (): Buffer => {
  const f = Buffer.alloc(4);
  const d = Buffer.alloc(8);
  return cat(len(1), len(5), len(2), len(2 ** 33), len(3), f, len(4), d, len(5), str('module string'), len(5), lzfStr(Buffer.from('m'.repeat(100))), len(0));
};


/**
 * LZF data for `head` + `pattern` repeated `times` + `tail`, as a hostile writer would make it:
 * literals for the head and one pattern, then back references of the greatest length (264 bytes
 * from 3) repeating the pattern, then the tail. About 88 bytes out per byte in, built in O(output / 264).
 */
export function lzfRepeating(head: Buffer, pattern: Buffer, times: number, tail: Buffer): { data: Buffer; ulen: number } {
  const parts: Buffer[] = [];
  const literal = (bytes: Buffer): void => {
    for (let i = 0; i < bytes.length; i += 32) {
      const run = bytes.subarray(i, i + 32);
      parts.push(Buffer.from([run.length - 1]), run);
    }
  };
  literal(cat(head, pattern));
  let left = pattern.length * (times - 1);
  const distance = pattern.length - 1;
  if (distance > 0x1fff) throw new Error('pattern longer than the LZF window');
  while (left >= 3) {
    const length = Math.min(264, left);
    const l = length - 2;
    parts.push(l < 7 ? Buffer.from([(l << 5) | (distance >> 8), distance & 0xff]) : Buffer.from([(7 << 5) | (distance >> 8), l - 7, distance & 0xff]));
    left -= length;
  }
  // A remainder shorter than a reference is a literal of the pattern's next bytes.
  if (left > 0) literal(pattern.subarray(0, left));
  literal(tail);
  return { data: Buffer.concat(parts), ulen: head.length + pattern.length * times + tail.length };
}

/** An LZF string (0xc3 encoding) from lzfRepeating. */
export function lzfRepeatingStr(head: Buffer, pattern: Buffer, times: number, tail: Buffer): Buffer {
  const { data, ulen } = lzfRepeating(head, pattern, times, tail);
  return cat([0xc3], len(data.length), len(ulen), data);
}

/**
 * A ziplist of `entries` one-byte integer entries (02 f1) whose header count is saturated, so
 * only a walk can count it, compressed by lzfRepeating: a ziplist decompression bomb.
 */
export function ziplistBomb(entries: number): Buffer {
  const total = 10 + 2 * entries + 1;
  const header = Buffer.alloc(10);
  header.writeUInt32LE(total, 0);
  header.writeUInt32LE(10 + 2 * (entries - 1), 4);
  header.writeUInt16LE(0xffff, 8);
  // The first entry has prevlen 0; the pattern (prevlen 2, then the integer 0) repeats from the second.
  return lzfRepeatingStr(cat(header, [0x00, 0xf1]), Buffer.from([0x02, 0xf1]), entries - 1, Buffer.from([0xff]));
}
