import { describe, expect, it } from 'vitest';
import { RateLimiter } from '../../src/engine/rate-limiter.js';
import { parseCommandStats } from '../../src/redis/command-stats.js';
import { encodeCommand, encodeKeyCommands } from '../../src/redis/resp-encoder.js';

describe('RateLimiter', () => {
  it('spaces batches so that keys per second never exceed the rate', async () => {
    let now = 0;
    const waits: number[] = [];
    const limiter = new RateLimiter(1000, () => now, async (ms) => {
      waits.push(ms);
      now += ms;
    });
    const starts: number[] = [];
    for (let i = 0; i < 5; i++) {
      await limiter.take(100);
      starts.push(now);
      now += 3; // the batch itself takes a little time
    }
    // 100 keys at 1000 keys/s = one batch per 100 ms; the first goes at once.
    expect(starts).toEqual([0, 100, 200, 300, 400]);
    expect(waits).toEqual([97, 97, 97, 97]);
  });

  it('does not make up for time it was not asked for', async () => {
    let now = 0;
    const waits: number[] = [];
    const limiter = new RateLimiter(1000, () => now, async (ms) => void waits.push(ms));
    await limiter.take(100);
    now = 5000; // a long pause (the node was slow): no burst of back-to-back batches after it
    await limiter.take(100);
    await limiter.take(100);
    expect(waits).toEqual([100]);
  });

  it('refuses a rate that is not positive', () => {
    expect(() => new RateLimiter(0)).toThrow(RangeError);
  });

  it('stops waiting when the scan is cancelled', async () => {
    const limiter = new RateLimiter(1);
    await limiter.take(10); // reserves 10 s
    const controller = new AbortController();
    const waiting = limiter.take(1, controller.signal);
    controller.abort(new Error('cancelled'));
    await expect(waiting).rejects.toThrow('cancelled');
  });
});

describe('parseCommandStats', () => {
  it("counts every command but keyheat's own, and the time of the scan's commands", () => {
    const stats = [
      '# Commandstats',
      'cmdstat_get:calls=120,usec=100,usec_per_call=0.8,rejected_calls=0,failed_calls=0',
      'cmdstat_set:calls=30,usec=50,usec_per_call=1.6,rejected_calls=0,failed_calls=0',
      'cmdstat_scan:calls=1000,usec=7000,usec_per_call=7,rejected_calls=0,failed_calls=0',
      'cmdstat_object|freq:calls=100000,usec=50000,usec_per_call=0.5,rejected_calls=0,failed_calls=0',
      'cmdstat_object:calls=5,usec=5,usec_per_call=1,rejected_calls=0,failed_calls=0',
      'cmdstat_info:calls=12,usec=500,usec_per_call=40,rejected_calls=0,failed_calls=0',
      'cmdstat_client|setname:calls=3,usec=3,usec_per_call=1,rejected_calls=0,failed_calls=0',
      'cmdstat_select:calls=4,usec=4,usec_per_call=1,rejected_calls=0,failed_calls=0',
      'cmdstat_cluster|nodes:calls=2,usec=40,usec_per_call=20,rejected_calls=0,failed_calls=0',
    ].join('\r\n');
    expect(parseCommandStats(stats)).toEqual({
      othersCalls: 150,
      scanCalls: 1000,
      scanUsec: 7000,
      objectCalls: 100_005,
      objectUsec: 50_005,
      typeCalls: 0,
      typeUsec: 0,
      sizeCalls: 0,
      sizeUsec: 0,
    });
  });

  it("reads a big key scan's TYPE calls as its keys and keeps size commands apart from other traffic", () => {
    const stats = [
      'cmdstat_get:calls=120,usec=100,usec_per_call=0.8,rejected_calls=0,failed_calls=0',
      'cmdstat_scan:calls=10,usec=700,usec_per_call=70,rejected_calls=0,failed_calls=0',
      'cmdstat_type:calls=10000,usec=4000,usec_per_call=0.4,rejected_calls=0,failed_calls=0',
      'cmdstat_strlen:calls=7000,usec=2100,usec_per_call=0.3,rejected_calls=0,failed_calls=0',
      'cmdstat_hlen:calls=2000,usec=600,usec_per_call=0.3,rejected_calls=0,failed_calls=0',
      'cmdstat_memory|usage:calls=10000,usec=9000,usec_per_call=0.9,rejected_calls=0,failed_calls=0',
      'cmdstat_readonly:calls=3,usec=3,usec_per_call=1,rejected_calls=0,failed_calls=0',
    ].join('\r\n');
    expect(parseCommandStats(stats)).toEqual({
      othersCalls: 120,
      scanCalls: 10,
      scanUsec: 700,
      objectCalls: 0,
      objectUsec: 0,
      typeCalls: 10_000,
      typeUsec: 4000,
      sizeCalls: 19_000,
      sizeUsec: 11_700,
    });
  });

  it('skips lines that do not parse, and numbers too long to be counters', () => {
    const stats = 'cmdstat_get:calls=abc,usec=1\r\ncmdstat_set:calls=99999999999999999999,usec=1\r\ncmdstat_del:calls=7,usec=3\r\n\x1b[2J';
    expect(parseCommandStats(stats).othersCalls).toBe(7);
  });
});

describe('encodeKeyCommands', () => {
  it('encodes exactly like one encodeCommand per key', () => {
    const keys = [Buffer.from('a'), Buffer.from([0xff, 0x00, 0x0d]), Buffer.alloc(0), Buffer.alloc(1234, 0x61)];
    expect(encodeKeyCommands(['OBJECT', 'FREQ'], keys)).toEqual(Buffer.concat(keys.map((k) => encodeCommand(['OBJECT', 'FREQ', k]))));
  });
});
