/**
 * A seeded fuzz of the HTTP API: random methods, paths with odd percent-encodings, query
 * strings, headers and bodies (through inject), then malformed raw requests through a real
 * socket. Whatever arrives, the answer is never a 5xx, and every error is the DCS envelope with
 * an X-Request-Id. The seed is fixed: a failure names the request, and rerunning reproduces it.
 */
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN, OTHER, P1, P2, READONLY, startHarness, type Harness } from '../helpers/keyheat-harness.js';
import { rawRequest } from '../helpers/raw-http.js';
import { startRedis, type RedisServer } from '../helpers/redis-server.js';
import { seededRandom } from '../helpers/seeded-random.js';
import { STORES } from '../helpers/stores.js';

const SEED = 0x6b657968;
/** Per store; the whole file stays around 20 s on a loaded 2-core machine. */
const INJECT_BUDGET_MS = 7000;
const RAW_REQUESTS = 40;


class Fuzz {
  constructor(readonly random: () => number) {}
  int(n: number): number {
    return Math.floor(this.random() * n);
  }
  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)] as T;
  }
  chance(p: number): boolean {
    return this.random() < p;
  }
}

const METHODS = ['GET', 'GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'HEAD', 'OPTIONS'] as const;
const ODD = ['%', '%f', '%ff', '%fe%ff', '%c0%af', '%00', '%2e%2e', '..', '%2F', '%u0041', '%e2%80%ae', '%ZZ', '%25', '~', ';a=b', '%0d%0a', '%20', '+', 'é', '*'];
const QUERY_KEYS = ['offset', 'limit', 'status', 'x', '', '%ff', 'offset[]', '__proto__', 'constructor'];
const QUERY_VALUES = ['0', '1', '-1', '10', '1000', '1001', '1e300', '9223372036854775808', 'Infinity', '-Infinity', 'NaN', '0x10', '1.5', '', '%ff', 'success', 'waiting', 'x'.repeat(300), '[]', '{}', 'true', ' 1'];
const CONTENT_TYPES = ['application/json', 'application/json; charset=utf-8', 'application/json; charset=utf-16', 'text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/octet-stream', '*/*', 'application/jsonx', ';;;'];

function expectEnvelope(label: string, status: number, headers: Record<string, unknown>, body: string, method: string): void {
  expect(status, label).toBeLessThan(500);
  if (status < 400) return;
  expect(headers['x-request-id'], `${label}: X-Request-Id`).toMatch(/^[A-Za-z0-9._:-]{1,128}$/);
  if (method === 'HEAD') return;
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    expect.fail(`${label}: not JSON: ${body.slice(0, 200)}`);
  }
  const keys = Object.keys(parsed as object).sort();
  expect(keys.filter((key) => key !== 'request_id'), `${label}: ${body.slice(0, 200)}`).toEqual(['error_code', 'error_ext_msg', 'error_msg']);
  expect((parsed as { error_code: unknown }).error_code, label).toMatch(/^(DCS|APIG)\.\d{4}$/);
}

