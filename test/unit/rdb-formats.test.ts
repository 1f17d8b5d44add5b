/**
 * The RDB formats of current servers, on bytes laid out as their own src/rdb.c writes them:
 * Redis RDB 12 (7.4-8.4: hashes with field expiration, types 22-25, SLOT_INFO), Redis RDB 13
 * (8.6: streams with IDMP, KEY_META), Valkey RDB 80 and 81 (9.0 and 9.2: the VALKEY magic,
 * HASH_2, PATH_HASH, SLOT_IMPORT), and what is refused as a format keyheat does not read
 * (never as corruption). Files written by real servers are in integration/rdb-fixtures.
 */
import { describe, expect, it } from 'vitest';
import { crc64Hex } from '../../src/redis/rdb/crc64.js';
import { cat, keyOf, len, listpack, lzfStr, moduleOps, parse, parseError, rdb, selectDb, str, streamValue } from '../helpers/rdb-writer.js';

const hex = (text: string): Buffer => Buffer.from(text.replace(/\s+/g, ''), 'hex');
/** 1700000000000 ms (2023-11-14), as an 8-byte little-endian int64. */
const T0 = 1_700_000_000_000;
const ms8 = (value: number): Buffer => {
  const b = Buffer.alloc(8);
  b.writeBigInt64LE(BigInt(value), 0);
  return b;
};

/** Every split of `data` into two chunks, and one-byte chunks, give the same keys. */
function sameWhateverTheChunks(data: Buffer): ReturnType<typeof parse> {
  const whole = parse(data);
  for (let cut = 1; cut < data.length; cut++) expect(parse(data, [cut, data.length])).toEqual(whole);
  expect(parse(data, [1])).toEqual(whole);
  return whole;
}

const fields = (seen: ReturnType<typeof parse>): [string, string, number | null, string, number | null, number | null][] =>
  seen.keys.map((k) => [k.key, k.type, k.size, k.encoding, k.volatileFields, k.fieldExpiresAtMs]);

describe('Redis RDB 12: hashes with field expiration (7.4+)', () => {
  it('reads HASH_METADATA (24): TTLs relative to the minimum expiry, every field counted as HLEN counts it', () => {
    // The bytes of Redis's rdbSaveObject for h = {a: 1 (expires T0), b: 2}.
    const value = hex('0068E5CF8B010000 02 01 0161 C001 00 0162 C002');
    const seen = sameWhateverTheChunks(rdb([selectDb(0), keyOf(24, 'h', value), keyOf(0, 'after', str('x'))], { version: 12 }));
    expect(fields(seen)).toEqual([
      ['h', 'hash', 2, 'hashtable-ex', 1, T0],
      ['after', 'string', 1, 'raw', null, null],
    ]);
    // More fields, several TTLs: the earliest is reported, and a field already past its TTL is still a field.
    const many = cat(ms8(T0), len(4), len(1), str('a'), str('1'), len(5001), str('b'), str('2'), len(0), str('c'), str('3'), len(2), str('d'), lzfStr(Buffer.from('v'.repeat(300))));
    expect(fields(parse(rdb([keyOf(24, 'many', many)], { version: 12 })))).toEqual([['many', 'hash', 4, 'hashtable-ex', 3, T0]]);
  });

  it('reads HASH_METADATA_PRE_GA (22) of the 7.4 release candidates: absolute TTLs, no minimum', () => {
    const value = hex('02 8100000 18BCFE56800 0161 C001 00 0162 C002'.replace(/ /g, ''));
    expect(fields(parse(rdb([keyOf(22, 'h', value)], { version: 12 })))).toEqual([['h', 'hash', 2, 'hashtable-ex', 1, T0]]);
  });

  it('reads HASH_LISTPACK_EX (25) and its pre-GA form (23): field/value/TTL triplets, TTL 0 for none', () => {
    const lp = hex('1D000000 0600 816102 0101 F40068E5CF8B01000009 816202 0201 0001 FF');
    expect(lp).toEqual(listpack(['a', 1, T0, 'b', 2, 0]));
    const ga = sameWhateverTheChunks(rdb([keyOf(25, 'h', cat(ms8(T0), str(lp)))], { version: 12 }));
    expect(fields(ga)).toEqual([['h', 'hash', 2, 'listpack-ex', 1, T0]]);
    expect(fields(parse(rdb([keyOf(23, 'h', str(lp))], { version: 12 })))).toEqual([['h', 'hash', 2, 'listpack-ex', 1, T0]]);
    // LZF-compressed, as rdbcompression writes a listpack over 20 bytes, and long enough to arrive in pieces.
    const entries = Array.from({ length: 600 }, (_, i) => [`field-${i}`, 'value', i % 3 === 0 ? T0 + i : 0]).flat();
    const big = lzfStr(listpack(entries));
    expect(fields(parse(rdb([keyOf(25, 'big', cat(ms8(T0), big))], { version: 12 }), [700]))).toEqual([['big', 'hash', 600, 'listpack-ex', 200, T0]]);
  });

  it('refuses a listpack-ex whose entries are not triplets, or whose TTL is not an integer', () => {
    expect(parseError(rdb([keyOf(25, 'h', cat(ms8(T0), str(listpack(['a', 1]))))], { version: 12 })).message).toMatch(/not a multiple of 3/);
    expect(parseError(rdb([keyOf(25, 'h', cat(ms8(T0), str(listpack(['a', 1, 'soon']))))], { version: 12 })).message).toMatch(/TTL in a listpack is not an integer/);
    expect(parseError(rdb([keyOf(24, 'h', cat(ms8(2 ** 50), len(0)))], { version: 12 })).message).toMatch(/minimum field expiry/);
  });

  it('skips the SLOT_INFO opcode a cluster node writes before each slot', () => {
    const slotInfo = hex('F4 5388 03 01');
    const seen = parse(rdb([selectDb(0), slotInfo, keyOf(0, '{a}1', str('x')), slotInfo, keyOf(0, '{a}2', str('y'))], { version: 12 }));
    expect(seen.keys.map((k) => k.key)).toEqual(['{a}1', '{a}2']);
  });
});

