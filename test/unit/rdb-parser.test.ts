/**
 * The RDB parser on hand-built RDB bytes: the encodings Redis 7.0 no longer writes (zipmap,
 * ziplists, linked lists, quicklist v1, zset v1, set listpacks of 7.2), every length encoding,
 * int and LZF strings, the per-key opcodes, aux fields, modules, functions, streams, the checksum,
 * and the two properties a streaming parser must have: a cut anywhere fails (never a wrong key),
 * and the chunking never changes the result. Real Redis files are in integration/rdb-fixtures.
 */
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { lzfDecompress } from '../../src/redis/rdb/lzf.js';
import { crc64Hex } from '../../src/redis/rdb/crc64.js';
import { moduleNameOf, RdbParseError, RdbParser } from '../../src/redis/rdb/rdb-parser.js';
import {
  aux,
  cat,
  intset,
  intStr,
  keyOf,
  len,
  listpack,
  lzfCompress,
  lzfLiteralStr,
  lzfStr,
  parse,
  parseError,
  rdb,
  selectDb,
  str,
  ziplist,
  zipmap,
  moduleId,
  moduleOps,
  streamValue,
  lzfRepeatingStr,
  ziplistBomb,
  type Entry,
  type Seen,
} from '../helpers/rdb-writer.js';

const summary = (s: Seen): [string, string, number | null, string][] => s.keys.map((k) => [k.key, k.type, k.size, k.encoding]);

// ---- fixtures ----

/** One key of every type and encoding this parser reads, with its expected size. */
function everyEncoding(): { items: Buffer[]; expected: [string, string, number | null, string][] } {
  const items: Buffer[] = [];
  const expected: [string, string, number | null, string][] = [];
  const add = (type: number, key: string | Buffer, value: Buffer, e: [string, string, number | null, string]): void => {
    items.push(keyOf(type, key, value));
    expected.push(e);
  };
  add(0, 'raw', str('hello'), ['raw', 'string', 5, 'raw']);
  add(0, 'int8', intStr(-7), ['int8', 'string', 2, 'int']);
  add(0, 'int16', intStr(12345), ['int16', 'string', 5, 'int']);
  add(0, 'int32', intStr(-2000000000), ['int32', 'string', 11, 'int']);
  add(0, 'lzf', lzfStr(Buffer.from('abcabcabcabcabcabcabcabcabcabc-xyz-xyz-xyz')), ['lzf', 'string', 42, 'lzf']);
  add(0, 'w14', str('x'.repeat(300), 14), ['w14', 'string', 300, 'raw']);
  add(0, 'w32', str('y'.repeat(70), 32), ['w32', 'string', 70, 'raw']);
  add(0, 'w64', str('z'.repeat(3), 64), ['w64', 'string', 3, 'raw']);
  add(0, str('k6', 6), str('', 6), ['k6', 'string', 0, 'raw']);
  add(0, intStr(42), str('int key'), ['42', 'string', 7, 'raw']);
  add(0, lzfStr(Buffer.from('key-key-key-key-key-key-key-key')), str('v'), ['key-key-key-key-key-key-key-key', 'string', 1, 'raw']);
  add(1, 'linked', cat(len(3), str('a'), intStr(5), lzfStr(Buffer.from('q'.repeat(40)))), ['linked', 'list', 3, 'linkedlist']);
  add(2, 'set', cat(len(2), str('m1'), str('m2')), ['set', 'set', 2, 'hashtable']);
  add(3, 'zset1', cat(len(4), str('a'), [3], Buffer.from('1.5'), str('b'), [253], str('c'), [254], str('d'), [255]), ['zset1', 'zset', 4, 'skiplist']);
  add(4, 'hash', cat(len(2), str('f1'), str('v1'), str('f2'), intStr(300)), ['hash', 'hash', 2, 'hashtable']);
  add(5, 'zset2', cat(len(2), str('a'), Buffer.alloc(8), str('b'), Buffer.alloc(8)), ['zset2', 'zset', 2, 'skiplist']);
  add(9, 'zipmap', str(zipmap([['f1', 'v1'], ['f2', 'v22'], ['f3', '']])), ['zipmap', 'hash', 3, 'zipmap']);
  add(9, 'zipmap-big', str(zipmap(Array.from({ length: 300 }, (_, i): [string, string] => [`f${i}`, 'v']), 254)), ['zipmap-big', 'hash', 300, 'zipmap']);
  const zlEntries: Entry[] = ['a', 'b'.repeat(100), 0, 12, -100, 1000, 100000, -3000000000, 2 ** 40, 'c'.repeat(300)];
  add(10, 'zl-list', str(ziplist(zlEntries)), ['zl-list', 'list', 10, 'ziplist']);
  add(10, 'zl-list-walk', str(ziplist(Array.from({ length: 70000 }, (_, i) => i % 20), 65535)), ['zl-list-walk', 'list', 70000, 'ziplist']);
  add(11, 'intset16', str(intset([1, 2, 3], 2)), ['intset16', 'set', 3, 'intset']);
  add(11, 'intset32', str(intset([1, 70000], 4)), ['intset32', 'set', 2, 'intset']);
  add(11, 'intset64', str(intset([1, 2 ** 40, 5], 8)), ['intset64', 'set', 3, 'intset']);
  add(12, 'zl-zset', str(ziplist(['a', '1', 'b', 2])), ['zl-zset', 'zset', 2, 'ziplist']);
  add(13, 'zl-hash', str(ziplist(['f', 'v', 'g', 7, 'h', 'x'])), ['zl-hash', 'hash', 3, 'ziplist']);
  add(13, 'zl-hash-lzf', lzfStr(ziplist(Array.from({ length: 40 }, () => 'same-same-same'))), ['zl-hash-lzf', 'hash', 20, 'ziplist']);
  add(14, 'quicklist', cat(len(2), str(ziplist(['a', 'b', 'c'])), lzfStr(ziplist(Array.from({ length: 30 }, () => 'rep-rep')))), ['quicklist', 'list', 33, 'quicklist']);
  const lpEntries: Entry[] = ['a', 'b'.repeat(100), 0, 127, -5, 4000, -30000, 2 ** 22, -(2 ** 30), 2 ** 40, 'c'.repeat(5000)];
  add(16, 'lp-hash', str(listpack(['f', 'v', 'g', 12])), ['lp-hash', 'hash', 2, 'listpack']);
  add(17, 'lp-zset', str(listpack(['a', 1, 'b', '2.5'])), ['lp-zset', 'zset', 2, 'listpack']);
  add(18, 'quicklist2', cat(len(3), len(2), str(listpack(lpEntries)), len(1), str('plain node'), len(2), lzfStr(listpack(Array.from({ length: 50 }, () => 'dup-dup')))), ['quicklist2', 'list', 62, 'quicklist2']);
  add(20, 'lp-set', str(listpack(['x', 'y', 3])), ['lp-set', 'set', 3, 'listpack']);
  add(20, 'lp-set-walk', str(listpack(Array.from({ length: 66000 }, (_, i) => i % 100), 65535)), ['lp-set-walk', 'set', 66000, 'listpack']);
  return { items, expected };
}

