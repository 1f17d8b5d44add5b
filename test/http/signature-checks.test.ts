/**
 * SDK-HMAC-SHA256 checks beyond the SDK's happy path: what can be refused is refused before the
 * body is read, the body hash covers the raw bytes of any content type, an unknown AK reads like
 * a wrong signature, and auth.refuse_replays refuses a signature used twice.
 */
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { canonicalRequest, sha256Hex, signature, stringToSign } from '../../src/http/aksk/sdk-hmac-sha256.js';
import { P1, startHarness, type Harness } from '../helpers/keyheat-harness.js';

const AK = 'KEYHEATSIGNAK000001';
const SK = 'keyheat-sign-secret-key-000000000000001';
const HOST = 'keyheat.test';
const AUTOSCAN = `/v2/${P1}/instances/none/hotkey/autoscan`;
const LIST = `/v2/${P1}/instances`;

function sdkDate(at = new Date()): string {
  return at.toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');
}

/** Headers of a request signed the SDK's way over `signedBody` (the body sent may differ). */
function signed(method: string, url: string, signedBody: Buffer | string, extra: Record<string, string> = {}, options: { ak?: string; sk?: string; date?: string } = {}): Record<string, string> {
  const headers: Record<string, string> = { host: HOST, 'x-sdk-date': options.date ?? sdkDate(), ...extra };
  const names = Object.keys(headers).sort();
  const canonical = canonicalRequest({ method, rawUrl: url, headers, signedHeaders: names, payloadHash: sha256Hex(signedBody) });
  const sig = signature(options.sk ?? SK, stringToSign(headers['x-sdk-date'] as string, canonical));
  return { ...headers, authorization: `SDK-HMAC-SHA256 Access=${options.ak ?? AK}, SignedHeaders=${names.join(';')}, Signature=${sig}` };
}

async function startSigned(refuseReplays: boolean): Promise<Harness> {
  return startHarness({
    start: false,
    config: { auth: { refuse_replays: refuseReplays }, projects: [{ project_id: P1, tokens: ['admin-token-p1-0000000000000001'], access_keys: [{ ak: AK, sk: SK }] }] },
  });
}

async function send(harness: Harness, method: 'GET' | 'PUT' | 'POST', url: string, headers: Record<string, string>, payload?: Buffer | string) {
  const response = await harness.keyheat.http.inject({ method, url, headers, ...(payload === undefined ? {} : { payload }) });
  return { status: response.statusCode, body: JSON.parse(response.body === '' ? '{}' : response.body) as Record<string, unknown> };
}

