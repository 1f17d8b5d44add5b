/**
 * What a hostile tenant's server sends, for the hostile-input suite and bench/hostile.ts: RDBs
 * built to cost the most (compressed giant names, a database per key, decompression bombs),
 * and scripted servers (resp-stub.ts) that serve them over SYNC, send giant names over SCAN,
 * keep a snapshot waiting with keepalives, lag their MONITOR stream, or never answer a preflight.
 * Everything listens on loopback.
 */
import type net from 'node:net';
import { aux, cat, keyOf, lzfRepeatingStr, rdb, selectDb, str, ziplistBomb } from './rdb-writer.js';
import { bulk, infoText, redisLike, type Answer, type Script } from './resp-stub.js';

const MIB = 1024 * 1024;
/** The FREQ opcode: an LFU counter for the key that follows. */
const freq = (counter: number): Buffer => Buffer.from([0xf9, counter]);

/** Just under redis.max_bulk_bytes' default (16 MiB): the longest name a server may send by default. */
export const GIANT_NAME_BYTES = 16 * MIB - 64;

/** A giant name as its server holds it: `prefix`, then "ab" repeated to `bytes` in all. */
export function giantNameBytes(prefix: string, bytes = GIANT_NAME_BYTES): Buffer {
  return Buffer.concat([Buffer.from(prefix), Buffer.alloc(2 * Math.floor((bytes - prefix.length) / 2), 'ab')]);
}

/** That name LZF-compressed about 88 times (a few hundred KB), as an RDB string. */
export function giantName(prefix: string, bytes = GIANT_NAME_BYTES): Buffer {
  return lzfRepeatingStr(Buffer.from(prefix), Buffer.from('ab'), Math.floor((bytes - prefix.length) / 2), Buffer.alloc(0));
}

/** `count` string keys with hot counters and compressed names of `nameBytes` each. */
export function rdbOfGiantNames(count: number, nameBytes = GIANT_NAME_BYTES): Buffer {
  return rdb(Array.from({ length: count }, (_, i) => cat(freq(255 - (i % 50)), keyOf(0, giantName(`giant:${i}:`, nameBytes), str('v')))));
}

/** One SELECTDB per key: `count` databases (numbers from 0), each with one warm key. */
export function rdbOfManyDatabases(count: number): Buffer {
  return rdb(Array.from({ length: count }, (_, i) => cat(selectDb(i), freq(100), keyOf(0, `k${i}`, str('v')))));
}

/** `count` ziplist bombs of `entries` one-byte entries each (2 bytes apiece inflated), with hot counters. */
export function rdbOfZiplistBombs(count: number, entries = 8 * MIB): Buffer {
  const bomb = ziplistBomb(entries);
  return rdb(Array.from({ length: count }, (_, i) => cat(freq(200), keyOf(10, `bomb:${i}`, bomb))));
}

/** An AUX field that inflates to `bytes` (a Lua script, as 4.0-6.x replication RDBs carry them), then one key. */
export function rdbWithAuxBomb(bytes = 64 * MIB): Buffer {
  return rdb([aux('lua', lzfRepeatingStr(Buffer.alloc(0), Buffer.from('x'), bytes, Buffer.alloc(0))), cat(freq(200), keyOf(0, 'k', str('v')))]);
}

const MARK = 'b0a7c0de'.repeat(5);

/** Writes `body` to the socket as fast as the peer reads it, in 64 KiB writes, then `tail`. */
function stream(socket: net.Socket, body: Buffer, tail: string): void {
  let at = 0;
  const next = (): void => {
    while (!socket.destroyed && at < body.length) {
      const end = Math.min(body.length, at + 64 * 1024);
      const more = socket.write(body.subarray(at, end));
      at = end;
      if (!more) {
        socket.once('drain', next);
        return;
      }
    }
    if (!socket.destroyed) socket.write(tail, 'latin1');
  };
  next();
}

/** A node that may fork: little memory in use, plenty free, LFU policy, keys in db0. */
export const SNAPSHOT_NODE_INFO = infoText({ used_memory: '1000000', used_memory_rss: '2000000', total_system_memory: '16000000000' });