/** A small RDB with a bit of everything, for the cut and chunking properties. */
function smallRdb(): Buffer {
  const expireMs = Buffer.alloc(8);
  expireMs.writeBigInt64LE(1893456000123n, 0);
  const expireS = Buffer.alloc(4);
  expireS.writeInt32LE(1893456000, 0);
  return rdb([
    aux('redis-ver', str('7.0.0')),
    aux('redis-bits', intStr(64)),
    selectDb(0),
    cat([0xfb], len(3), len(1)),
    cat([0xfc], expireMs, [0xf9, 7]),
    keyOf(0, 'k1', str('v1')),
    cat([0xf8], len(100)),
    keyOf(13, 'zh', str(ziplist(['f', 'v']))),
    selectDb(3),
    cat([0xfd], expireS),
    keyOf(18, 'list', cat(len(1), len(2), str(listpack(['a', 'b', 'c'])))),
    keyOf(0, 'lz', lzfStr(Buffer.from('abababababababababababababab'))),
    keyOf(15, 'st', streamValue(1)),
  ]);
}

const sha1 = (text: string): string => createHash('sha1').update(text).digest('hex');

describe('RDB parser on hand-built RDBs', () => {
  it('computes Redis CRC-64 (Jones) and reads module names and LZF', () => {
    expect(crc64Hex(Buffer.from('123456789'))).toBe('e9c6d914c4b8d9ca');
    const id = moduleId('ReJSON-RL', 3).readBigUInt64BE(1);
    expect(moduleNameOf(id)).toBe('ReJSON-RL');
    const text = Buffer.from('hello hello hello hello world world world');
    const c = lzfCompress(text);
    expect(lzfDecompress(c, 0, c.length, text.length).toString()).toBe(text.toString());
    expect(lzfDecompress(c, 0, c.length, text.length, 5).toString()).toBe('hello');
  });

  it('reads every type and encoding with the right size', () => {
    const { items, expected } = everyEncoding();
    const seen = parse(rdb([selectDb(0), ...items]));
    expect(summary(seen)).toEqual(expected);
    expect(seen.keys.every((k) => k.db === 0 && k.freq === null && k.expiresAtMs === null)).toBe(true);
    expect(seen.keys.find((k) => k.key === 'raw')?.unit).toBe('bytes');
    expect(seen.keys.find((k) => k.key === 'linked')?.unit).toBe('elements');
  });

  it('gives the same keys whatever the chunking (every split, 1-byte, 7-byte, 4 KiB chunks)', () => {
    const { items, expected } = everyEncoding();
    const big = rdb([selectDb(0), ...items]);
    for (const size of [1, 7, 4096, 65536]) expect(summary(parse(big, [size]))).toEqual(expected);
    const small = smallRdb();
    const reference = parse(small);
    for (let split = 1; split < small.length; split++) {
      expect(parse(small, [split, small.length])).toEqual(reference);
    }
  });

  it('reads the per-key opcodes, aux fields and dbs', () => {
    const seen = parse(smallRdb());
    expect(seen.aux).toEqual([
      ['redis-ver', '7.0.0'],
      ['redis-bits', '64'],
    ]);
    expect(seen.dbs).toEqual([[0], [0, { keys: 3, expires: 1 }], [3]]);
    // Type byte, "k1" with its length, "v1" with its length.
    expect(seen.keys[0]?.rdbBytes).toBe(7);
    expect(seen.keys[4]?.rdbBytes).toBe(1 + 3 + streamValue(1).length);
    expect(seen.keys.map((k) => [k.key, k.db, k.expiresAtMs, k.freq, k.idleSeconds, k.size])).toEqual([
      ['k1', 0, 1893456000123, 7, null, 2],
      ['zh', 0, null, null, 100, 1],
      ['list', 3, 1893456000000, null, null, 3],
      ['lz', 3, null, null, null, 28],
      ['st', 3, null, null, null, 7],
    ]);
  });

  it('fails on a cut at every byte and never reports a wrong key before', () => {
    const small = smallRdb();
    const reference = parse(small).keys;
    for (let cut = 0; cut < small.length; cut++) {
      const keys: unknown[] = [];
      const parser = new RdbParser({ onKey: (k) => keys.push({ ...k, key: k.key.toString('latin1') }) });
      let error: unknown = null;
      try {
        parser.push(small.subarray(0, cut));
        parser.end();
      } catch (e) {
        error = e;
      }
      expect(error, `cut at ${cut}`).toBeInstanceOf(RdbParseError);
      expect(reference.slice(0, keys.length)).toEqual(keys);
    }
  });

  it('verifies the checksum, skips it when zero, and has none before version 5', () => {
    const items = [selectDb(0), keyOf(0, 'a', str('b'))];
    expect(parse(rdb(items, { checksum: 'zero' })).keys).toHaveLength(1);
    const error = parseError(rdb(items, { checksum: 'bad' }));
    expect(error.reason).toBe('checksum');
    expect(error.message).toMatch(/checksum mismatch/);
    expect(parse(rdb(items, { version: 3 })).keys).toHaveLength(1);
    // Version 3 has no checksum: the byte after EOF is not the RDB's.
    const parser = new RdbParser({ onKey: () => undefined });
    const withTail = cat(rdb(items, { version: 3 }), Buffer.from('*1\r\n'));
    expect(parser.push(withTail)).toBe(withTail.length - 4);
    expect(parser.done).toBe(true);
  });

  it('reads streams of all three versions, walking groups, PELs and consumers', () => {
    for (const [type, version, encoding] of [
      [15, 1, 'stream'],
      [19, 2, 'stream2'],
      [21, 3, 'stream3'],
    ] as const) {
      const data = rdb([keyOf(type, 's', streamValue(version)), keyOf(0, 'after', str('x'))]);
      const seen = parse(data);
      expect(summary(seen)).toEqual([
        ['s', 'stream', 7, encoding],
        ['after', 'string', 1, 'raw'],
      ]);
      expect(summary(parse(data, [3]))).toEqual(summary(seen));
    }
  });

  it('skips module values and module aux data by their opcodes, functions by their layout', () => {
    const data = rdb([
      cat([0xf7], moduleId('mymodtype', 2), len(2), len(1), moduleOps()),
      cat([0xf5], str('#!lua name=lib\nredis.register_function(...)')),
      cat([0xf6], str('lib'), str('LUA'), len(1), str('a description'), str('code')),
      cat([0xf6], str('lib2'), str('LUA'), len(0), str('code')),
      keyOf(7, 'mod', cat(moduleId('ReJSON-RL', 3), moduleOps())),
      keyOf(0, 'after', str('x')),
    ]);
    const seen = parse(data, [5]);
    expect(seen.modules).toEqual(['mymodtype']);
    expect(seen.functions).toBe(3);
    expect(seen.keys.map((k) => [k.key, k.type, k.moduleName, k.size, k.unit])).toEqual([
      ['mod', 'module', 'ReJSON-RL', null, null],
      ['after', 'string', undefined, 1, 'bytes'],
    ]);
  });

  it('refuses what it cannot read, naming the version, opcode or type and the offset', () => {
    expect(parseError(rdb([], { version: 14 })).message).toMatch(/RDB version 14 is not supported/);
    expect(parseError(Buffer.from('RUDIS0009')).message).toMatch(/not an RDB/);
    const unknown = parseError(rdb([selectDb(0), Buffer.from([0x63])]));
    expect([unknown.reason, unknown.message]).toEqual(['unsupported', expect.stringMatching(/value type or opcode 99 \(0x63\).*at byte 11/)]);
    expect(parseError(rdb([keyOf(6, 'm', Buffer.alloc(0))])).reason).toBe('unsupported');
    // A type of a newer RDB than the file's own version is not read as anything.
    const early = parseError(rdb([keyOf(24, 'h', Buffer.alloc(0))]));
    expect([early.reason, early.message]).toEqual(['unsupported', expect.stringMatching(/value type or opcode 24 .* RDB version \d+\b/)]);
    expect(parseError(rdb([keyOf(7, 'm', cat(moduleId('x________', 1), len(9)))])).message).toMatch(/unknown module opcode 9/);
    expect(parseError(rdb([keyOf(0, 'k', Buffer.from([0xc5]))])).message).toMatch(/unknown string encoding 0xc5/);
    expect(parseError(rdb([keyOf(18, 'l', cat(len(1), len(3), str('x')))])).message).toMatch(/unknown container type 3/);
  });

  it('refuses inconsistent compact values instead of reporting a wrong size', () => {
    const badCount = ziplist(['a', 'b', 'c'], 2);
    expect(parseError(rdb([keyOf(10, 'l', str(badCount))])).message).toMatch(/says it has 2 entries but holds 3/);
    const badBytes = listpack(['a']);
    badBytes.writeUInt32LE(99, 0);
    expect(parseError(rdb([keyOf(16, 'h', str(badBytes))])).message).toMatch(/says it has 99 bytes/);
    expect(parseError(rdb([keyOf(16, 'h', str(listpack(['a', 'b', 'c'])))])).message).toMatch(/odd number/);
    const badIntset = intset([1, 2], 4).subarray(0, 11);
    expect(parseError(rdb([keyOf(11, 's', str(badIntset))])).message).toMatch(/does not fill/);
    const noEnd = listpack(['a', 'b']);
    noEnd[noEnd.length - 1] = 0;
    expect(parseError(rdb([keyOf(20, 's', str(noEnd))])).message).toMatch(/does not end with 0xff/);
    const lzfLie = cat([0xc3], len(5), len(50), Buffer.from([3, 0x61, 0x62, 0x63, 0x64]));
    expect(parseError(rdb([keyOf(13, 'h', lzfLie)])).message).toMatch(/decompresses to 4 bytes, not 50/);
  });

  it('skips big values as they arrive, walks blobs as they arrive, and keeps a long name as its beginning and hash', () => {
    const bigValue = 'v'.repeat(3_000_000);
    const bigKey = 'k'.repeat(200_000);
    const bigList = listpack(Array.from({ length: 30000 }, () => 'abcdefgh'));
    const data = rdb([keyOf(0, bigKey, str(bigValue)), keyOf(20, 's', str(bigList)), keyOf(0, 'a', str('b'))]);
    for (const chunks of [[65536], [1000], [data.length]]) {
      const seen = parse(data, chunks);
      expect(seen.keys.map((k) => [k.key.length, k.keyLength, k.keySha1, k.size])).toEqual([
        [1024, 200_000, sha1(bigKey), 3_000_000],
        [1, 1, null, 30000],
        [1, 1, null, 1],
      ]);
    }
    const keyLimit = parseError(data, { maxKeyBytes: 100_000 });
    expect([keyLimit.reason, keyLimit.message]).toEqual(['limit', expect.stringMatching(/a key of 200000 bytes exceeds the limit of 100000/)]);
    // A listpack whose count needs a walk (its header says 65535) is walked as it arrives, never held.
    const walked = rdb([keyOf(20, 's', str(listpack(Array.from({ length: 70000 }, () => 'abcdefgh'), 65535)))]);
    for (const chunks of [[65536], [999], [walked.length]]) expect(parse(walked, chunks).keys[0]?.size).toBe(70000);
    // Names up to keepKeyBytes come whole.
    expect(parse(data, [65536], { keepKeyBytes: 300_000 }).keys[0]).toMatchObject({ key: bigKey, keySha1: null, keyLength: 200_000 });
  });

  it('collects long keys, aux values and compressed blobs across chunks, the same way whatever the chunking', () => {
    const pseudoRandom = (n: number): string => Array.from({ length: n }, (_, i) => String.fromCharCode(97 + ((i * 7919 + (i >> 3)) % 26))).join('');
    const bigNode = ziplist(Array.from({ length: 1500 }, (_, i) => pseudoRandom(60) + String(i)));
    const data = rdb([
      aux('lua', str('x'.repeat(100_000))),
      aux('lzf-aux', lzfLiteralStr(Buffer.from('y'.repeat(90_000)))),
      selectDb(1),
      keyOf(0, lzfLiteralStr(Buffer.from('K'.repeat(80_000))), str('v')),
      keyOf(14, 'ql', cat(len(2), lzfLiteralStr(bigNode), str(bigNode))),
      keyOf(18, 'ql2', cat(len(2), len(2), lzfLiteralStr(listpack(Array.from({ length: 70_000 }, () => 'z'), 65535)), len(1), str('p'.repeat(70_000)))),
      keyOf(9, 'zm', str(zipmap(Array.from({ length: 300 }, (_, i): [string, string] => [`f${i}`, 'v'.repeat(250)])))),
      keyOf(0, 'last', str('!')),
    ]);
    const expected = [
      ['K'.repeat(1024), sha1('K'.repeat(80_000)), 'string', 1],
      ['ql', null, 'list', 3000],
      ['ql2', null, 'list', 70_001],
      ['zm', null, 'hash', 300],
      ['last', null, 'string', 1],
    ];
    for (const chunks of [[data.length], [65536], [1000], [4093, 17]]) {
      const seen = parse(data, chunks);
      expect(seen.keys.map((k) => [k.key, k.keySha1, k.type, k.size])).toEqual(expected);
      expect(seen.aux.map(([name, value]) => [name, value.length])).toEqual([
        ['lua', 100_000],
        ['lzf-aux', 90_000],
      ]);
    }
    expect(parseError(data, { maxAuxBytes: 50_000 }, [65536]).message).toMatch(/AUX field "lua" of 100000 bytes exceeds the limit/);
  });

  it('returns the bytes after the RDB to the caller and is unusable after a failure', () => {
    const data = smallRdb();
    const parser = new RdbParser({ onKey: () => undefined });
    expect(parser.push(data.subarray(0, 10))).toBe(10);
    expect(parser.push(cat(data.subarray(10), Buffer.from('+PING\r\n')))).toBe(data.length - 10);
    expect(parser.push(Buffer.from('more'))).toBe(0);
    expect(parser.bytes).toBe(data.length);
    parser.end();
    const refusing = new RdbParser({
      onKey: () => {
        throw new Error('handler says no');
      },
    });
    expect(() => refusing.push(data)).toThrow('handler says no');
    expect(() => refusing.push(data)).toThrow(/stopped by an error of a handler/);
    const broken = new RdbParser({ onKey: () => undefined });
    expect(() => broken.push(Buffer.from('REDIS9999'))).toThrow(RdbParseError);
    expect(() => broken.push(Buffer.from('x'))).toThrow(/RDB version 9999/);
  });
});

