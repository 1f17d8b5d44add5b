/** The signing algorithm against the test vectors of dcs-api.md section 6.3 (verified there with the SDK signer). */
import { describe, expect, it } from 'vitest';
import { canonicalQuery, canonicalRequest, canonicalUri, EMPTY_BODY_SHA256, parseAuthorization, parseSdkDate, sha256Hex, signature, stringToSign } from '../../src/http/aksk/sdk-hmac-sha256.js';
import { verifySignedRequest } from '../../src/http/aksk/verify-signature.js';

describe('the Huawei documentation example', () => {
  const headers = { 'content-type': 'application/json', host: 'service.region.example.com', 'x-sdk-date': '20191115T033655Z' };
  const canonical = canonicalRequest({
    method: 'GET',
    rawUrl: '/v1/77b6a44cba5143ab91d13ab9a8ff44fd/vpcs?limit=2&marker=13551d6b-755d-4757-b956-536f674975c0',
    headers,
    signedHeaders: ['content-type', 'host', 'x-sdk-date'],
    payloadHash: EMPTY_BODY_SHA256,
  });

  it('hashes the canonical request as documented', () => {
    expect(sha256Hex(canonical)).toBe('b25362e603ee30f4f25e7858e8a7160fd36e803bb2dfe206278659d71a9bcd7a');
  });

  it('signs as documented', () => {
    expect(signature('MFyfvK41ba2giqM7Uio6PznpdUKGpownRZlmVmHc', stringToSign('20191115T033655Z', canonical))).toBe(
      '7be6668032f70418fcc22abc52071e57aff61b84a1d2381bb430d6870f4f6ebe',
    );
  });
});

