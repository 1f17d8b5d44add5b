import { describe, expect, it, vi } from 'vitest';
import { REDIS_LIMITS } from '../../src/domain/limits.js';
import { encodeCommand } from '../../src/redis/resp-encoder.js';
import { RedisReplyError, RespParser, RespProtocolError, type Reply, type ReplyLimits } from '../../src/redis/resp-parser.js';

const realConcat = Buffer.concat.bind(Buffer);

const DEFAULTS: ReplyLimits = {
  maxReplyBytes: REDIS_LIMITS.maxReplyBytes.default,
  maxBulkBytes: REDIS_LIMITS.maxBulkBytes.default,
  maxLineBytes: REDIS_LIMITS.maxLineBytes.default,
  maxArrayLength: REDIS_LIMITS.maxArrayLength.default,
  maxDepth: REDIS_LIMITS.maxDepth.default,
};

function parseAll(chunks: Buffer[], limits: Partial<ReplyLimits> = {}): Reply[] {
  const replies: Reply[] = [];
  const parser = new RespParser((r) => replies.push(r), { ...DEFAULTS, ...limits });
  chunks.forEach((c) => parser.push(c));
  return replies;
}

/** Every way of cutting `wire` into chunks of 1..7 bytes, and whole. */
function splits(wire: Buffer): Buffer[][] {
  const all: Buffer[][] = [[wire]];
  for (let size = 1; size <= 7; size++) {
    const chunks: Buffer[] = [];
    for (let i = 0; i < wire.length; i += size) chunks.push(wire.subarray(i, i + size));
    all.push(chunks);
  }
  return all;
}

/** The breach a stream causes, however it is split (the same one for every split). */
function breach(wire: string | Buffer, limits: Partial<ReplyLimits> = {}): RespProtocolError {
  const bytes = typeof wire === 'string' ? Buffer.from(wire, 'latin1') : wire;
  let first: RespProtocolError | null = null;
  for (const chunks of splits(bytes)) {
    let caught: unknown = null;
    try {
      parseAll(chunks, limits);
    } catch (error) {
      caught = error;
    }
    expect(caught, `split into ${chunks.length} chunks`).toBeInstanceOf(RespProtocolError);
    first ??= caught as RespProtocolError;
    expect((caught as RespProtocolError).reason).toBe(first.reason);
  }
  return first as RespProtocolError;
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
    const show = (r: Reply[]) => r.map((x) => JSON.stringify(x, (_k, v: unknown) => (v instanceof RedisReplyError ? v.message : v)));
    const whole = show(parseAll([stream]));
    for (const chunks of splits(stream)) expect(show(parseAll(chunks))).toEqual(whole);
  });

  it('reports each reply with its size on the wire', () => {
    const sizes: number[] = [];
    const parser = new RespParser((_r, bytes) => sizes.push(bytes), DEFAULTS);
    parser.push(Buffer.from(':1\r\n*2\r\n$3\r\nabc\r\n:7\r\n'));
    expect(sizes).toEqual([4, 4 + 9 + 4]);
  });

  it('keeps binary bulk strings intact', () => {
    const key = Buffer.from([0xff, 0x00, 0x0d, 0x0a]);
    const replies = parseAll([Buffer.concat([Buffer.from('$4\r\n'), key, Buffer.from('\r\n')])]);
    expect(Buffer.compare(replies[0] as Buffer, key)).toBe(0);
  });

  it('ignores what arrives after it was stopped', () => {
    const replies: Reply[] = [];
    const parser = new RespParser((r) => replies.push(r), DEFAULTS);
    parser.push(Buffer.from('$5\r\nab'));
    parser.stop();
    parser.push(Buffer.from('cde\r\n:1\r\n'));
    expect(replies).toEqual([]);
  });
});

