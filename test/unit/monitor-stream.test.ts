/**
 * MONITOR lines as Redis writes them (sdscatrepr quoting), and as a hostile server might: lines
 * cut anywhere by chunk boundaries, lines far longer than any key, garbage, a refusal.
 */
import type { Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import { LINE_KEEP_BYTES, MonitorStream, parseMonitorLine, type MonitoredCommand } from '../../src/redis/monitor-stream.js';
import { RespConnection } from '../../src/redis/resp-connection.js';
import { RedisFailure } from '../../src/domain/redis-failure.js';
import { redisAccess } from '../../src/redis/redis-access.js';
import { redisLike, startStub } from '../helpers/resp-stub.js';

const line = (text: string): Buffer => Buffer.from(text, 'latin1');

describe('parseMonitorLine', () => {
  it('reads time, database, client and every argument', () => {
    const parsed = parseMonitorLine(line('+1700000000.123456 [3 10.0.0.7:52114] "get" "user:1"'));
    expect(parsed).toMatchObject({ time: 1700000000.123456, db: 3, client: '10.0.0.7:52114', truncated: false });
    expect(parsed?.args.map(String)).toEqual(['get', 'user:1']);
  });

  it('undoes sdscatrepr escapes into the exact bytes', () => {
    const parsed = parseMonitorLine(line('+1.0 [0 127.0.0.1:1] "set" "a\\"b\\\\c\\n\\r\\t\\a\\b\\xff\\x00" "v"'));
    expect(parsed?.args[1]).toEqual(Buffer.from([0x61, 0x22, 0x62, 0x5c, 0x63, 0x0a, 0x0d, 0x09, 0x07, 0x08, 0xff, 0x00]));
    expect(String(parsed?.args[2])).toBe('v');
  });

  it('knows script, unix socket and IPv6 clients', () => {
    expect(parseMonitorLine(line('+1.5 [0 lua] "get" "k"'))?.client).toBe('lua');
    expect(parseMonitorLine(line('+1.5 [1 unix:/run/redis.sock] "get" "k"'))?.client).toBe('unix:/run/redis.sock');
    expect(parseMonitorLine(line('+1.5 [0 [::1]:6379] "get" "k"'))?.client).toBe('[::1]:6379');
  });

  it('keeps the complete arguments of a cut line and drops the cut one', () => {
    const parsed = parseMonitorLine(line('+1.5 [0 1.2.3.4:5] "set" "key" "a very long val'), true);
    expect(parsed?.args.map(String)).toEqual(['set', 'key']);
    expect(parsed?.truncated).toBe(true);
  });

  it('refuses what is not a MONITOR line', () => {
    for (const text of ['', '+OK', '-ERR x', '+abc [0 a] "get"', '+1.0 [x 1.2.3.4:5] "get"', '+1.0 [0 1.2.3.4:5]', '+1.0 [0 1.2.3.4:5] "get" "unterminated', '+1.0 [0 1.2.3.4:5] get k']) {
      expect(parseMonitorLine(line(text)), text).toBeNull();
    }
  });
});

describe('MonitorStream', () => {
  interface Session {
    readonly commands: MonitoredCommand[];
    malformed(): number;
    wait(): Promise<void>;
    close(): void;
  }

  async function monitorWith(stream: (socket: Socket) => void): Promise<Session> {
    const stub = await startStub(redisLike((command) => (command[0] === 'MONITOR' ? stream : undefined)));
    const connection = await RespConnection.connect({ host: stub.host, port: stub.port, tls: null, username: null, password: null }, redisAccess());
    const commands: MonitoredCommand[] = [];
    let malformed = 0;
    await MonitorStream.start(connection, { onCommand: (c) => commands.push(c), onMalformed: () => (malformed += 1) }, 2000);
    return {
      commands,
      malformed: () => malformed,
      wait: () => new Promise((r) => setTimeout(r, 200)),
      close: () => {
        connection.close();
        void stub.close();
      },
    };
  }

  it('reassembles lines cut at every byte', async () => {
    const text = '+OK\r\n+1.000001 [0 127.0.0.1:1] "get" "a"\r\n+1.000002 [0 127.0.0.1:1] "mget" "b" "c\\xff"\r\n';
    const session = await monitorWith((socket) => {
      for (const byte of Buffer.from(text, 'latin1')) socket.write(Buffer.from([byte]));
    });
    await session.wait();
    expect(session.commands.map((c) => c.args.map((a) => a.toString('latin1')))).toEqual([['get', 'a'], ['mget', 'b', 'c\xff']]);
    session.close();
  });

  it('keeps at most LINE_KEEP_BYTES of a line, whatever its length, and goes on with the next', async () => {
    const huge = 'x'.repeat(8 * 1024 * 1024);
    const session = await monitorWith((socket) => {
      socket.write('+OK\r\n');
      socket.write(`+2.0 [0 127.0.0.1:1] "set" "big:key" "${huge}"\r\n+2.1 [0 127.0.0.1:1] "get" "after"\r\n`);
    });
    await new Promise((r) => setTimeout(r, 500));
    expect(session.commands).toHaveLength(2);
    expect(session.commands[0]).toMatchObject({ truncated: true });
    expect(session.commands[0]!.args.map(String)).toEqual(['set', 'big:key']);
    const kept = session.commands[0]!.args.reduce((n, a) => n + a.length, 0);
    expect(kept).toBeLessThanOrEqual(LINE_KEEP_BYTES);
    expect(session.commands[1]!.args.map(String)).toEqual(['get', 'after']);
    session.close();
  });

  it('counts garbage as malformed and trusts none of it', async () => {
    const session = await monitorWith((socket) => {
      socket.write('+OK\r\n$5\r\nhello\r\n*2\r\n+1.0 [0 a:1] "get" "ok"\r\n');
    });
    await session.wait();
    expect(session.commands.map((c) => String(c.args[1]))).toEqual(['ok']);
    expect(session.malformed()).toBe(3);
    session.close();
  });

  it('fails with how to allow MONITOR when the server refuses it', async () => {
    const stub = await startStub(redisLike((command) => (command[0] === 'MONITOR' ? "-NOPERM this user has no permissions to run the 'monitor' command\r\n" : undefined)));
    const connection = await RespConnection.connect({ host: stub.host, port: stub.port, tls: null, username: null, password: null }, redisAccess());
    try {
      const failure = await MonitorStream.start(connection, { onCommand: () => undefined, onMalformed: () => undefined }, 2000).catch((e: unknown) => e);
      expect(failure).toBeInstanceOf(RedisFailure);
      expect((failure as RedisFailure).kind).toBe('no-permission');
      expect((failure as RedisFailure).message).toMatch(/refused MONITOR.*ACL SETUSER <user> \+monitor/);
      expect(connection.isOpen).toBe(false);
    } finally {
      await stub.close();
    }
  });
});
