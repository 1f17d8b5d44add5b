import { describe, expect, it } from 'vitest';
import { encodeCommand, RedisReplyError, RespParser, type Reply } from '../../src/redis/resp-parser.js';

function parseAll(chunks: Buffer[]): Reply[] {
  const replies: Reply[] = [];
  const parser = new RespParser((r) => replies.push(r));
  chunks.forEach((c) => parser.push(c));
  return replies;
}

const stream = Buffer.from('+OK\r\n:-12\r\n$5\r\nhe\r\nl\r\n$-1\r\n*2\r\n$1\r\n0\r\n*2\r\n$1\r\na\r\n$0\r\n\r\n-ERR boom here\r\n*-1\r\n:0\r\n');

describe('RespParser', () => {
  it('parses every RESP2 type', () => {
    const replies = parseAll([stream]);
    expect(replies).toHaveLength(8);
    expect(String(replies[0])).toBe('OK');
    expect(replies[1]).toBe(-12);
    expect(String(replies[2])).toBe('he\r\nl');
    expect(replies[3]).toBeNull();
    expect((replies[4] as Buffer[][])[1]!.map(String)).toEqual(['a', '']);
    expect(replies[5]).toBeInstanceOf(RedisReplyError);
    expect((replies[5] as RedisReplyError).prefix).toBe('ERR');
    expect(replies[6]).toBeNull();
    expect(replies[7]).toBe(0);
  });

  it('gives the same replies however the stream is split', () => {
    const whole = parseAll([stream]).map((r) => JSON.stringify(r, (_k, v: unknown) => (v instanceof RedisReplyError ? v.message : v)));
    for (let size = 1; size <= 7; size++) {
      const chunks: Buffer[] = [];
      for (let i = 0; i < stream.length; i += size) chunks.push(stream.subarray(i, i + size));
      const split = parseAll(chunks).map((r) => JSON.stringify(r, (_k, v: unknown) => (v instanceof RedisReplyError ? v.message : v)));
      expect(split).toEqual(whole);
    }
  });

  it('keeps binary bulk strings intact', () => {
    const key = Buffer.from([0xff, 0x00, 0x0d, 0x0a]);
    const replies = parseAll([Buffer.concat([Buffer.from('$4\r\n'), key, Buffer.from('\r\n')])]);
    expect(Buffer.compare(replies[0] as Buffer, key)).toBe(0);
  });

  it('rejects a stream that is not RESP', () => {
    expect(() => parseAll([Buffer.from('HTTP/1.1 400 Bad Request\r\n')])).toThrow(/protocol error/);
  });

  it('encodes commands as arrays of bulk strings', () => {
    expect(encodeCommand(['SCAN', '0', 'COUNT', 10]).toString()).toBe('*4\r\n$4\r\nSCAN\r\n$1\r\n0\r\n$5\r\nCOUNT\r\n$2\r\n10\r\n');
    expect(encodeCommand(['GET', Buffer.from([0xff])])).toEqual(Buffer.concat([Buffer.from('*2\r\n$3\r\nGET\r\n$1\r\n'), Buffer.from([0xff]), Buffer.from('\r\n')]));
  });
});

describe('RespParser on replies spanning many chunks', () => {
  it('parses a 200 000-key SCAN-like reply fed 1 KB at a time', () => {
    const keys = Array.from({ length: 200_000 }, (_, i) => `key:${i}`);
    const wire = Buffer.concat([Buffer.from(`*2\r\n$1\r\n0\r\n*${keys.length}\r\n`), ...keys.map((k) => Buffer.from(`$${k.length}\r\n${k}\r\n`))]);
    const replies: Reply[] = [];
    const parser = new RespParser((r) => replies.push(r));
    for (let i = 0; i < wire.length; i += 1024) parser.push(wire.subarray(i, i + 1024));
    expect(replies).toHaveLength(1);
    const page = replies[0] as [Buffer, Buffer[]];
    expect(page[1]).toHaveLength(200_000);
    expect(String(page[1][199_999])).toBe('key:199999');
  });

  it('closes nested and empty arrays in order', () => {
    const replies = parseAll([Buffer.from('*3\r\n*0\r\n*2\r\n:1\r\n*1\r\n$-1\r\n:7\r\n'), Buffer.from('*0\r\n')]);
    expect(JSON.stringify(replies)).toBe('[[[],[1,[null]],7],[]]');
  });
});
