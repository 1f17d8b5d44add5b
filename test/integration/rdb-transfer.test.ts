/**
 * The snapshot transfer protocol (redis/rdb-transfer.ts) against scripted servers (resp-stub.ts)
 * that send a real RDB, written by a real redis-server (7.0, SAVE, its dump.rdb), the ways a real
 * node, an older one, or a broken or hostile one would: plain SYNC with length framing and a
 * replication stream after it, EOF-mark framing with a right and a wrong mark, a connection
 * closed in the middle, an ACL refusal, a trickle that is cancelled, a stall, and flipped bytes.
 * Some cases call transferRdb on a RespConnection to the stub; the others run the whole engine
 * (analyzeDeployment, strategy 'snapshot') against a stub that also answers its INFO, CONFIG,
 * COMMAND INFO and ACL commands.
 */
import { keepName, type KeptName } from '../../src/domain/kept-name.js';
import { readFileSync } from 'node:fs';
import type net from 'node:net';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { analyzeDeployment } from '../../src/engine/analyze-deployment.js';
import { RedisFailure } from '../../src/domain/redis-failure.js';
import { RdbParser, type RdbKey } from '../../src/redis/rdb/rdb-parser.js';
import { transferRdb, type TransferReport } from '../../src/redis/rdb-transfer.js';
import { redisAccess } from '../../src/redis/redis-access.js';
import { RespConnection, type Arg } from '../../src/redis/resp-connection.js';
import type { RedisEndpoint } from '../../src/domain/instance.js';
import { bulk, infoText, redisLike, startStub, type Answer, type Script, type Stub } from '../helpers/resp-stub.js';
import { startRedis, type RedisServer } from '../helpers/redis-server.js';

const REPLICATION_STREAM = '*1\r\n$4\r\nPING\r\n';
const MARK = 'a3f1c0de'.repeat(5); // 40 characters
const UNRECOGNIZED = '-ERR Unrecognized REPLCONF option: rdb-only\r\n';

/** The RDB a real server wrote, and what that server said of every key in it. */
let rdb: Buffer;
/** A name as the parser keeps it: whole, or its first 1 KiB and the hash of all of it. */
const keptText = (kept: KeptName): string => `${kept.name.toString('latin1')}${kept.nameSha1 === undefined ? '' : ` sha1:${kept.nameSha1}`}`;

/** db:name (as kept) -> [type, OBJECT FREQ] on the server that wrote the RDB. */
const written = new Map<string, { type: string; freq: number }>();
let source: RedisServer;
const stubs: Stub[] = [];

const range = <T>(n: number, f: (i: number) => T): T[] => Array.from({ length: n }, (_, i) => f(i));

beforeAll(async () => {
  // lfu-log-factor 0, lfu-decay-time 0: one access adds exactly one; no compression, so a value's bytes are its own.
  source = await startRedis({ lfuLogFactor: 0, lfuDecayTime: 0, extraArgs: ['--rdbcompression', 'no'] });
  const connection = await source.connect();
  try {
    const commands: Arg[][] = [
      ['SET', 'marker:type', 'the key whose type byte gets corrupted'],
      ['SET', 'n'.repeat(2000), 'a name over 1 KiB'],
      ['SET', 'str:int', '987654'],
      ['SET', 'str:long', 'Z'.repeat(40_000)],
      ['RPUSH', 'list:long', ...range(3000, (i) => `element-${i}`)],
      ['SADD', 'set:ints', ...range(300, (i) => String(i))],
      ['ZADD', 'zset:big', ...range(300, (i) => `${i} zm-${i}`).flatMap((s) => s.split(' '))],
      ['HSET', 'hash:big', ...range(2000, (i) => `f${i} value-${i}`).flatMap((s) => s.split(' '))],
      ['XADD', 'stream:a', '*', 'f', 'v'],
      ...range(500, (i): Arg[] => ['SET', `plain:${i}`, `value-${i}`]),
    ];
    await connection.pipeline(commands);
    const reads: Arg[][] = [
      ...range(30, (): Arg[] => ['GET', 'str:int']),
      ...range(12, (): Arg[] => ['LINDEX', 'list:long', 0]),
      ...range(7, (): Arg[] => ['HGET', 'hash:big', 'f1']),
      ...range(3, (): Arg[] => ['ZSCORE', 'zset:big', 'zm-1']),
    ];
    await connection.pipeline(reads);
    await connection.call(['SELECT', 3]);
    await connection.pipeline([['SET', 'db3:hot', 'x'], ...range(20, (): Arg[] => ['GET', 'db3:hot'])]);
    for (const db of [0, 3]) {
      await connection.call(['SELECT', db]);
      const names = (await connection.call(['KEYS', '*'])) as Buffer[];
      // OBJECT FREQ first (it touches nothing), TYPE after.
      const freqs = (await connection.pipeline(names.map((n) => ['OBJECT', 'FREQ', n]))) as number[];
      const types = (await connection.pipeline(names.map((n) => ['TYPE', n]))) as Buffer[];
      names.forEach((n, i) => written.set(`${db}:${keptText(keepName(n))}`, { type: (types[i] as Buffer).toString(), freq: freqs[i] as number }));
    }
    await connection.call(['SAVE']);
    const dir = ((await connection.call(['CONFIG', 'GET', 'dir'])) as Buffer[])[1] as Buffer;
    rdb = readFileSync(path.join(dir.toString(), 'dump.rdb'));
  } finally {
    connection.close();
  }
  expect(written.size).toBe(510);
  expect(rdb.length).toBeGreaterThan(60_000);
});