describe('RespParser on input that is not valid RESP', () => {
  it.each([
    ['an HTTP answer', 'HTTP/1.1 400 Bad Request\r\n'],
    ['a length with a letter in it', '$1a\r\nx\r\n'],
    ['an integer with a letter in it', ':12x\r\n'],
    ['an empty length', '$\r\n'],
    ['a negative length other than -1', '$-2\r\n'],
    ['a negative array length other than -1', '*-5\r\n'],
    ['a length of 20 digits', '$12345678901234567890\r\n'],
    ['a length ended by CR alone', '$3\rabc\r\n'],
    ['a bulk string longer than its length', '$3\r\nabcd\r\n'],
    ['a status line ended by LF alone', '+OK\n'],
    ['a length field that never ends', `$${'1'.repeat(25)}`],
  ])('refuses %s', (_what, wire) => {
    expect(breach(wire).reason).toBe('protocol');
  });
});

describe('RespParser limits', () => {
  it('refuses a bulk string longer than max_bulk_bytes when its header arrives', () => {
    const error = breach('$2000000000\r\n', { maxBulkBytes: 1024 });
    expect(error.reason).toBe('limit');
    expect(error.message).toMatch(/2000000000 bytes exceeds redis\.max_bulk_bytes \(1024\)/);
  });

  it('accepts a bulk string of exactly max_bulk_bytes', () => {
    const body = 'x'.repeat(1024);
    expect(String(parseAll([Buffer.from(`$1024\r\n${body}\r\n`)], { maxBulkBytes: 1024 })[0])).toBe(body);
  });

  it('refuses an array longer than max_array_length', () => {
    const error = breach('*1001\r\n', { maxArrayLength: 1000 });
    expect(error.reason).toBe('limit');
    expect(error.message).toMatch(/1001 elements exceeds redis\.max_array_length \(1000\)/);
  });

  it('refuses arrays nested deeper than max_depth', () => {
    expect(parseAll([Buffer.from(`${'*1\r\n'.repeat(4)}:1\r\n`)], { maxDepth: 4 })).toEqual([[[[[1]]]]]);
    const error = breach(`${'*1\r\n'.repeat(5)}:1\r\n`, { maxDepth: 4 });
    expect(error.reason).toBe('limit');
    expect(error.message).toMatch(/redis\.max_depth \(4\)/);
  });

  it('stops an endless "*2" stream at max_depth, having kept almost nothing', () => {
    const before = process.memoryUsage().heapUsed;
    const parser = new RespParser(() => undefined, DEFAULTS);
    const chunk = Buffer.from('*2\r\n'.repeat(16_384));
    expect(() => {
      for (let i = 0; i < 1000; i++) parser.push(chunk);
    }).toThrow(/max_depth/);
    expect(process.memoryUsage().heapUsed - before).toBeLessThan(16 * 1024 * 1024);
  });

  it('refuses a status or error line longer than max_line_bytes, even one that never ends', () => {
    expect(breach(`-ERR ${'x'.repeat(300)}\r\n`, { maxLineBytes: 256 }).reason).toBe('limit');
    expect(breach(`+${'x'.repeat(300)}`, { maxLineBytes: 256 }).reason).toBe('limit');
    expect(String(parseAll([Buffer.from(`+${'x'.repeat(256)}\r\n`)], { maxLineBytes: 256 })[0])).toHaveLength(256);
  });

  it('refuses a reply whose parts add up to more than max_reply_bytes', () => {
    const element = `$100\r\n${'k'.repeat(100)}\r\n`;
    const error = breach(`*100\r\n${element.repeat(100)}`, { maxReplyBytes: 8 * 1024 });
    expect(error.reason).toBe('limit');
    expect(error.message).toMatch(/redis\.max_reply_bytes \(8192\)/);
    // The same elements as separate replies are fine: the cap is per reply.
    expect(parseAll([Buffer.from(element.repeat(100))], { maxReplyBytes: 8 * 1024 })).toHaveLength(100);
  });
});