describe('the DCS-shaped vectors', () => {
  const PROJECT = '0123456789abcdef0123456789abcdef';
  const PREFIX = `/v2/${PROJECT}/instances/5560df16-cebf-4473-95c4-d1b573c16e79`;
  const SK = 'TESTSECRETKEY000000000000000000000000000';
  const headers = { 'content-type': 'application/json', host: '127.0.0.1:8080', 'x-project-id': PROJECT, 'x-sdk-date': '20240101T000000Z' };
  const signed = ['content-type', 'host', 'x-project-id', 'x-sdk-date'];
  const NOW = new Date('2024-01-01T00:05:00Z');

  it.each([
    ['PUT', `${PREFIX}/hotkey/autoscan`, '{"enable_auto_scan":true,"schedule_at":["21:00"]}', '578304a8813a354704967ffe06705e836aa7209d025f2947233a08a0a9e4b70b'],
    ['GET', `${PREFIX}/hotkey-tasks?offset=0&limit=10&status=success`, '', '6f01c2ee65252855b12f45999655b1e8fc2ec7e8593d989e4253fe109f48c9f4'],
    ['POST', `${PREFIX}/hotkey-task`, '', 'db9d7176691d3349dfe34fbd1ec310aac73ab69e9138ca5858770f1fa58ebe94'],
  ])('%s %s', (method, rawUrl, body, expected) => {
    const payloadHash = body === '' ? EMPTY_BODY_SHA256 : sha256Hex(body);
    expect(signature(SK, stringToSign('20240101T000000Z', canonicalRequest({ method, rawUrl, headers, signedHeaders: signed, payloadHash })))).toBe(expected);
    const authorization = `SDK-HMAC-SHA256 Access=TESTAK0000000000, SignedHeaders=${signed.join(';')}, Signature=${expected}`;
    const verdict = verifySignedRequest(
      { method, rawUrl, headers: { ...headers, authorization }, rawBody: body, pathProjectId: PROJECT },
      (ak) => (ak === 'TESTAK0000000000' ? { secretKey: SK, projectId: PROJECT } : undefined),
      NOW,
    );
    expect(verdict).toEqual({ ok: true, projectId: PROJECT });
  });

  const base = {
    method: 'POST',
    rawUrl: `${PREFIX}/hotkey-task`,
    headers: {
      ...headers,
      authorization: `SDK-HMAC-SHA256 Access=TESTAK0000000000, SignedHeaders=${signed.join(';')}, Signature=db9d7176691d3349dfe34fbd1ec310aac73ab69e9138ca5858770f1fa58ebe94`,
    },
    rawBody: '',
    pathProjectId: PROJECT,
  };
  const lookup = (ak: string) => (ak === 'TESTAK0000000000' ? { secretKey: SK, projectId: PROJECT } : undefined);

  it.each([
    ['a wrong secret', base, (ak: string) => (ak === 'TESTAK0000000000' ? { secretKey: 'other', projectId: PROJECT } : undefined), NOW, /signature does not match/],
    ['an unknown access key (told as a mismatch, the AK not named)', base, () => undefined, NOW, /^the signature does not match the request \(check the access key/],
    ['a date 16 minutes old', base, lookup, new Date('2024-01-01T00:16:00Z'), /16 minutes away/],
    ['a changed body', { ...base, rawBody: '{}' }, lookup, NOW, /signature does not match/],
    ['a changed path', { ...base, rawUrl: `${PREFIX}/hotkey-tasks` }, lookup, NOW, /signature does not match/],
    ['another project in X-Project-Id', { ...base, headers: { ...base.headers, 'x-project-id': 'p2' } }, lookup, NOW, /X-Project-Id does not match/],
    ['a key of another project', { ...base, pathProjectId: 'p2' }, lookup, NOW, /X-Project-Id does not match|signature does not match/],
    ['host not signed', { ...base, headers: { ...base.headers, authorization: base.headers.authorization.replace('content-type;host;', 'content-type;') } }, lookup, NOW, /must include host and x-sdk-date/],
    ['a swapped body vouched for by an unsigned X-Sdk-Content-Sha256', { ...base, rawBody: '{"url":"redis://evil"}', headers: { ...base.headers, 'x-sdk-content-sha256': EMPTY_BODY_SHA256 } }, lookup, NOW, /X-Sdk-Content-Sha256 is sent but not signed/],
    ['a bad percent-encoding in the query', { ...base, rawUrl: `${PREFIX}/hotkey-task?x=%zz` }, lookup, NOW, /not valid percent-encoding/],
    ['a malformed header', { ...base, headers: { ...base.headers, authorization: 'Bearer abc' } }, lookup, NOW, /is not "SDK-HMAC-SHA256/],
  ])('refuses %s', (_name, request, keys, now, reason) => {
    const verdict = verifySignedRequest(request, keys, now);
    expect(verdict.ok).toBe(false);
    expect(verdict.ok ? '' : verdict.reason).toMatch(reason);
    expect(JSON.stringify(verdict)).not.toContain('db9d7176');
    expect(verdict.ok ? '' : verdict.reason).not.toContain('TESTAK0000000000');
  });
});

describe('canonical parts', () => {
  it('double-encodes what the client already encoded, like the SDK', () => {
    expect(canonicalUri('/v2/a b/x%20y')).toBe('/v2/a%20b/x%2520y/');
    expect(canonicalUri('/')).toBe('/');
  });

  it('sorts the query by key and by value of repeated keys', () => {
    expect(canonicalQuery('offset=0&limit=10&status=success')).toBe('limit=10&offset=0&status=success');
    expect(canonicalQuery('b=2&a=z&a=y&c')).toBe('a=y&a=z&b=2&c=');
    expect(canonicalQuery('q=a%20b%2Fc')).toBe('q=a%20b%2Fc');
  });

  it('parses the Authorization header and the date', () => {
    expect(parseAuthorization('SDK-HMAC-SHA256 Access=AK, SignedHeaders=host;x-sdk-date, Signature=' + 'a'.repeat(64))).toEqual({
      accessKey: 'AK',
      signedHeaders: ['host', 'x-sdk-date'],
      signature: 'a'.repeat(64),
    });
    expect(parseSdkDate('20240230T000000Z')).toBeNull();
    expect(parseSdkDate('20240101T000000Z')?.toISOString()).toBe('2024-01-01T00:00:00.000Z');
  });
});

describe('X-Sdk-Content-Sha256', () => {
  const PROJECT = 'p1';
  const SK = 'secret';
  const lookup = (ak: string) => (ak === 'AK' ? { secretKey: SK, projectId: PROJECT } : undefined);
  const signed = ['host', 'x-sdk-content-sha256', 'x-sdk-date'];
  function request(body: string, declared: string) {
    const headers = { host: 'h', 'x-sdk-date': '20240101T000000Z', 'x-sdk-content-sha256': declared };
    const rawUrl = `/v2/${PROJECT}/instances`;
    const sig = signature(SK, stringToSign('20240101T000000Z', canonicalRequest({ method: 'POST', rawUrl, headers, signedHeaders: signed, payloadHash: declared })));
    return { method: 'POST', rawUrl, rawBody: body, pathProjectId: PROJECT, headers: { ...headers, authorization: `SDK-HMAC-SHA256 Access=AK, SignedHeaders=${signed.join(';')}, Signature=${sig}` } };
  }
  const NOW = new Date('2024-01-01T00:00:00Z');

  it('is accepted when signed and equal to the hash of the body', () => {
    expect(verifySignedRequest(request('{"a":1}', sha256Hex('{"a":1}')), lookup, NOW).ok).toBe(true);
    expect(verifySignedRequest(request('', 'UNSIGNED-PAYLOAD'), lookup, NOW).ok).toBe(true);
  });

  it('cannot vouch for another body, nor leave a body unsigned', () => {
    const swapped = verifySignedRequest(request('{"a":2}', sha256Hex('{"a":1}')), lookup, NOW);
    expect(swapped).toEqual({ ok: false, reason: expect.stringMatching(/does not match the body/) as unknown });
    const unsigned = verifySignedRequest(request('{"a":2}', 'UNSIGNED-PAYLOAD'), lookup, NOW);
    expect(unsigned.ok).toBe(false);
  });
});