afterAll(async () => {
  await source?.stop();
});

afterEach(async () => {
  await Promise.all(stubs.splice(0).map((s) => s.close()));
});

async function stub(script: Script): Promise<Stub> {
  const started = await startStub(script);
  stubs.push(started);
  return started;
}

function endpointOf(s: Stub): RedisEndpoint {
  return { host: s.host, port: s.port, tls: null, username: null, password: null };
}

/** A stub answering REPLCONF as a 7.0 server (or, `old`, as one before rdb-only) and SYNC with `sync`. */
function replicaScript(sync: Answer, old = false): Script {
  return (command) => {
    if (command[0] === 'REPLCONF') return old && command[1] === 'rdb-only' ? UNRECOGNIZED : '+OK\r\n';
    if (command[0] === 'SYNC') return sync;
    return undefined;
  };
}

/** What a node whose used memory is small next to its free memory says to every INFO section. */
const NODE_INFO = infoText({ used_memory: '1000000', used_memory_rss: '2000000', total_system_memory: '16000000000', db0: 'keys=509,expires=0,avg_ttl=0', db3: 'keys=1,expires=0,avg_ttl=0' });

/** The engine's whole conversation: INFO, CONFIG, COMMAND INFO, ACL, then the transfer as `sync` says. */
function nodeScript(sync: Answer, old = false): Script {
  return redisLike((command, context) => {
    if (command[0] === 'ACL' && command[1] === 'WHOAMI') return bulk('default');
    if (command[0] === 'ACL' && command[1] === 'DRYRUN') return '+OK\r\n';
    if (command[0] === 'COMMAND') return '*2\r\n*0\r\n*0\r\n'; // both present (the engine checks presence only)
    return replicaScript(sync, old)(command, context);
  }, NODE_INFO);
}

interface Collected {
  readonly parser: RdbParser;
  readonly keys: Map<string, RdbKey>;
}

function collecting(): Collected {
  const keys = new Map<string, RdbKey>();
  const parser = new RdbParser({
    onKey: (k) => keys.set(`${k.db}:${keptText({ name: k.key, ...(k.keySha1 === null ? {} : { nameSha1: k.keySha1 }) })}`, { ...k, key: Buffer.from(k.key) }),
  });
  return { parser, keys };
}

async function transfer(s: Stub, collected: Collected, options: { stallMs?: number; maxWaitMs?: number; signal?: AbortSignal } = {}): Promise<TransferReport> {
  const connection = await RespConnection.connect(endpointOf(s), redisAccess());
  return transferRdb(connection, collected.parser, { stallMs: options.stallMs ?? 10_000, maxWaitMs: options.maxWaitMs ?? 60_000, signal: options.signal ?? new AbortController().signal });
}

