/**
 * keyheat against Redis servers that misbehave: every byte a server sends is a stranger's
 * input. Each case must end in a clear failure within its deadline, with the service still
 * answering and memory bounded. The servers are scripted stubs on loopback (resp-stub.ts).
 * The store is SQLite only: nothing here is about storage.
 */
import type { Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { ADMIN, OTHER, P1, P2, startHarness, type Harness } from '../helpers/keyheat-harness.js';
import { runKeyheatToEnd } from '../helpers/keyheat-process.js';
import { freePort } from '../helpers/redis-server.js';
import { bulk, endless, infoText, redisLike, startStub, trickle, type Script, type Stub } from '../helpers/resp-stub.js';

const SECRET = 'Sup3r-Secret-Passw0rd';

let harness: Harness | null = null;
const stubs: Stub[] = [];

async function stub(script: Script, options?: Parameters<typeof startStub>[1]): Promise<Stub> {
  const started = await startStub(script, options);
  stubs.push(started);
  return started;
}

async function service(config: Record<string, unknown> = {}, logLines?: string[]): Promise<Harness> {
  harness = await startHarness({
    config: { analysis: { connect_timeout_ms: 1000, command_timeout_ms: 1000 }, ...config },
    ...(logLines === undefined ? {} : { logLines }),
  });
  return harness;
}

afterEach(async () => {
  await harness?.close({ removeData: true });
  harness = null;
  await Promise.all(stubs.splice(0).map((s) => s.close()));
});

async function register(h: Harness, url: string, extra: Record<string, unknown> = {}, token = ADMIN, project = P1) {
  const started = performance.now();
  const response = await h.request('POST', `/v2/${project}/instances`, { body: { name: 'hostile', url, ...extra }, token });
  return { ...response, ms: performance.now() - started };
}

async function stillServing(h: Harness): Promise<void> {
  expect((await h.keyheat.http.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(200);
  expect((await h.request('GET', `/v2/${P1}/instances`)).status).toBe(200);
}

function memoryInUse(): number {
  const usage = process.memoryUsage();
  return usage.heapUsed + usage.external + usage.arrayBuffers;
}

/** Waits until `check` holds, polling, for at most `ms`. */
async function eventually(check: () => boolean | Promise<boolean>, ms = 2000): Promise<void> {
  const deadline = performance.now() + ms;
  while (!(await check())) {
    if (performance.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('replies that break the protocol or its limits', () => {
  it.each([
    ['an endless array nesting', () => endless('*2\r\n'), /arrays nested more than redis\.max_depth \(16\) deep/],
    ['a deep but finite nesting', () => `${'*1\r\n'.repeat(1000)}:1\r\n`, /redis\.max_depth/],
    ['a 2 GB bulk string', () => (socket: Socket) => socket.write(`$2000000000\r\n${'x'.repeat(65_536)}`), /2000000000 bytes exceeds redis\.max_bulk_bytes/],
    // Protocol breaches at registration are told apart from nothing (a registration is no port scanner).
    ['a length with a letter in it', () => '$1a\r\nx\r\n', /cannot reach Redis: no Redis answered at 127\.0\.0\.1:\d+ \(nothing listening, no answer in time, or not a Redis\)/],
    ['an integer where INFO must be text', () => ':42\r\n', /cannot reach Redis: no Redis answered at 127\.0\.0\.1:\d+/],
  ])('refuses %s at registration with a clear 400, and keeps serving', async (_what, answer, reason) => {
    const h = await service();
    const s = await stub(redisLike((c) => (c[0] === 'INFO' ? answer() : undefined)));
    const before = memoryInUse();
    const response = await register(h, s.url);
    expect(response.status).toBe(400);
    expect(response.body).toMatchObject({ error_code: 'DCS.4800', error_msg: 'Invalid url in the request.' });
    expect(response.body['error_ext_msg']).toMatch(reason);
    expect(response.body['error_ext_msg']).toContain(`127.0.0.1:${s.port}`);
    expect(response.ms).toBeLessThan(3000);
    expect(memoryInUse() - before).toBeLessThan(64 * 1024 * 1024);
    await stillServing(h);
  });

  it('stops an endless flat array at redis.max_reply_bytes, memory bounded by it', async () => {
    const h = await service({ redis: { max_reply_bytes: 1024 * 1024 } });
    const element = bulk('v'.repeat(100));
    const s = await stub(redisLike((c) => (c[0] === 'INFO' ? (socket) => {
      socket.write('*1000000\r\n');
      endless(element)(socket);
    } : undefined)));
    const before = memoryInUse();
    const response = await register(h, s.url);
    expect(response.status).toBe(400);
    expect(response.body['error_ext_msg']).toMatch(/exceeds redis\.max_reply_bytes \(1048576\)/);
    expect(memoryInUse() - before).toBeLessThan(32 * 1024 * 1024);
    await stillServing(h);
  });

  it('fails a scan whose reply breaks the protocol, naming the node, through keyheat scan too', async () => {
    const s = await stub(redisLike((c) => (c[0] === 'SCAN' ? '*2\r\n$1\r\n0\r\n*1\r\n$3\r\nabcd\r\n' : undefined)));
    const run = await runKeyheatToEnd(['scan', s.url, '--timeout', '1000']);
    expect(run.code).toBe(1);
    expect(run.output).toMatch(new RegExp(`the server does not speak the Redis protocol as expected: 127\\.0\\.0\\.1:${s.port}: a bulk string is longer than its length says`));
  });
});

describe('what a registration tells', () => {
  it('answers alike for a closed port, a silent one and a service that is not Redis: it is no port scanner', async () => {
    const h = await service();
    const silent = await stub(() => null);
    const http = await stub(() => 'HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n');
    const closed = await freePort();
    const bodies = await Promise.all([closed, silent.port, http.port].map(async (port) => {
      const response = await register(h, `redis://127.0.0.1:${port}`);
      expect(response.status).toBe(400);
      return JSON.stringify(response.body).replace(String(port), 'PORT');
    }));
    expect(new Set(bodies).size).toBe(1);
    expect(JSON.parse(bodies[0] as string)).toEqual({
      error_code: 'DCS.4800',
      error_msg: 'Invalid url in the request.',
      error_ext_msg: 'cannot reach Redis: no Redis answered at 127.0.0.1:PORT (nothing listening, no answer in time, or not a Redis)',
    });
  });
});

describe('servers that are slow on purpose', () => {
  it('fails a trickled INFO at the command deadline, not when the bytes stop coming', async () => {
    const h = await service();
    // 200 bytes, one every 200 ms: 40 s in all, never 1 s without a byte.
    const s = await stub(redisLike((c) => (c[0] === 'INFO' ? trickle(bulk(infoText()), 200) : undefined)));
    const response = await register(h, s.url);
    expect(response.status).toBe(400);
    expect(response.body['error_ext_msg']).toMatch(/cannot reach Redis: no Redis answered at 127\.0\.0\.1:\d+/);
    expect(response.ms).toBeLessThan(3000);
  });

  it('fails a connection that stalls in AUTH at the connect deadline', async () => {
    const h = await service();
    const s = await stub(redisLike((c) => (c[0] === 'AUTH' ? null : undefined)));
    const response = await register(h, `redis://:${SECRET}@127.0.0.1:${s.port}`);
    expect(response.status).toBe(400);
    expect(response.body['error_ext_msg']).toMatch(/cannot reach Redis: no Redis answered at 127\.0\.0\.1:\d+/);
    expect(response.ms).toBeLessThan(3000);
    await eventually(() => s.stats.open === 0);
  });

  it('fails a task whose scan is trickled, within the command deadline', async () => {
    const h = await service();
    const s = await stub(redisLike((c) => (c[0] === 'SCAN' ? trickle('*2\r\n$1\r\n0\r\n*0\r\n', 300) : undefined)));
    const id = (await register(h, s.url)).body['instance_id'] as string;
    const started = performance.now();
    const created = await h.createTask(id);
    expect(created.status).toBe(200);
    const task = await h.waitForTask(id, created.body['id'] as string);
    expect(task['status']).toBe('failed');
    expect(task['error_msg']).toMatch(/Redis did not answer in time: 127\.0\.0\.1:\d+ did not answer within 1000 ms/);
    expect(performance.now() - started).toBeLessThan(4000);
  });

  it('stops a task stuck in AUTH within 2 s of DELETE, closing its connection, and frees the instance', async () => {
    const h = await service({ analysis: { connect_timeout_ms: 60_000, command_timeout_ms: 60_000 } });
    // Registration and the preflight authenticate; the analysis's connection then stalls in AUTH.
    const s = await stub(redisLike((c, { connection }) => (c[0] === 'AUTH' && connection === 2 ? null : undefined)));
    const id = (await register(h, `redis://:${SECRET}@127.0.0.1:${s.port}`)).body['instance_id'] as string;
    const created = await h.createTask(id);
    const taskId = created.body['id'] as string;
    await h.waitForTask(id, taskId, ['running']);
    await eventually(() => s.stats.accepted >= 3 && s.stats.open >= 1);
    const started = performance.now();
    const deleted = await h.request('DELETE', `/v2/${P1}/instances/${id}/hotkey-task/${taskId}`);
    expect(deleted.status).toBe(200);
    expect(performance.now() - started).toBeLessThan(2000);
    await eventually(() => s.stats.open === 0, 1000);
    expect((await h.request('GET', `/v2/${P1}/instances/${id}/hotkey-task/${taskId}`)).body['error_code']).toBe('DCS.4941');
    expect((await h.createTask(id)).status).toBe(200);
  });

  it('fails an analysis still running after analysis.max_duration_ms', async () => {
    const h = await service({ analysis: { connect_timeout_ms: 1000, command_timeout_ms: 5000, max_duration_ms: 1000 } });
    // A SCAN that never ends: cursor 1 and no keys, every 100 ms.
    const s = await stub(redisLike((c) => (c[0] === 'SCAN' ? (socket) => setTimeout(() => socket.write('*2\r\n$1\r\n1\r\n*0\r\n'), 100).unref() : undefined)));
    const id = (await register(h, s.url)).body['instance_id'] as string;
    const created = await h.createTask(id);
    const task = await h.waitForTask(id, created.body['id'] as string, ['success', 'failed'], 10_000);
    expect(task['status']).toBe('failed');
    expect(task['error_msg']).toMatch(/the analysis ran longer than allowed: .*still running after analysis\.max_duration_ms \(1 s\)/);
    await eventually(() => s.stats.open === 0);
  });

  it('runs at most runner.max_running_per_project analyses of one project, so others still get theirs', async () => {
    const h = await service({
      analysis: { connect_timeout_ms: 60_000, command_timeout_ms: 60_000 },
      runner: { concurrency: 4, max_running_per_project: 1, poll_interval_ms: 100, lease_ms: 3000 },
    });
    const stuck = () => stub(redisLike((c, { connection }) => (c[0] === 'AUTH' && connection === 2 ? null : undefined)));
    const [a, b] = [await stuck(), await stuck()];
    const fine = await stub(redisLike());
    const ida = (await register(h, `redis://:pw@127.0.0.1:${a.port}`)).body['instance_id'] as string;
    const idb = (await register(h, `redis://:pw@127.0.0.1:${b.port}`)).body['instance_id'] as string;
    const idc = (await register(h, fine.url, {}, OTHER, P2)).body['instance_id'] as string;
    const ta = (await h.createTask(ida)).body['id'] as string;
    await h.waitForTask(ida, ta, ['running']);
    const tb = (await h.createTask(idb)).body['id'] as string;
    const tc = await h.request('POST', `/v2/${P2}/instances/${idc}/hotkey-task`, { token: OTHER });
    await eventually(async () => {
      const task = await h.request('GET', `/v2/${P2}/instances/${idc}/hotkey-task/${tc.body['id'] as string}`, { token: OTHER });
      return task.body['status'] === 'success';
    }, 5000);
    expect((await h.request('GET', `/v2/${P1}/instances/${idb}/hotkey-task/${tb}`)).body['status']).toBe('waiting');
    await h.request('DELETE', `/v2/${P1}/instances/${ida}/hotkey-task/${ta}`);
    await h.waitForTask(idb, tb, ['running']);
  });
});

describe('where keyheat connects', () => {
  function clusterNodes(ports: readonly number[]): string {
    const per = Math.floor(16_384 / ports.length);
    return ports
      .map((port, i) => {
        const end = i === ports.length - 1 ? 16_383 : (i + 1) * per - 1;
        return `${String(i).padStart(40, '0')} 127.0.0.1:${port}@1 ${i === 0 ? 'myself,' : ''}master - 0 0 ${i + 1} connected ${i * per}-${end}`;
      })
      .join('\n');
  }

  /** One stub listening on `primaries` ports, each announced as a primary with its share of the slots; registered. */
  async function fakeCluster(h: Harness, primaries: number): Promise<{ s: Stub; id: string }> {
    let nodes = '';
    const s = await stub(
      redisLike((c) => (c[0] === 'CLUSTER' && c[1] === 'NODES' ? bulk(nodes) : undefined), infoText({ redis_mode: 'cluster' })),
      { listeners: primaries },
    );
    nodes = clusterNodes(s.ports);
    return { s, id: (await register(h, s.url)).body['instance_id'] as string };
  }

  it('scans 300 announced primaries without ever holding more than redis.max_connections connections', async () => {
    const h = await service();
    const { s, id } = await fakeCluster(h, 300);
    const created = await h.createTask(id);
    expect(created.status).toBe(200);
    const task = await h.waitForTask(id, created.body['id'] as string, ['success', 'failed'], 30_000);
    expect(task['status']).toBe('success');
    expect((task['analysis'] as Record<string, unknown>)['scanned_keys']).toBe(0);
    // Each primary was checked once and scanned on one connection, plus one shared connection.
    expect(s.stats.accepted).toBeLessThanOrEqual(1 + 1 + 300 + 2 * 300 + 2);
    // The stub shares keyheat's event loop, so it sees a closed connection go a little late:
    // its count runs above the pool's exact one (unit-tested at 32) by the closes in flight.
    expect(s.stats.maxOpen).toBeLessThanOrEqual(64);
  }, 60_000);

  it('refuses a cluster announcing more primaries than redis.max_cluster_primaries, contacting none of them', async () => {
    const h = await service({ redis: { max_cluster_primaries: 100 } });
    let nodes = '';
    const s = await stub(redisLike((c) => (c[0] === 'CLUSTER' && c[1] === 'NODES' ? bulk(nodes) : undefined), infoText({ redis_mode: 'cluster' })), { listeners: 300 });
    nodes = clusterNodes(s.ports);
    // Registration reads the topology (topology.ts), as every task does: refused at once.
    const response = await register(h, s.url);
    expect(response.status).toBe(400);
    expect(response.body).toMatchObject({ error_code: 'DCS.4800', error_msg: 'Invalid url in the request.' });
    expect(response.body['error_ext_msg']).toMatch(/announces 300 primaries, more than redis\.max_cluster_primaries \(100\)/);
    expect(s.stats.accepted).toBe(1); // the registered node only
  });

  it('never connects outside network.allow: not at registration, not for a redirect', async () => {
    const h = await service({ network: { allow: ['127.0.0.1/32'] } });
    const outside = await stub(redisLike(), { host: '127.0.0.2' });
    const denied = await register(h, outside.url);
    expect(denied.status).toBe(400);
    expect(denied.body).toMatchObject({ error_code: 'DCS.4800', error_msg: 'Invalid url in the request.' });
    expect(denied.body['error_ext_msg']).toMatch(/127\.0\.0\.2:\d+ is outside network\.allow \(127\.0\.0\.1\/32\)/);

    const s = await stub(
      redisLike((c) => {
        if (c[0] === 'CLUSTER' && c[1] === 'NODES') return bulk(`${'a'.repeat(40)} 127.0.0.1:${s.port}@1 myself,master - 0 0 1 connected 0-16383`);
        if (c[0] === 'SCAN') return '*2\r\n$1\r\n0\r\n*1\r\n$1\r\nk\r\n';
        if (c[0] === 'OBJECT') return `-MOVED 12539 127.0.0.2:${outside.port}\r\n`;
        return undefined;
      }, infoText({ redis_mode: 'cluster' })),
    );
    const id = (await register(h, s.url)).body['instance_id'] as string;
    const created = await h.createTask(id);
    const task = await h.waitForTask(id, created.body['id'] as string);
    expect(task['status']).toBe('failed');
    expect(task['error_msg']).toMatch(/keyheat may not connect there \(network\.allow\): 127\.0\.0\.2:\d+ is outside network\.allow/);
    expect(outside.stats.accepted).toBe(0);
  });
});

describe('secrets', () => {
  it('refuses CR, LF and NUL in a password before connecting anywhere', async () => {
    const h = await service();
    const s = await stub(redisLike());
    for (const password of ['a\r\nFLUSHALL', 'nul\u0000byte']) {
      const response = await register(h, s.url, { password });
      expect(response.status).toBe(400);
      expect(response.body).toMatchObject({ error_code: 'DCS.4800', error_msg: 'Invalid password in the request.' });
    }
    const inUrl = await register(h, `redis://:x%0d%0aFLUSHALL@127.0.0.1:${s.port}`);
    expect(inUrl.body['error_msg']).toBe('Invalid password in the request.');
    expect(s.stats.accepted).toBe(0);
  });

  it('never shows a password a server echoes: not in responses, logs, error_msg or CLI output', async () => {
    const lines: string[] = [];
    const h = await service({}, lines);
    const renamed = await stub(redisLike((c) => (c[0] === 'AUTH' ? `-ERR unknown command 'AUTH', with args beginning with: '${c[1] ?? ''}' \r\n` : undefined)));
    const registered = await register(h, `redis://:${SECRET}@127.0.0.1:${renamed.port}`);
    expect(registered.status).toBe(400);
    expect(registered.body['error_msg']).toBe('Invalid password in the request.');
    expect(registered.body['error_ext_msg']).toMatch(/does not accept AUTH \(the command is renamed or disabled\)/);

    const echoed = Buffer.from(`-ERR no scan for you ${SECRET} \x1b[2J\u202etxt\r\n`, 'utf8');
    const echo = await stub(redisLike((c) => (c[0] === 'SCAN' ? echoed : undefined)));
    const id = (await register(h, `redis://:${SECRET}@127.0.0.1:${echo.port}`)).body['instance_id'] as string;
    const created = await h.createTask(id);
    const task = await h.waitForTask(id, created.body['id'] as string);
    expect(task['status']).toBe('failed');
    expect(task['error_msg']).toMatch(/Redis answered with an error: 127\.0\.0\.1:\d+ answered: ERR no scan for you \*\*\* \\x1b\[2J\\u202etxt/);
    const shown = await h.request('GET', `/v2/${P1}/instances/${id}/hotkey-task/${created.body['id'] as string}`);

    const cli = await runKeyheatToEnd(['scan', `redis://127.0.0.1:${echo.port}`, '--timeout', '1000'], { env: { KEYHEAT_REDIS_PASSWORD: SECRET } });
    expect(cli.code).toBe(1);
    for (const text of [registered.text, shown.text, String(task['error_msg']), cli.output, ...lines]) {
      expect(text).not.toContain(SECRET);
      expect(text).not.toContain('\u202e');
      expect(text).not.toContain('\x1b');
      expect(text).not.toContain('\\u001b'); // JSON's form of a raw ESC
    }
    expect(lines.length).toBeGreaterThan(0);
  });
});
