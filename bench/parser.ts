/**
 * RESP parser throughput on a ~100 MB reply stream, fed in socket-sized chunks, in MB/s.
 * Three streams, each parsed `rounds` times (the median is printed):
 *   scan:  what a scan receives: SCAN pages of 1000 keys, each followed by 1000 OBJECT FREQ
 *          integer replies (the hot path of an analysis);
 *   bulks: 1 MiB and 32 MiB bulk strings, each spanning many chunks (INFO, CLUSTER NODES, long
 *          values; the 32 MiB case is where re-copying pending bytes on every chunk shows);
 *   trickle: the scan stream cut into 7-byte chunks (a slow link; every element spans chunks).
 * Chunks are 64 KiB, what Node's socket hands over on loopback.
 *
 *   npx tsx bench/parser.ts [megabytes=100] [rounds=5]
 */
import { REDIS_LIMITS } from '../src/domain/limits.js';
import { RespParser } from '../src/redis/resp-parser.js';
import { median } from './bench-redis.js';

const megabytes = Number(process.argv[2] ?? 100);
const rounds = Number(process.argv[3] ?? 5);
const target = megabytes * 1024 * 1024;

function scanStream(): Buffer {
  const parts: Buffer[] = [];
  let size = 0;
  let page = 0;
  while (size < target) {
    const keys = Array.from({ length: 1000 }, (_, i) => `key:${page * 1000 + i}`);
    const head = `*2\r\n$${String(page + 1).length}\r\n${page + 1}\r\n*${keys.length}\r\n`;
    const body = keys.map((k) => `$${k.length}\r\n${k}\r\n`).join('');
    const freqs = keys.map((_, i) => `:${(i * 7) % 256}\r\n`).join('');
    const chunk = Buffer.from(head + body + freqs, 'latin1');
    parts.push(chunk);
    size += chunk.length;
    page += 1;
  }
  return Buffer.concat(parts);
}

function bulkStream(size: number): Buffer {
  const payload = Buffer.alloc(size, 0x61);
  const one = Buffer.concat([Buffer.from(`$${payload.length}\r\n`), payload, Buffer.from('\r\n')]);
  return Buffer.concat(Array.from({ length: Math.ceil(target / one.length) }, () => one));
}

function measure(stream: Buffer, chunkSize: number): { mbPerS: number; replies: number } {
  let replies = 0;
  // The defaults, but bulk strings and replies up to 64 MiB so the 32 MiB case can run.
  const limits = {
    maxReplyBytes: 64 * 1024 * 1024,
    maxBulkBytes: 64 * 1024 * 1024,
    maxLineBytes: REDIS_LIMITS.maxLineBytes.default,
    maxArrayLength: REDIS_LIMITS.maxArrayLength.default,
    maxDepth: REDIS_LIMITS.maxDepth.default,
  };
  const parser = new RespParser(() => {
    replies += 1;
  }, limits);
  const start = performance.now();
  for (let at = 0; at < stream.length; at += chunkSize) parser.push(stream.subarray(at, at + chunkSize));
  const seconds = (performance.now() - start) / 1000;
  return { mbPerS: stream.length / 1024 / 1024 / seconds, replies };
}

const streams: [string, Buffer, number][] = [
  ['scan', scanStream(), 64 * 1024],
  ['1 MiB bulks', bulkStream(1024 * 1024), 64 * 1024],
  ['32 MiB bulks', bulkStream(32 * 1024 * 1024), 64 * 1024],
];
const trickle = scanStream().subarray(0, 8 * 1024 * 1024);
streams.push(['trickle (8 MB, 7-byte chunks)', trickle, 7]);

for (const [name, stream, chunk] of streams) {
  const speeds: number[] = [];
  let replies = 0;
  for (let round = 0; round < rounds; round++) {
    const result = measure(stream, chunk);
    speeds.push(result.mbPerS);
    replies = result.replies;
  }
  console.log(`${name.padEnd(30)} ${(stream.length / 1024 / 1024).toFixed(0).padStart(4)} MB, ${replies} replies: median ${median(speeds).toFixed(0)} MB/s`);
}