describe('signature checks', () => {
  let harness: Harness;
  let port: number;
  beforeAll(async () => {
    harness = await startSigned(false);
    await harness.keyheat.http.listen({ host: '127.0.0.1', port: 0 });
    const address = harness.keyheat.http.server.address();
    port = typeof address === 'object' && address !== null ? address.port : 0;
  });
  afterAll(() => harness?.close({ removeData: true }));

  /** Sends only the head of a request announcing a 4 KB body, and reads the answer without ever sending the body. */
  function headOnly(headers: Record<string, string>): Promise<string> {
    return new Promise((resolve, reject) => {
      const socket = net.connect(port, '127.0.0.1');
      let answer = '';
      const lines = Object.entries({ ...headers, 'content-type': 'application/json', 'content-length': '4096' }).map(([k, v]) => `${k}: ${v}`);
      socket.on('connect', () => socket.write(`PUT ${AUTOSCAN} HTTP/1.1\r\n${lines.join('\r\n')}\r\n\r\n`));
      socket.on('data', (chunk) => {
        answer += chunk.toString();
        const head = answer.indexOf('\r\n\r\n');
        const length = /content-length: (\d+)/i.exec(answer.slice(0, head))?.[1];
        if (head >= 0 && length !== undefined && Buffer.byteLength(answer.slice(head + 4)) >= Number(length)) {
          socket.destroy();
          resolve(answer);
        }
      });
      socket.on('error', reject);
      setTimeout(() => {
        socket.destroy();
        reject(new Error(`no answer before the body was sent; got ${JSON.stringify(answer)}`));
      }, 3000);
    });
  }

  it.each([
    ['an X-Sdk-Date 20 minutes old', signed('PUT', AUTOSCAN, '{}', {}, { date: sdkDate(new Date(Date.now() - 20 * 60_000)) }), /20 minutes away/],
    ['a malformed date', signed('PUT', AUTOSCAN, '{}', {}, { date: '2024-01-01' }), /X-Sdk-Date is missing or not/],
    ['a malformed Authorization header', { host: HOST, 'x-sdk-date': sdkDate(), authorization: 'SDK-HMAC-SHA256 Access=x' }, /Authorization header is not/],
  ])('refuses %s before the body is read', async (_name, headers, reason) => {
    const answer = await headOnly(headers);
    expect(answer).toMatch(/^HTTP\/1\.1 401/);
    expect(answer).toContain('"error_code":"APIG.0301"');
    expect(answer).toMatch(reason);
  });

  /** Sends the head, waits `ms`, then the body: whether an answer came before the body, and the answer. */
  async function headThenBody(headers: Record<string, string>, body: string, ms: number): Promise<{ early: boolean; answer: string }> {
    const port = (harness.keyheat.http.server.address() as net.AddressInfo).port;
    return new Promise((resolve, reject) => {
      const socket = net.connect(port, '127.0.0.1');
      let answer = '';
      let bodySent = false;
      let early = false;
      const lines = Object.entries({ ...headers, 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)) }).map(([k, v]) => `${k}: ${v}`);
      socket.on('connect', () => {
        socket.write(`PUT ${AUTOSCAN} HTTP/1.1\r\n${lines.join('\r\n')}\r\n\r\n`);
        setTimeout(() => {
          bodySent = true;
          socket.write(body);
        }, ms);
      });
      socket.on('data', (chunk) => {
        if (!bodySent) early = true;
        answer += chunk.toString();
        const head = answer.indexOf('\r\n\r\n');
        const length = /content-length: (\d+)/i.exec(answer.slice(0, head))?.[1];
        if (head >= 0 && length !== undefined && Buffer.byteLength(answer.slice(head + 4)) >= Number(length)) {
          socket.destroy();
          resolve({ early, answer });
        }
      });
      socket.on('error', reject);
    });
  }

  it('waits for the body with an unknown AK as with a known one, then answers both alike', async () => {
    const unknown = await headThenBody(signed('PUT', AUTOSCAN, '{}', {}, { ak: 'NOSUCHAK' }), '{}', 300);
    const wrong = await headThenBody(signed('PUT', AUTOSCAN, '{}', {}, { sk: 'not-the-secret' }), '{}', 300);
    for (const { early, answer } of [unknown, wrong]) {
      expect(early).toBe(false);
      expect(answer).toMatch(/^HTTP\/1\.1 401/);
    }
    const body = (answer: string): unknown => {
      const parsed = JSON.parse(answer.slice(answer.indexOf('\r\n\r\n') + 4)) as Record<string, unknown>;
      delete parsed.request_id;
      return parsed;
    };
    expect(body(unknown.answer)).toEqual(body(wrong.answer));
  });

  it('answers an unknown AK and a wrong signature with the same text', async () => {
    const unknown = await send(harness, 'GET', LIST, signed('GET', LIST, '', {}, { ak: 'NOSUCHAK0000000001' }));
    const wrong = await send(harness, 'GET', LIST, signed('GET', LIST, '', {}, { sk: 'not-the-secret' }));
    const otherProject = `/v2/fedcba9876543210fedcba9876543210/instances`;
    const elsewhere = await send(harness, 'GET', otherProject, signed('GET', otherProject, ''));
    expect(unknown.status).toBe(401);
    const text = ({ body }: { body: Record<string, unknown> }) => [body['error_code'], body['error_msg'], body['error_ext_msg']];
    expect(text(unknown)).toEqual(text(wrong));
    expect(text(elsewhere)).toEqual(text(wrong));
    expect(JSON.stringify(unknown.body)).not.toContain('NOSUCHAK');
    expect((await send(harness, 'GET', LIST, signed('GET', LIST, ''))).status).toBe(200);
  });

  it('hashes a text/plain body: one signed as empty is refused, one signed over its bytes passes the signature', async () => {
    const plain = { 'content-type': 'text/plain' };
    const asEmpty = await send(harness, 'PUT', AUTOSCAN, signed('PUT', AUTOSCAN, '', plain), 'enable_auto_scan=true');
    expect(asEmpty.status).toBe(401);
    expect(asEmpty.body['error_code']).toBe('APIG.0301');
    const honest = await send(harness, 'PUT', AUTOSCAN, signed('PUT', AUTOSCAN, 'enable_auto_scan=true', plain), 'enable_auto_scan=true');
    expect(honest.status).not.toBe(401); // past the signature; the schema refuses a text body
    expect(honest.status).toBeLessThan(500);
  });

  it('hashes the raw bytes, not their UTF-8 reading', async () => {
    const plain = { 'content-type': 'text/plain' };
    const [ff, fe] = [Buffer.from([0x22, 0xff, 0x22]), Buffer.from([0x22, 0xfe, 0x22])]; // both read as "\uFFFD"
    expect((await send(harness, 'PUT', AUTOSCAN, signed('PUT', AUTOSCAN, ff, plain), fe)).status).toBe(401);
    expect((await send(harness, 'PUT', AUTOSCAN, signed('PUT', AUTOSCAN, ff, plain), ff)).status).not.toBe(401);
  });

  it('never lets a body of an unsupported content type pass as empty', async () => {
    for (const contentType of ['application/xml', 'application/x-www-form-urlencoded', 'application/octet-stream']) {
      const response = await send(harness, 'PUT', AUTOSCAN, signed('PUT', AUTOSCAN, '', { 'content-type': contentType }), '{"enable_auto_scan":false}');
      expect(response.status).toBeGreaterThanOrEqual(400);
      expect(response.status).toBeLessThan(500);
      expect(response.body['error_code']).toEqual(expect.any(String));
    }
  });

  it('accepts the same signature twice when replays are not refused (the default)', async () => {
    const headers = signed('GET', LIST, '');
    expect((await send(harness, 'GET', LIST, headers)).status).toBe(200);
    expect((await send(harness, 'GET', LIST, headers)).status).toBe(200);
  });
});

describe('auth.refuse_replays', () => {
  let harness: Harness;
  beforeAll(async () => {
    harness = await startSigned(true);
  });
  afterAll(() => harness?.close({ removeData: true }));

  it('refuses a signature used a second time, and accepts a new one', async () => {
    const headers = signed('GET', LIST, '');
    expect((await send(harness, 'GET', LIST, headers)).status).toBe(200);
    const replay = await send(harness, 'GET', LIST, headers);
    expect(replay.status).toBe(401);
    expect(replay.body).toMatchObject({ error_code: 'APIG.0301', error_ext_msg: expect.stringMatching(/already used/) as unknown });
    // A request signed anew (another second, so another signature) passes.
    const later = signed('GET', LIST, '', {}, { date: sdkDate(new Date(Date.now() + 1000)) });
    expect((await send(harness, 'GET', LIST, later)).status).toBe(200);
  });

  it('does not remember a signature that failed', async () => {
    const wrong = signed('GET', LIST, '', {}, { sk: 'not-the-secret' });
    expect((await send(harness, 'GET', LIST, wrong)).body['error_ext_msg']).toMatch(/does not match/);
    expect((await send(harness, 'GET', LIST, wrong)).body['error_ext_msg']).toMatch(/does not match/);
  });
});