describe('RDB parser, bounded whatever the bytes', () => {
  const MIB = 1024 * 1024;

  it('walks a compressed ziplist bomb as it inflates, holding no more than a span of it', () => {
    // 8M entries: 16 MiB inflated from about 190 KB.
    const bomb = ziplistBomb(8 * MIB);
    const data = rdb([keyOf(10, 'bomb', bomb), keyOf(0, 'after', str('x'))]);
    expect(data.length).toBeLessThan(200_000);
    for (const chunks of [[16 * 1024], [data.length], [4093]]) {
      const seen = parse(data, chunks);
      expect(seen.keys.map((k) => [k.key, k.size])).toEqual([
        ['bomb', 8 * MIB],
        ['after', 1],
      ]);
    }
  });

  it('fails with limit, naming the offset, once what it inflates passes the budget', () => {
    const bomb = ziplistBomb(8 * MIB);
    const data = rdb([keyOf(10, 'one', bomb), keyOf(10, 'two', bomb), keyOf(10, 'three', bomb)]);
    // The offset of its value, right after the name.
    const offsetOfThree = data.indexOf(Buffer.from('three')) + 5;
    const error = parseError(data, { inflateBase: 40 * MIB }, [16 * 1024]);
    expect(error.reason).toBe('limit');
    expect(error.message).toMatch(/a compressed ziplist of key "three" inflates to 16777227 bytes, which would take this RDB past its decompression budget/);
    expect(error.offset).toBe(offsetOfThree);
    // The default budget (4 x received + 64 MiB) lets one such value through, not eight.
    const eight = rdb(Array.from({ length: 8 }, (_, i) => keyOf(10, `k${i}`, bomb)));
    expect(parseError(eight, {}, [16 * 1024]).reason).toBe('limit');
  });

  it('keeps a compressed 16 MiB name as its first 1 KiB and its hash, inflating it in spans', () => {
    const name = lzfRepeatingStr(Buffer.from('user:'), Buffer.from('ab'), 8 * MIB, Buffer.alloc(0));
    const data = rdb([keyOf(0, name, str('v'))]);
    const whole = Buffer.concat([Buffer.from('user:'), Buffer.alloc(16 * MIB, 'ab')]);
    for (const chunks of [[16 * 1024], [data.length]]) {
      const [key] = parse(data, chunks).keys;
      expect(key).toMatchObject({ key: whole.subarray(0, 1024).toString('latin1'), keySha1: createHash('sha1').update(whole).digest('hex'), keyLength: whole.length, size: 1 });
    }
  });

  it('cuts a long UTF-8 name on a character, never inside one', () => {
    const name = Buffer.from('é'.repeat(1000)); // 2000 bytes
    const [key] = parse(rdb([keyOf(0, str(name), str('v'))])).keys;
    expect(key?.key).toBe(Buffer.from('é'.repeat(512)).toString('latin1'));
  });

  it('skips an AUX value nobody reads without inflating it, and refuses a read one over maxAuxBytes', () => {
    const auxBomb = lzfRepeatingStr(Buffer.alloc(0), Buffer.from('x'), 64 * MIB, Buffer.alloc(0));
    const data = rdb([aux('lua', auxBomb), keyOf(0, 'k', str('v'))]);
    const keys: string[] = [];
    const parser = new RdbParser({ onKey: (k) => keys.push(k.key.toString()) }, { inflateBase: 1024 });
    const started = performance.now();
    parser.push(data);
    parser.end();
    expect(keys).toEqual(['k']);
    expect(performance.now() - started).toBeLessThan(500);
    expect(parseError(data).message).toMatch(/AUX field "lua" of 67108864 bytes exceeds the limit of 8388608 bytes/);
  });

  it('refuses a database number beyond maxDb, naming the offset', () => {
    const data = rdb([selectDb(3), keyOf(0, 'a', str('1')), selectDb(70_000), keyOf(0, 'b', str('2'))]);
    const error = parseError(data);
    expect([error.reason, error.offset]).toEqual(['limit', data.indexOf(Buffer.from([0xfe, 0x80]))]);
    expect(error.message).toMatch(/a SELECTDB to database 70000: keyheat reads databases 0 to 65535/);
  });
});