describe.each(STORES)('HTTP fuzz (%s)', (store) => {
  let redis: RedisServer;
  let harness: Harness;
  let instanceId: string;
  let port: number;

  beforeAll(async () => {
    redis = await startRedis();
    harness = await startHarness({ store, start: false, config: { server: { request_timeout_ms: 1000 } } });
    instanceId = await harness.registerInstance(redis.url, 'fuzz');
    await harness.keyheat.http.listen({ host: '127.0.0.1', port: 0 });
    port = (harness.keyheat.http.server.address() as AddressInfo).port;
  });
  afterAll(async () => {
    await harness?.close({ removeData: true });
    await redis?.stop();
  });

  function segment(f: Fuzz): string {
    return f.pick<() => string>([
      () => f.pick(['v2', 'v3', '', 'instances', 'hotkey-task', 'hotkey-tasks', 'hotkey', 'autoscan', 'bigkey-tasks', 'docs', 'openapi.json', 'metrics', 'readyz', 'healthz', 'assets', 'index.html']),
      () => f.pick([P1, P2, instanceId, 'a'.repeat(f.pick([64, 65, 101, 300])), '0', '-', '_']),
      () => f.pick(ODD),
      () => `${f.pick([P1, instanceId, 'x'])}${f.pick(ODD)}`,
    ])();
  }

  function path(f: Fuzz): string {
    const known = [
      `/v2/${P1}/instances`,
      `/v2/${P1}/instances/${instanceId}`,
      `/v2/${P1}/instances/${instanceId}/hotkey-task`,
      `/v2/${P1}/instances/${instanceId}/hotkey-tasks`,
      `/v2/${P1}/instances/${instanceId}/hotkey-task/${'0'.repeat(8)}`,
      `/v2/${P1}/instances/${instanceId}/hotkey/autoscan`,
      `/v2/${P2}/instances/${instanceId}`,
    ];
    if (f.chance(0.5)) {
      const base = f.pick(known);
      return f.chance(0.5) ? base : `${base}${f.pick(['/', '//', '/' + segment(f), segment(f)])}`;
    }
    const parts = Array.from({ length: 1 + f.int(6) }, () => segment(f));
    return `/${parts.join(f.chance(0.9) ? '/' : '//')}`;
  }

  function query(f: Fuzz): string {
    if (f.chance(0.4)) return '';
    const pairs = Array.from({ length: 1 + f.int(4) }, () => `${f.pick(QUERY_KEYS)}${f.chance(0.9) ? '=' + f.pick(QUERY_VALUES) : ''}`);
    return `?${pairs.join(f.chance(0.9) ? '&' : '&&')}`;
  }

  function body(f: Fuzz): string | undefined {
    return f.pick<() => string | undefined>([
      () => undefined,
      () => '',
      () => JSON.stringify({ name: f.pick(['fuzz', '', 'x'.repeat(300)]), url: f.pick([redis.url, 'redis://127.0.0.1:1', 'http://x', 'redis://%ff', '']) }),
      () => JSON.stringify({ enable_auto_scan: f.pick([true, false, 'yes', null]), schedule_at: f.pick([['02:00'], ['24:00'], [], 'x', Array.from({ length: 50 }, () => '01:00')]) }),
      () => JSON.stringify({ max_cpu_share: f.pick([0, 0.5, 1, 2, 1e300, -1, 'x']), batch_size: f.pick([1, 1e9, -5]) }),
      () => f.pick(['{', '[', 'null', '"x"', '1', 'true', '{"a":', '\u0000', '{"__proto__":{"x":1}}', '{"constructor":{"prototype":{}}}']),
      () => '['.repeat(f.pick([10, 1000, 10_000])) + ']'.repeat(f.pick([0, 10])),
      () => 'z'.repeat(f.pick([100, 70 * 1024])),
    ])();
  }

  function headers(f: Fuzz, payload: string | undefined): Record<string, string> {
    const out: Record<string, string> = {};
    const token = f.pick([ADMIN, ADMIN, READONLY, OTHER, '', 'x', 'x'.repeat(5000), undefined]);
    if (token !== undefined) out['x-auth-token'] = token;
    if (f.chance(0.15)) {
      out['authorization'] = f.pick([
        'SDK-HMAC-SHA256',
        'SDK-HMAC-SHA256 ',
        'SDK-HMAC-SHA256 Access=ak, SignedHeaders=host;x-sdk-date, Signature=00',
        'SDK-HMAC-SHA256 Access=%ff, SignedHeaders=, Signature=',
        'Bearer x',
        'Basic Og==',
      ]);
      if (f.chance(0.5)) out['x-sdk-date'] = f.pick(['20260101T000000Z', 'x', '99999999T999999Z', '']);
    }
    if (payload !== undefined || f.chance(0.2)) out['content-type'] = f.pick(CONTENT_TYPES);
    if (f.chance(0.3)) out['x-request-id'] = f.pick(['fuzz-1', 'x'.repeat(200), 'bad id', '', '%ff']);
    if (f.chance(0.1)) out['content-encoding'] = f.pick(['gzip', 'br', 'identity']);
    if (f.chance(0.1)) out['accept'] = f.pick(['text/html', 'application/xml', '*/*']);
    return out;
  }

  it('never answers 5xx, and every error is the envelope with an X-Request-Id (inject)', async () => {
    const f = new Fuzz(seededRandom(SEED));
    const started = Date.now();
    let count = 0;
    while (Date.now() - started < INJECT_BUDGET_MS) {
      const method = f.pick(METHODS);
      const url = path(f) + query(f);
      const payload = method === 'GET' || method === 'HEAD' ? (f.chance(0.1) ? body(f) : undefined) : body(f);
      const requestHeaders = headers(f, payload);
      const label = `#${count} ${method} ${url} ${JSON.stringify(requestHeaders).slice(0, 300)} body=${JSON.stringify(payload?.slice(0, 100))}`;
      const response = await harness.keyheat.http.inject({ method, url, headers: requestHeaders, ...(payload === undefined ? {} : { payload }) });
      expectEnvelope(label, response.statusCode, response.headers, response.body, method);
      count += 1;
    }
    expect(count).toBeGreaterThan(100);
  });

  it('never answers 5xx to malformed raw requests, and every answer to one is the envelope', async () => {
    const f = new Fuzz(seededRandom(SEED ^ 0x5eed));
    const requests = Array.from({ length: RAW_REQUESTS }, () => rawGarbage(f));
    // In batches: each may wait for the 1 s request timeout.
    for (let i = 0; i < requests.length; i += 10) {
      const batch = requests.slice(i, i + 10);
      const responses = await Promise.all(batch.map((parts) => rawRequest(port, { parts, deadlineMs: 4000 })));
      responses.forEach((response, j) => {
        const label = `raw #${i + j}: ${JSON.stringify(batch[j]).slice(0, 300)}`;
        expect(response.closed || response.status !== 0, `${label}: no answer and not closed`).toBe(true);
        if (response.status !== 0) expectEnvelope(label, response.status, response.headers, response.body, 'GET');
      });
    }
  });

  /** Mostly well-formed HTTP/1.1 with one or two things wrong, so most reach Fastify; some are plain garbage. */
  function rawGarbage(f: Fuzz): string[] {
    const odd = (p: number) => f.chance(p);
    const method = odd(0.2) ? f.pick(['G ET', 'get', '\x00', 'CONNECT', 'PRI', 'X'.repeat(40)]) : f.pick(['GET', 'POST', 'PUT', 'DELETE']);
    const target = odd(0.2)
      ? f.pick(['*', 'http://evil/', '/\x7f', '/a b', '', '/%'])
      : `${f.pick([`/v2/${P1}/instances`, `/v2/${P1}/instances/%ff%fe`, `/v2/${P1}/instances/${instanceId}/hotkey-tasks`, `/v2/${P1}/instances/${instanceId}/hotkey/autoscan`])}${f.pick(['', '?offset=1e300', '?limit=%ff', '?offset=1&offset=2'])}`;
    const version = odd(0.15) ? f.pick(['HTTP/2.0', 'HTTP/9', 'HTTP/1.1 x', '']) : f.pick(['HTTP/1.1', 'HTTP/1.0']);
    const eol = odd(0.1) ? f.pick(['\n', '\r']) : '\r\n';
    const lines = [`${method} ${target} ${version}`, 'Host: 127.0.0.1', `X-Auth-Token: ${ADMIN}`, 'Connection: close'];
    const payload = f.pick(['', '{"enable_auto_scan":true,"schedule_at":["01:00"]}', '{"a":', 'x'.repeat(200)]);
    const framing = odd(0.5) ? [`Content-Length: ${payload.length}`] : f.pick<string[]>([
      [`Content-Length: ${payload.length + 5}`],
      [`Content-Length: ${payload.length}`, `Content-Length: ${payload.length + 1}`],
      ['Content-Length: -1'],
      ['Content-Length: 99999999999999999999'],
      ['Transfer-Encoding: chunked'],
      ['Transfer-Encoding: gzip, chunked'],
      ['Transfer-Encoding: chunked', `Content-Length: ${payload.length}`],
    ]);
    const chunked = framing.some((line) => line.startsWith('Transfer-Encoding')) ? `${payload.length.toString(16)}\r\n${payload}\r\n${f.pick(['0\r\n\r\n', 'zz\r\n', ''])}` : payload;
    const extra = odd(0.3) ? f.pick([['Bad Header: x'], [': empty name'], ['X-Nul: a\x00b'], ['X-Folded: a', ' continued'], ['Content-Type: text/plain'], [`X-Request-Id: ${'r'.repeat(f.pick([10, 200]))}`]]) : ['Content-Type: application/json'];
    return [[...lines, ...framing, ...extra, '', ''].join(eol) + chunked];
  }
});