describe('Redis RDB 13 (8.6)', () => {
  it('reads streams with idempotent producers (STREAM_LISTPACKS_4)', () => {
    const seen = sameWhateverTheChunks(rdb([keyOf(26, 's', streamValue(4)), keyOf(0, 'after', str('x'))], { version: 13 }));
    expect(fields(seen)).toEqual([
      ['s', 'stream', 7, 'stream4', null, null],
      ['after', 'string', 1, 'raw', null, null],
    ]);
  });

  it('skips KEY_META before a key, keeping the expiry and counter written before it', () => {
    // A class "KMT1" v1 with a UINT, then a class with every module opcode.
    const meta = cat([0xf3], len(2), hex('09F5C428'), len(2), len(7), len(0), hex('09F5C428'), moduleOps());
    const expiry = cat([0xfc], ms8(T0 + 60_000));
    const seen = sameWhateverTheChunks(rdb([expiry, cat([0xf9], [200]), meta, keyOf(0, 'k', str('v'))], { version: 13 }));
    expect(seen.keys.map((k) => [k.key, k.freq, k.expiresAtMs])).toEqual([['k', 200, T0 + 60_000]]);
    expect(parseError(rdb([cat([0xf3], len(9))], { version: 13 })).message).toMatch(/key metadata with 9 classes/);
  });

  it('does not read a type or opcode of RDB 13 in a file of RDB 12', () => {
    const early = parseError(rdb([keyOf(26, 's', streamValue(4))], { version: 12 }));
    expect([early.reason, early.message]).toEqual(['unsupported', expect.stringMatching(/value type or opcode 26 \(0x1a\) is not one keyheat reads in RDB version 12 \(at byte 9\)/)]);
    expect(parseError(rdb([cat([0xf3], len(1))], { version: 12 })).reason).toBe('unsupported');
  });
});