/**
 * A node that takes a snapshot request and answers SYNC with `sync` (its RDB, diskless framing,
 * by default), everything else a snapshot asks like a willing Redis 7.0.
 */
export function snapshotServer(sync: Buffer | Answer): Script {
  const answer: Answer = Buffer.isBuffer(sync) ? (socket) => stream(socket, sync, MARK) : sync;
  return redisLike((command) => {
    if (command[0] === 'ACL' && command[1] === 'WHOAMI') return bulk('default');
    if (command[0] === 'ACL' && command[1] === 'DRYRUN') return '+OK\r\n';
    if (command[0] === 'COMMAND') return '*2\r\n*0\r\n*0\r\n';
    if (command[0] === 'REPLCONF') return '+OK\r\n';
    if (command[0] === 'SYNC') {
      if (!Buffer.isBuffer(sync)) return answer;
      return (socket: net.Socket) => {
        socket.write(`$EOF:${MARK}\r\n`, 'latin1');
        (answer as (socket: net.Socket) => void)(socket);
      };
    }
    return undefined;
  }, SNAPSHOT_NODE_INFO);
}

/** SYNC answered by keepalive newlines every `everyMs`, forever: the RDB never begins. */
export function keepalivesForever(everyMs = 100): Answer {
  return (socket) => {
    const timer = setInterval(() => (socket.destroyed ? clearInterval(timer) : socket.write('\n')), everyMs);
    timer.unref();
  };
}

/**
 * A node whose SCAN returns `names` (each a Buffer, up to redis.max_bulk_bytes) `perPage` at a
 * time, every one with the counter 255 and a 5-byte string value.
 */
export function giantNamesOverScan(names: readonly Buffer[], perPage: number): Script {
  return redisLike((command) => {
    if (command[0] === 'SCAN') {
      const cursor = Number(command[1]);
      const page = names.slice(cursor, cursor + perPage);
      const next = cursor + perPage >= names.length ? 0 : cursor + perPage;
      return Buffer.concat([Buffer.from(`*2\r\n${bulk(String(next))}*${page.length}\r\n`, 'latin1'), ...page.flatMap((name) => [Buffer.from(`$${name.length}\r\n`), name, Buffer.from('\r\n')])]);
    }
    if (command[0] === 'OBJECT') return ':255\r\n';
    if (command[0] === 'TYPE') return '+string\r\n';
    if (command[0] === 'STRLEN') return ':5\r\n';
    if (command[0] === 'MEMORY') return ':64\r\n';
    if (command[0] === 'PTTL') return ':-1\r\n';
    return undefined;
  });
}

/**
 * A node that takes MONITOR and streams `perSecond` command lines whose timestamps leap 1000 s
 * ahead every batch (keyheat could never seem to lag behind it), and never answers the
 * sampler's CLIENT LIST: only keyheat's own clock can end the window.
 */
export function laggingMonitor(perSecond = 2000): Script {
  return redisLike((command) => {
    if (command[0] === 'COMMAND') return '*1\r\n*6\r\n$3\r\nget\r\n:2\r\n*0\r\n:1\r\n:1\r\n:1\r\n';
    if (command[0] === 'CLIENT' && command[1] === 'ID') return ':7\r\n';
    if (command[0] === 'CLIENT' && command[1] === 'LIST') return null;
    if (command[0] === 'MONITOR') {
      return (socket) => {
        socket.write('+OK\r\n');
        let seconds = 1_700_000_000;
        const timer = setInterval(() => {
          if (socket.destroyed) {
            clearInterval(timer);
            return;
          }
          // Each batch claims to come from far later than the one before.
          const lines = Array.from({ length: perSecond / 10 }, (_, i) => `+${seconds}.${String(i).padStart(6, '0')} [0 10.0.0.9:5000] "get" "user:${i % 7}"\r\n`);
          seconds += 1000;
          socket.write(lines.join(''));
        }, 100);
        timer.unref();
      };
    }
    return undefined;
  });
}
