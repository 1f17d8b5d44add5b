/**
 * Every error a hostile or broken client can provoke is the DCS envelope with an X-Request-Id:
 * Fastify's router errors, body limits, Node's parser errors and the request timeout (a body
 * sent slowly is cut off). Query numbers are bounded.
 */
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN, P1, startHarness, type Harness } from '../helpers/keyheat-harness.js';
import { rawRequest, type RawResponse } from '../helpers/raw-http.js';
import { STORES } from '../helpers/stores.js';

const ENVELOPE_KEYS = ['error_code', 'error_ext_msg', 'error_msg'];

function expectEnvelope(response: { status: number; headers: Record<string, unknown>; body: string }, status: number, errorCode?: string): Record<string, unknown> {
  expect(response.status, response.body).toBe(status);
  expect(response.headers['x-request-id']).toMatch(/^[A-Za-z0-9._:-]{1,128}$/);
  const body = JSON.parse(response.body) as Record<string, unknown>;
  expect(Object.keys(body).sort()).toEqual(ENVELOPE_KEYS);
  if (errorCode !== undefined) expect(body['error_code']).toBe(errorCode);
  return body;
}

describe('request hardening (HTTP on a real socket)', () => {
  let harness: Harness;
  let port: number;

  beforeAll(async () => {
    harness = await startHarness({ start: false, config: { server: { request_timeout_ms: 1000, max_body_bytes: 64 * 1024 } } });
    await harness.keyheat.http.listen({ host: '127.0.0.1', port: 0 });
    port = (harness.keyheat.http.server.address() as AddressInfo).port;
  });
  afterAll(async () => harness.close({ removeData: true }));

  const head = (method: string, path: string, extra: string[] = []): string =>
    [`${method} ${path} HTTP/1.1`, 'Host: 127.0.0.1', `X-Auth-Token: ${ADMIN}`, ...extra, '', ''].join('\r\n');

  it('answers an invalid percent-encoding in the path with the envelope (was FST_ERR_BAD_URL)', async () => {
    for (const path of [`/v2/${P1}/instances/%ff%fe`, `/v2/${P1}/instances/%zz`, `/v2/%c0%af/instances`, `/v2/${P1}/instances/%`]) {
      const response = await harness.request('GET', path);
      const body = expectEnvelope({ ...response, body: response.text }, 400, 'DCS.4800');
      expect(body['error_msg'], path).toBe('Invalid path in the request.');
    }
    const long = await harness.request('GET', `/v2/${P1}/instances/${'a'.repeat(150)}`);
    expectEnvelope({ ...long, body: long.text }, 400, 'DCS.4800');
  });

  it('answers a body that is not JSON, or malformed JSON, with the envelope', async () => {
    const plain = await harness.request('POST', `/v2/${P1}/instances`, { rawBody: 'name=x', headers: { 'content-type': 'text/plain' } });
    expectEnvelope({ ...plain, body: plain.text }, 400);
    const form = await harness.request('POST', `/v2/${P1}/instances`, { rawBody: 'a=b', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    expectEnvelope({ ...form, body: form.text }, 400);
    const malformed = await harness.request('POST', `/v2/${P1}/instances`, { rawBody: '{"name": ' });
    expectEnvelope({ ...malformed, body: malformed.text }, 400, 'DCS.4005');
  });

  it('answers a body over server.max_body_bytes with 413 and the envelope, declared or chunked', async () => {
    const big = `{"name":"${'x'.repeat(70 * 1024)}","url":"redis://127.0.0.1:1"}`;
    const declared = await rawRequest(port, { parts: [head('POST', `/v2/${P1}/instances`, ['Content-Type: application/json', `Content-Length: ${big.length}`]), big] });
    const body = expectEnvelope(declared, 413, 'DCS.4800');
    expect(body['error_msg']).toBe('Invalid body in the request.');
    const chunk = `${(64 * 1024).toString(16)}\r\n${'y'.repeat(64 * 1024)}\r\n`;
    const chunked = await rawRequest(port, {
      parts: [head('POST', `/v2/${P1}/instances`, ['Content-Type: application/json', 'Transfer-Encoding: chunked']), chunk, chunk, '0\r\n\r\n'],
    });
    expectEnvelope(chunked, 413, 'DCS.4800');
  });

  it('cuts off a client sending its body slowly, with 408 and the envelope, within the request timeout', async () => {
    const drip: (string | number)[] = [head('POST', `/v2/${P1}/instances`, ['Content-Type: application/json', 'Content-Length: 200', 'X-Request-Id: slow-client-1'])];
    for (let i = 0; i < 40; i += 1) drip.push('{', 100);
    const response: RawResponse = await rawRequest(port, { parts: drip, deadlineMs: 6000 });
    expect(response.closed).toBe(true);
    // request_timeout_ms 1000, checked every 250 ms
    expect(response.elapsedMs).toBeLessThan(2500);
    const body = expectEnvelope(response, 408, 'DCS.4800');
    expect(body['error_msg']).toBe('Invalid request in the request.');
    // The request had reached Fastify: the answer carries the id it was logged under.
    expect(response.headers['x-request-id']).toBe('slow-client-1');
  });

  it('cuts off a client sending its headers slowly', async () => {
    const parts: (string | number)[] = [`GET /v2/${P1}/instances HTTP/1.1\r\n`];
    for (let i = 0; i < 40; i += 1) parts.push(`X-Slow-${i}: 1\r\n`, 100);
    const response = await rawRequest(port, { parts, deadlineMs: 6000 });
    expect(response.closed).toBe(true);
    expect(response.elapsedMs).toBeLessThan(2500);
    expectEnvelope(response, 408, 'DCS.4800');
  });

  it('answers headers over 16 KiB (a very long URL included) with 431 and the envelope', async () => {
    const longUrl = await rawRequest(port, { parts: [head('GET', `/v2/${P1}/instances?x=${'a'.repeat(20_000)}`)] });
    expectEnvelope(longUrl, 431, 'DCS.4800');
    const longHeader = await rawRequest(port, { parts: [head('GET', `/v2/${P1}/instances`, [`X-Big: ${'b'.repeat(20_000)}`])] });
    expectEnvelope(longHeader, 431, 'DCS.4800');
  });

  it('answers requests that are not HTTP with 400 and the envelope', async () => {
    for (const garbage of ['HELLO\r\n\r\n', 'GET / HTTP/1.1\r\nHost: x\r\nBad Header\r\n\r\n', 'GET / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n', '\x16\x03\x01\x00\x05hello']) {
      const response = await rawRequest(port, { parts: [garbage] });
      expectEnvelope(response, 400, 'DCS.4800');
    }
  });

  it('keeps a well-formed request on the same server working', async () => {
    const response = await rawRequest(port, { parts: [head('GET', `/v2/${P1}/instances`, ['Connection: close'])] });
    expect(response.status).toBe(200);
  });
});

describe('while keyheat stops', () => {
  it('answers a request arriving on an open connection with 503 and the envelope, not Fastify\'s own body', async () => {
    const harness = await startHarness({ start: false });
    await harness.keyheat.http.listen({ host: '127.0.0.1', port: 0 });
    const port = (harness.keyheat.http.server.address() as AddressInfo).port;
    const first = [`PUT /v2/${P1}/instances/x/hotkey/autoscan HTTP/1.1`, 'Host: 127.0.0.1', `X-Auth-Token: ${ADMIN}`, 'Content-Type: application/json', 'Content-Length: 2', '', ''].join('\r\n');
    const second = [`GET /v2/${P1}/instances HTTP/1.1`, 'Host: 127.0.0.1', `X-Auth-Token: ${ADMIN}`, '', ''].join('\r\n');
    // The first request is in flight (its body not sent) when the close begins; the second
    // follows it on the same connection.
    const pending = rawRequest(port, { parts: [first, 300, `{}${second}`], deadlineMs: 5000 });
    await new Promise((r) => setTimeout(r, 150));
    const closed = harness.close({ removeData: true });
    const response = await pending;
    await closed;
    const answers = response.body;
    expect(answers).toContain('HTTP/1.1 503');
    expect(answers).toContain('"error_code":"DCS.5000"');
    expect(answers).not.toContain('Service Unavailable","message"');
  });
});

describe.each(STORES)('query numbers have maximums (%s)', (store) => {
  let harness: Harness;
  // The query is checked before the instance is looked up: no Redis is needed.
  const instanceId = 'no-such-instance';

  beforeAll(async () => {
    harness = await startHarness({ store, start: false });
  });
  afterAll(async () => harness.close({ removeData: true }));

  it('answers offset=1e300, offset=2^63 and other huge numbers with 400, never 500', async () => {
    for (const query of ['offset=1e300', 'offset=9223372036854775808', 'offset=1000001', 'offset=1e21', 'limit=1e300', 'limit=9223372036854775808', 'offset=Infinity', 'offset=-Infinity', 'limit=Infinity', 'offset=NaN', 'offset=0x7fffffffffffffff']) {
      const response = await harness.request('GET', `/v2/${P1}/instances/${instanceId}/hotkey-tasks?${query}`);
      expect(response.status, `${query}: ${response.text}`).toBe(400);
      expect(response.body['error_code']).toBe('DCS.4800');
      expect(response.headers['x-request-id']).toBeDefined();
    }
    const largest = await harness.request('GET', `/v2/${P1}/instances/${instanceId}/hotkey-tasks?offset=1000000&limit=1000`);
    expect(largest.status, largest.text).toBe(404);
  });
});