describe('Valkey RDB 80 and 81 (9.0, 9.2)', () => {
  it('reads the VALKEY magic and HASH_2: field, value, an 8-byte expiry (-1 for none)', () => {
    // The whole file as Valkey 9.2 writes it, its CRC-64 included.
    const file = hex(
      '56414C4B4559303831 FA0A76616C6B65792D76657205392E322E30 FE00 FB0100 ' +
        '1601680201 61C001 0068E5CF8B010000 0162C002 FFFFFFFFFFFFFFFF FF 1938971498 31A693',
    );
    expect(crc64Hex(file.subarray(0, file.length - 8))).toBe(Buffer.from(file.subarray(file.length - 8)).reverse().toString('hex'));
    const seen = sameWhateverTheChunks(file);
    expect(seen.aux).toEqual([['valkey-ver', '9.2.0']]);
    expect(fields(seen)).toEqual([['h', 'hash', 2, 'hashtable-ex', 1, T0]]);
    // The same byte means another type after "REDIS": Redis's pre-GA hash, with its TTL before the field.
    expect(fields(parse(rdb([keyOf(22, 'h', hex('01 00 0161 C001'))], { version: 12 })))).toEqual([['h', 'hash', 1, 'hashtable-ex', 0, null]]);
    expect(parseError(rdb([keyOf(22, 'h', cat(len(1), str('a'), str('1'), ms8(-2)))], { version: 80 })).message).toMatch(/expiry -2/);
  });

  it('reads PATH_HASH (81): paths, each with its field/value pairs; its size is the number of paths', () => {
    const value = cat(len(2), str('/a'), len(1), str('f'), str('v'), str('/a/b'), len(2), str('f'), str('v'), str('g'), lzfStr(Buffer.from('w'.repeat(200))));
    expect(hex('01 022F61 01 0166 0176')).toEqual(cat(len(1), str('/a'), len(1), str('f'), str('v')));
    const seen = sameWhateverTheChunks(rdb([keyOf(23, 'k', value), keyOf(0, 'after', str('x'))], { version: 81 }));
    expect(fields(seen)).toEqual([
      ['k', 'pathhash', 2, 'pathhash', null, null],
      ['after', 'string', 1, 'raw', null, null],
    ]);
    expect(parseError(rdb([keyOf(23, 'k', cat(len(1), str('/a'), len(0)))], { version: 81 })).message).toMatch(/a path with no fields/);
    // RDB 80 has no path hashes.
    expect(parseError(rdb([keyOf(23, 'k', value)], { version: 80 })).message).toMatch(/value type or opcode 23 .* Valkey RDB 80/);
  });

  it('skips a slot import job (243), and refuses an inlined replication command (242) as a format it does not read', () => {
    const job = cat([0xf3], str('j'.repeat(40)), len(2), len(0), len(100), len(200), len(16383));
    expect(parse(rdb([job, selectDb(0), keyOf(0, 'k', str('v'))], { version: 80 })).keys.map((k) => k.key)).toEqual(['k']);
    const update = cat([0xf2], Buffer.from('*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n'));
    const refused = parseError(rdb([selectDb(0), update], { version: 81 }));
    expect([refused.reason, refused.message]).toEqual(['unsupported', expect.stringMatching(/opcode 242 .*\(at byte 11\)/)]);
    // Redis's types past 21 are not Valkey's.
    expect(parseError(rdb([keyOf(25, 'h', Buffer.alloc(0))], { version: 80 })).reason).toBe('unsupported');
  });

  it('refuses versions and envelopes it does not know as unsupported, naming them, at byte 0', () => {
    for (const [bytes, pattern] of [
      ['VALKEY082', /RDB version 82 is not supported \(magic "VALKEY"\).*80 and 81/],
      ['VALKEY011', /RDB version 11 is not supported \(magic "VALKEY"\)/],
      ['REDIS0014', /RDB version 14 is not supported \(magic "REDIS"\).*1 to 13/],
      ['REDIS0080', /RDB version 80 is not supported \(magic "REDIS"\)/],
      ['VCS\x01\x01\x00\x01\x04\x22', /compressed as a whole by Valkey.*rdbcompression yes/],
    ] as const) {
      const error = parseError(cat(Buffer.from(bytes, 'latin1'), Buffer.alloc(16)));
      expect([error.reason, error.offset, error.message]).toEqual(['unsupported', 0, expect.stringMatching(pattern)]);
    }
    expect(parseError(Buffer.from('MAGIC0011xxxxxxx')).reason).toBe('corrupt');
  });
});

describe('LZF strings whose stated length is wrong', () => {
  it('fail as corrupt at the value, as Redis refuses them, wherever the chunks cut', () => {
    const compressed = lzfStr(Buffer.from('abcabcabcabcabcabcabcabc'.repeat(40)));
    // The same compressed bytes, claiming one byte more than they decompress to.
    const lying = Buffer.from(compressed);
    const honest = parse(rdb([keyOf(0, 'k', compressed)]));
    expect(honest.keys[0]?.size).toBe(960);
    lying[3] = (lying[3] as number) + 1; // the uncompressed length (14-bit: 0x43 0xc0 -> 0x43 0xc1)
    expect(lying.readUInt16BE(2) & 0x3fff).toBe(961);
    const data = rdb([selectDb(0), keyOf(0, 'k', lying), keyOf(0, 'after', str('x'))]);
    for (const chunks of [[data.length], [1], [20], [64]]) {
      const error = parseError(data, {}, chunks);
      // Byte 11 is the key's type, 14 its value: the LZF string's header.
      expect([error.reason, error.offset, error.message]).toEqual(['corrupt', 14, expect.stringMatching(/value of key "k": the data decompresses to 960 bytes, not 961/)]);
    }
    // A back reference before the start, a literal run past the end: corrupt too.
    const before = cat([0xc3], len(2), len(10), [0x20, 0x05]);
    expect(parseError(rdb([keyOf(0, 'k', before)])).message).toMatch(/points before the start/);
    const cut = cat([0xc3], len(2), len(10), [0x05, 0x61]);
    expect(parseError(rdb([keyOf(0, 'k', cut)])).message).toMatch(/literal run passes the end/);
  });

  it('fails in a compact value whose header alone was decompressed', () => {
    // The listpack's own header states its whole length, but the data stops 3 bytes short of it.
    const lp = listpack(Array.from({ length: 50 }, () => 'abcdefgh'));
    const short = lzfStr(lp.subarray(0, lp.length - 3));
    const lying = Buffer.from(short);
    lying.writeUInt16BE(0x4000 | lp.length, 2);
    expect(parse(rdb([keyOf(20, 's', lzfStr(lp))])).keys[0]?.size).toBe(50);
    const error = parseError(rdb([keyOf(20, 's', lying)]));
    expect([error.reason, error.message]).toEqual(['corrupt', expect.stringMatching(/decompresses to \d+ bytes, not \d+/)]);
  });
});