describe('RespParser cost on replies spanning many chunks', () => {
  it('parses a 200 000-key SCAN-like reply fed 1 KB at a time', () => {
    const keys = Array.from({ length: 200_000 }, (_, i) => `key:${i}`);
    const wire = Buffer.concat([Buffer.from(`*2\r\n$1\r\n0\r\n*${keys.length}\r\n`), ...keys.map((k) => Buffer.from(`$${k.length}\r\n${k}\r\n`))]);
    const replies: Reply[] = [];
    const parser = new RespParser((r) => replies.push(r), DEFAULTS);
    for (let i = 0; i < wire.length; i += 1024) parser.push(wire.subarray(i, i + 1024));
    expect(replies).toHaveLength(1);
    const page = replies[0] as [Buffer, Buffer[]];
    expect(page[1]).toHaveLength(200_000);
    expect(String(page[1][199_999])).toBe('key:199999');
  });

  it('joins a 16 MiB bulk string fed 64 KiB at a time once, not once per chunk', () => {
    const body = Buffer.alloc(16 * 1024 * 1024, 0x61);
    const wire = Buffer.concat([Buffer.from(`$${body.length}\r\n`), body, Buffer.from('\r\n')]);
    const chunks = Array.from({ length: Math.ceil(wire.length / 65_536) }, (_, i) => wire.subarray(i * 65_536, (i + 1) * 65_536));
    // Count the bytes the parser copies: re-copying what is pending on every chunk would be
    // about 256 times the reply (2 GiB), one join is the reply once.
    let copied = 0;
    const concat = vi.spyOn(Buffer, 'concat').mockImplementation((list: readonly Uint8Array[], total?: number) => {
      const joined = realConcat(list, total);
      copied += joined.length;
      return joined;
    });
    try {
      const replies = parseAll(chunks);
      expect((replies[0] as Buffer).equals(body)).toBe(true);
    } finally {
      concat.mockRestore();
    }
    expect(copied).toBeLessThanOrEqual(wire.length);
  });

  it('closes nested and empty arrays in order', () => {
    const replies = parseAll([Buffer.from('*3\r\n*0\r\n*2\r\n:1\r\n*1\r\n$-1\r\n:7\r\n'), Buffer.from('*0\r\n')]);
    expect(JSON.stringify(replies)).toBe('[[[],[1,[null]],7],[]]');
  });
});

describe('encodeCommand', () => {
  it('encodes commands as arrays of bulk strings', () => {
    expect(encodeCommand(['SCAN', '0', 'COUNT', 10]).toString()).toBe('*4\r\n$4\r\nSCAN\r\n$1\r\n0\r\n$5\r\nCOUNT\r\n$2\r\n10\r\n');
    expect(encodeCommand(['GET', Buffer.from([0xff])])).toEqual(Buffer.concat([Buffer.from('*2\r\n$3\r\nGET\r\n$1\r\n'), Buffer.from([0xff]), Buffer.from('\r\n')]));
  });
});

describe('long bulk strings', () => {
  it('copies a bulk string of megabytes into its own buffer as it arrives, whatever the chunks, and checks its end', () => {
    const value = Buffer.alloc(3 * 1024 * 1024 + 17);
    for (let i = 0; i < value.length; i++) value[i] = (i * 31) & 0xff;
    const wire = Buffer.concat([Buffer.from(`*2\r\n$${value.length}\r\n`), value, Buffer.from('\r\n:7\r\n')]);
    for (const size of [1000, 65_536, 7 * 1024 + 3, wire.length]) {
      const chunks: Buffer[] = [];
      for (let i = 0; i < wire.length; i += size) chunks.push(Buffer.from(wire.subarray(i, i + size)));
      const [reply] = parseAll(chunks);
      expect(Array.isArray(reply) && Buffer.isBuffer(reply[0]) && reply[0].equals(value) && reply[1] === 7, `${size}-byte chunks`).toBe(true);
    }
    const lying = Buffer.concat([Buffer.from(`$${value.length}\r\n`), value, Buffer.from('xx')]);
    expect(() => parseAll([lying.subarray(0, 100_000), lying.subarray(100_000)])).toThrow(/longer than its length says/);
  });
});