/** Every key of the RDB, with its type and counter, as the server that wrote it reported them. */
function expectAllKeys(keys: Map<string, RdbKey>): void {
  expect(new Map([...keys].map(([id, k]) => [id, { type: k.type, freq: k.freq }]))).toEqual(written);
}

async function until(check: () => boolean, what: string, timeoutMs = 3000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Writes `head`, then the RDB in pieces of `size` bytes `everyMs` apart, then `tail`; `cutAt`: closes the connection after that many RDB bytes instead. */
function sendRdb(head: string, tail: string | Buffer, options: { size?: number; everyMs?: number; cutAt?: number; body?: Buffer } = {}): (socket: net.Socket) => void {
  const body = options.body ?? rdb;
  const size = options.size ?? 16_384;
  return (socket) => {
    socket.write(head, 'latin1');
    let at = 0;
    const next = (): void => {
      if (socket.destroyed) return;
      if (options.cutAt !== undefined && at >= options.cutAt) {
        socket.end();
        return;
      }
      if (at >= body.length) {
        socket.write(tail);
        return;
      }
      const end = Math.min(body.length, at + size, options.cutAt ?? Infinity);
      socket.write(body.subarray(at, end));
      at = end;
      if (options.everyMs === undefined) next();
      else setTimeout(next, options.everyMs).unref();
    };
    next();
  };
}

describe('transferRdb against scripted servers', () => {
  it('takes an older server\u2019s plain SYNC: keepalives, a length, the RDB, then a replication stream it never reads', async () => {
    const s = await stub(replicaScript(sendRdb(`\n\n$${rdb.length}\r\n`, REPLICATION_STREAM, { size: 7_777 }), true));
    const collected = collecting();
    const report = await transfer(s, collected);
    expect(report).toMatchObject({ protocol: 'sync', framing: 'length', rdbBytes: rdb.length });
    expect(report.waitMs).toBeGreaterThanOrEqual(0);
    expectAllKeys(collected.keys);
    expect(collected.keys.get('0:str:long')?.size).toBe(40_000);
    // It asked in this order, and closed the connection (the old server would have kept it open).
    expect(s.commands.map((c) => c.slice(0, 2).join(' '))).toEqual(['REPLCONF rdb-only', 'REPLCONF capa', 'SYNC']);
    await until(() => s.stats.open === 0, 'the transfer connection to close');
  });

  it('takes EOF-mark framing with the right mark, and refuses a wrong mark as a protocol failure', async () => {
    const good = await stub(replicaScript(sendRdb(`\n$EOF:${MARK}\r\n`, MARK, { size: 5_000 })));
    const collected = collecting();
    const report = await transfer(good, collected);
    expect(report).toMatchObject({ protocol: 'rdb-only', framing: 'eof-mark', rdbBytes: rdb.length });
    expectAllKeys(collected.keys);

    // The mark split over two writes is still the mark.
    const split = await stub(replicaScript((socket) => {
      sendRdb(`$EOF:${MARK}\r\n`, MARK.slice(0, 13))(socket);
      setTimeout(() => socket.write(MARK.slice(13)), 50).unref();
    }));
    expect(await transfer(split, collecting())).toMatchObject({ framing: 'eof-mark', rdbBytes: rdb.length });

    const wrong = await stub(replicaScript(sendRdb(`$EOF:${MARK}\r\n`, 'b'.repeat(40))));
    await expect(transfer(wrong, collecting())).rejects.toMatchObject({ kind: 'protocol', message: expect.stringMatching(/does not end with the EOF mark/) });

    const short = await stub(replicaScript(sendRdb(`$EOF:${MARK.slice(0, 39)}\r\n`, MARK)));
    await expect(transfer(short, collecting())).rejects.toMatchObject({ kind: 'protocol', message: expect.stringMatching(/EOF mark of 39 bytes/) });
  });

  it('takes an older server\u2019s EOF-mark framing followed by its replication stream, and all of it in one write', async () => {
    const old = await stub(replicaScript(sendRdb(`\n$EOF:${MARK}\r\n`, MARK + REPLICATION_STREAM.repeat(50)), true));
    const collected = collecting();
    expect(await transfer(old, collected)).toMatchObject({ protocol: 'sync', framing: 'eof-mark', rdbBytes: rdb.length });
    expectAllKeys(collected.keys);
    const oneWrite = (head: string, tail: string): Answer => Buffer.concat([Buffer.from(head, 'latin1'), rdb, Buffer.from(tail, 'latin1')]);
    const byLength = await stub(replicaScript(oneWrite(`\n\n$${rdb.length}\r\n`, REPLICATION_STREAM), true));
    const lengthKeys = collecting();
    expect(await transfer(byLength, lengthKeys)).toMatchObject({ protocol: 'sync', framing: 'length', rdbBytes: rdb.length });
    expectAllKeys(lengthKeys.keys);
    const byMark = await stub(replicaScript(oneWrite(`$EOF:${MARK}\r\n`, MARK + REPLICATION_STREAM), true));
    expect(await transfer(byMark, collecting())).toMatchObject({ protocol: 'sync', framing: 'eof-mark', rdbBytes: rdb.length });
  });

  it('refuses what is not an RDB transfer: a long line, a length shorter than the RDB, an RDB shorter than its length', async () => {
    const longLine = await stub(replicaScript('$'.repeat(200)));
    await expect(transfer(longLine, collecting())).rejects.toMatchObject({ kind: 'protocol', message: expect.stringMatching(/line longer than 128 bytes/) });
    const notRdb = await stub(replicaScript('+FULLRESYNC 0123 0\r\n'));
    await expect(transfer(notRdb, collecting())).rejects.toMatchObject({ kind: 'protocol', message: expect.stringMatching(/not an RDB transfer/) });
    // The announced length ends before the RDB does.
    const shortLength = await stub(replicaScript(sendRdb(`$${rdb.length - 100}\r\n`, '')));
    await expect(transfer(shortLength, collecting())).rejects.toMatchObject({ kind: 'protocol', message: expect.stringMatching(/\(at byte \d+\)/) });
    // The announced length goes on after the RDB's end.
    const longLength = await stub(replicaScript(sendRdb(`$${rdb.length + 10}\r\n`, 'x'.repeat(10))));
    await expect(transfer(longLength, collecting())).rejects.toMatchObject({ kind: 'protocol', message: expect.stringMatching(/10 bytes after the RDB's end/) });
  });

  it('fails as unreachable when the connection closes in the middle of the RDB, with either framing', async () => {
    const cut = Math.floor(rdb.length / 2);
    const byLength = await stub(replicaScript(sendRdb(`$${rdb.length}\r\n`, '', { cutAt: cut })));
    await expect(transfer(byLength, collecting())).rejects.toMatchObject({ kind: 'unreachable', message: expect.stringMatching(/closed the connection after \d+ bytes of RDB/) });
    const byMark = await stub(replicaScript(sendRdb(`$EOF:${MARK}\r\n`, '', { cutAt: cut })));
    await expect(transfer(byMark, collecting())).rejects.toMatchObject({ kind: 'unreachable', message: expect.stringMatching(/closed the connection after \d+ bytes of RDB/) });
    const beforeRdb = await stub(replicaScript((socket) => socket.end('\n\n')));
    await expect(transfer(beforeRdb, collecting())).rejects.toMatchObject({ kind: 'unreachable', message: expect.stringMatching(/before sending the RDB/) });
  });

  it('fails as a stall, not a hang, when the node goes silent after part of the RDB', async () => {
    // Part of the RDB, then nothing, the connection left open.
    const silent = await stub(replicaScript((socket) => socket.write(Buffer.concat([Buffer.from(`$${rdb.length}\r\n`), rdb.subarray(0, 20_000)]))));
    const started = performance.now();
    await expect(transfer(silent, collecting(), { stallMs: 1000 })).rejects.toMatchObject({ kind: 'timeout', message: expect.stringMatching(/sent no RDB byte for 1000 ms after 20000 bytes of RDB \(snapshot.stall_timeout_ms\)/) });
    expect(performance.now() - started).toBeLessThan(3000);
    await until(() => silent.stats.open === 0, 'the stalled connection to close');
  });

  it('reports a SYNC refused by an ACL as no-permission, saying how to allow it', async () => {
    const s = await stub(replicaScript("-NOPERM this user has no permissions to run the 'sync' command\r\n"));
    const failure = await transfer(s, collecting()).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(RedisFailure);
    expect(failure).toMatchObject({ kind: 'no-permission', message: expect.stringMatching(/refused SYNC.*\+sync/) });
    // A REPLCONF refused the same way is refused before SYNC is sent.
    const replconf = await stub((command) => (command[0] === 'REPLCONF' ? "-NOPERM this user has no permissions to run the 'replconf' command\r\n" : '+OK\r\n'));
    await expect(transfer(replconf, collecting())).rejects.toMatchObject({ kind: 'no-permission', message: expect.stringMatching(/refused REPLCONF/) });
    expect(replconf.commands.some((c) => c[0] === 'SYNC')).toBe(false);
    // A renamed (or disabled) REPLCONF: unsupported, with how to allow it.
    const renamed = await stub((command) => (command[0] === 'REPLCONF' ? "-ERR unknown command 'REPLCONF', with args beginning with: 'rdb-only' '1' \r\n" : '+OK\r\n'));
    await expect(transfer(renamed, collecting())).rejects.toMatchObject({ kind: 'unsupported', message: expect.stringMatching(/refused REPLCONF.*rename-command/) });
  });

  it('fails as a protocol failure naming the byte offset when bytes in the RDB are corrupt', async () => {
    // A string encoding no Redis writes for a known key's name: the parser stops at that key.
    const name = Buffer.from('\x0bmarker:type', 'latin1');
    const typeAt = rdb.indexOf(name) - 1;
    expect(typeAt).toBeGreaterThan(9);
    expect(rdb[typeAt]).toBe(0); // a string
    const badType = Buffer.from(rdb);
    badType[typeAt + 1] = 0xc5;
    const s1 = await stub(replicaScript(sendRdb(`$${rdb.length}\r\n`, '', { body: badType })));
    const collected = collecting();
    const failure = (await transfer(s1, collected).catch((e: unknown) => e)) as RedisFailure;
    expect(failure).toMatchObject({ kind: 'protocol', message: expect.stringMatching(/sent an RDB keyheat cannot read: .*\(at byte \d+\)/) });
    expect(Number(/at byte (\d+)/.exec(failure.message)?.[1])).toBe(typeAt);

    // Flipped bytes inside a string value: only the CRC-64 at the end can tell.
    const valueAt = rdb.indexOf(Buffer.from('Z'.repeat(64))) + 1000;
    const flipped = Buffer.from(rdb);
    for (let i = valueAt; i < valueAt + 8; i++) flipped[i] = (flipped[i] as number) ^ 0xff;
    const s2 = await stub(replicaScript(sendRdb(`$EOF:${MARK}\r\n`, MARK, { body: flipped })));
    const flippedFailure = (await transfer(s2, collecting()).catch((e: unknown) => e)) as RedisFailure;
    expect(flippedFailure).toMatchObject({ kind: 'protocol', message: expect.stringMatching(/checksum.*\(at byte \d+\)/i) });
    const at = Number(/at byte (\d+)/.exec(flippedFailure.message)?.[1]);
    expect(at).toBeGreaterThan(valueAt);
    expect(at).toBeLessThanOrEqual(rdb.length);
  });

  it('stops at once when its signal aborts in the middle of the RDB', async () => {
    const s = await stub(replicaScript(sendRdb(`$${rdb.length}\r\n`, '', { size: 256, everyMs: 20 })));
    const controller = new AbortController();
    const reason = new RedisFailure('cancelled', '', 'task deleted');
    const running = transfer(s, collecting(), { signal: controller.signal });
    running.catch(() => undefined);
    await new Promise((r) => setTimeout(r, 300));
    const abortedAt = performance.now();
    controller.abort(reason);
    await expect(running).rejects.toBe(reason);
    expect(performance.now() - abortedAt).toBeLessThan(1000);
    await until(() => s.stats.open === 0, 'the transfer connection to close');
  });
});

describe('the snapshot engine against scripted servers', () => {
  it('analyses an older server\u2019s plain SYNC: the hot keys of the RDB with the counters its server had', async () => {
    const s = await stub(nodeScript(sendRdb(`\n\n$${rdb.length}\r\n`, REPLICATION_STREAM), true));
    const result = await analyzeDeployment({ endpoint: endpointOf(s) }, { strategy: 'snapshot', topK: 1000 });
    const hot = [...written].filter(([, k]) => k.freq > 5);
    expect(hot.length).toBe(5);
    expect(new Map(result.keys.map((k) => [`${k.db}:${k.name}`, { type: k.type, freq: k.freq }]))).toEqual(new Map(hot));
    expect(result.keys.map((k) => k.freq)).toEqual([...result.keys.map((k) => k.freq)].sort((a, b) => b - a));
    expect(result.stats.scannedKeys).toBe(written.size);
    expect(result.insights.snapshot?.nodes).toEqual([
      expect.objectContaining({ node: `${s.host}:${s.port}`, role: 'primary', protocol: 'sync', rdbBytes: rdb.length, rdbVersion: 10, keys: written.size, expiredKeys: 0, forkUsec: null }),
    ]);
    // Nothing per key: no SCAN, no OBJECT, no TYPE.
    expect(s.commands.filter((c) => ['SCAN', 'OBJECT', 'TYPE', 'GET'].includes(c[0] as string))).toEqual([]);
    await until(() => s.stats.open === 0, 'every connection to close');
  });

  it('reports no keys when the node closes the connection in the middle of the RDB', async () => {
    const s = await stub(nodeScript(sendRdb(`$EOF:${MARK}\r\n`, '', { cutAt: Math.floor(rdb.length * 0.7) })));
    await expect(analyzeDeployment({ endpoint: endpointOf(s) }, { strategy: 'snapshot' })).rejects.toMatchObject({ kind: 'unreachable' });
  });

  it('reports a SYNC refused by an ACL as no-permission', async () => {
    const s = await stub(nodeScript("-NOPERM this user has no permissions to run the 'sync' command\r\n"));
    await expect(analyzeDeployment({ endpoint: endpointOf(s) }, { strategy: 'snapshot' })).rejects.toMatchObject({ kind: 'no-permission', message: expect.stringMatching(/\+sync/) });
  });

  it('is cancelled within 2 s while the RDB trickles in', async () => {
    const s = await stub(nodeScript(sendRdb(`$${rdb.length}\r\n`, '', { size: 64, everyMs: 20 })));
    const controller = new AbortController();
    const reason = new RedisFailure('cancelled', '', 'task deleted');
    const running = analyzeDeployment({ endpoint: endpointOf(s) }, { strategy: 'snapshot', signal: controller.signal });
    running.catch(() => undefined);
    await until(() => s.commands.some((c) => c[0] === 'SYNC'), 'SYNC', 5000);
    await new Promise((r) => setTimeout(r, 300));
    const abortedAt = performance.now();
    controller.abort(reason);
    await expect(running).rejects.toBe(reason);
    expect(performance.now() - abortedAt).toBeLessThan(2000);
    await until(() => s.stats.open === 0, 'every connection to close');
  });

  it('fails with a timeout when nothing comes after SYNC for snapshotStallMs', async () => {
    const s = await stub(nodeScript(null));
    const started = performance.now();
    await expect(analyzeDeployment({ endpoint: endpointOf(s) }, { strategy: 'snapshot', snapshotStallMs: 1000 })).rejects.toMatchObject({
      kind: 'timeout',
      message: expect.stringMatching(/sent nothing for 1000 ms while its RDB was being prepared \(not even a keepalive\)/),
    });
    expect(performance.now() - started).toBeLessThan(3000);
    expect(s.commands.some((c) => c[0] === 'SYNC')).toBe(true);
  });

  it('fails with a limit failure for a key name over redis.max_bulk_bytes', async () => {
    const s = await stub(nodeScript(sendRdb(`$${rdb.length}\r\n`, '')));
    await expect(analyzeDeployment({ endpoint: endpointOf(s) }, { strategy: 'snapshot', redis: redisAccess({ maxBulkBytes: 1024 }) })).rejects.toMatchObject({
      kind: 'limit',
      message: expect.stringMatching(/\(at byte \d+\)/),
    });
    // With the default limits the same RDB is read whole.
    const again = await stub(nodeScript(sendRdb(`$${rdb.length}\r\n`, '')));
    expect((await analyzeDeployment({ endpoint: endpointOf(again) }, { strategy: 'snapshot' })).stats.scannedKeys).toBe(written.size);
  });

  it('refuses a node that does not report its memory unless the memory check is off', async () => {
    const silentMemory = infoText({ db0: 'keys=509,expires=0,avg_ttl=0', db3: 'keys=1,expires=0,avg_ttl=0' });
    const script = (): Script => redisLike((command, context) => (command[0] === 'ACL' || command[0] === 'COMMAND' ? '-ERR unknown subcommand\r\n' : replicaScript(sendRdb(`$${rdb.length}\r\n`, ''))(command, context)), silentMemory);
    const refused = await stub(script());
    await expect(analyzeDeployment({ endpoint: endpointOf(refused) }, { strategy: 'snapshot' })).rejects.toMatchObject({ kind: 'unsupported', message: expect.stringMatching(/does not report its memory.*max_memory_share: 0/) });
    expect(refused.commands.some((c) => c[0] === 'SYNC' || c[0] === 'REPLCONF')).toBe(false);
    const allowed = await stub(script());
    const result = await analyzeDeployment({ endpoint: endpointOf(allowed) }, { strategy: 'snapshot', snapshotMaxMemoryShare: 0 });
    expect(result.stats.scannedKeys).toBe(written.size);
  });

  it('is bounded by maxDurationMs when the node sends keepalives forever', async () => {
    const s = await stub(nodeScript((socket) => {
      const timer = setInterval(() => (socket.destroyed ? clearInterval(timer) : socket.write('\n')), 200);
      timer.unref();
    }));
    const started = performance.now();
    await expect(analyzeDeployment({ endpoint: endpointOf(s) }, { strategy: 'snapshot', snapshotStallMs: 1000, maxDurationMs: 2000 })).rejects.toMatchObject({ kind: 'deadline' });
    const took = performance.now() - started;
    expect(took).toBeGreaterThan(1900); // the keepalives kept the stall timer off
    expect(took).toBeLessThan(4000);
    await until(() => s.stats.open === 0, 'every connection to close');
  });

  it('fails snapshotMaxWaitMs after SYNC when the node sends keepalives but never its RDB', async () => {
    const s = await stub(nodeScript((socket) => {
      const timer = setInterval(() => (socket.destroyed ? clearInterval(timer) : socket.write('\n')), 100);
      timer.unref();
    }));
    const started = performance.now();
    await expect(analyzeDeployment({ endpoint: endpointOf(s) }, { strategy: 'snapshot', snapshotStallMs: 1000, snapshotMaxWaitMs: 1500 })).rejects.toMatchObject({
      kind: 'timeout',
      message: expect.stringMatching(/had not begun sending its RDB 1500 ms after SYNC \(snapshot.max_wait_ms\); keepalives alone do not count/),
    });
    const took = performance.now() - started;
    expect(took).toBeGreaterThan(1400);
    expect(took).toBeLessThan(3500);
    await until(() => s.stats.open === 0, 'every connection to close');
  });

  it('fails as a protocol failure with the byte offset for corrupt bytes in the middle of the RDB', async () => {
    const flipped = Buffer.from(rdb);
    // Inside the 40,000-byte value, wherever the dump put it: what the bytes are does not depend on the
    // key order, which varies between runs (structure bytes flipped could read as a type from a newer Redis).
    const middle = rdb.indexOf(Buffer.from('Z'.repeat(64))) + 20_000;
    for (let i = middle; i < middle + 16; i++) flipped[i] = (flipped[i] as number) ^ 0x5a;
    const s = await stub(nodeScript(sendRdb(`$${rdb.length}\r\n`, '', { body: flipped })));
    const failure = (await analyzeDeployment({ endpoint: endpointOf(s) }, { strategy: 'snapshot' }).catch((e: unknown) => e)) as RedisFailure;
    expect(failure).toBeInstanceOf(RedisFailure);
    expect(failure.kind).toBe('protocol');
    const at = Number(/\(at byte (\d+)\)/.exec(failure.message)?.[1]);
    expect(at).toBeGreaterThanOrEqual(0);
    expect(at).toBeLessThanOrEqual(rdb.length);
  });
});
