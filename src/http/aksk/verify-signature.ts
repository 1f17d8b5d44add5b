/**
 * Verification of an SDK-HMAC-SHA256 signed request against the access keys of the config.
 * Every failure says which check failed (for the caller's logs) and never what the expected
 * signature was.
 */
import { timingSafeEqual } from 'node:crypto';
import { canonicalRequest, EMPTY_BODY_SHA256, parseAuthorization, parseSdkDate, sha256Hex, signature, stringToSign } from './sdk-hmac-sha256.js';

/** How far X-Sdk-Date may be from the server's clock, as Huawei Cloud's gateway allows. */
export const MAX_CLOCK_SKEW_MS = 15 * 60 * 1000;

export interface AccessKey {
  readonly secretKey: string;
  readonly projectId: string;
}

export interface IncomingSignedRequest {
  readonly method: string;
  readonly rawUrl: string;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  /** The body bytes as received ('' when none). */
  readonly rawBody: string | Buffer;
  /** {project_id} of the path. */
  readonly pathProjectId: string;
}

export type Verdict = { readonly ok: true; readonly projectId: string } | { readonly ok: false; readonly reason: string };

export function verifySignedRequest(request: IncomingSignedRequest, lookup: (accessKey: string) => AccessKey | undefined, now: Date): Verdict {
  const header = single(request.headers['authorization']);
  const auth = header === undefined ? null : parseAuthorization(header);
  if (auth === null) return fail('the Authorization header is not "SDK-HMAC-SHA256 Access=..., SignedHeaders=..., Signature=..."');
  const key = lookup(auth.accessKey);
  if (key === undefined) return fail(`unknown access key ${auth.accessKey}`);
  if (!auth.signedHeaders.includes('host') || !auth.signedHeaders.includes('x-sdk-date')) {
    return fail('SignedHeaders must include host and x-sdk-date');
  }
  const sdkDate = single(request.headers['x-sdk-date']);
  const date = sdkDate === undefined ? null : parseSdkDate(sdkDate);
  if (sdkDate === undefined || date === null) return fail('X-Sdk-Date is missing or not YYYYMMDDTHHMMSSZ');
  const skew = Math.abs(now.getTime() - date.getTime());
  if (skew > MAX_CLOCK_SKEW_MS) return fail(`X-Sdk-Date is ${Math.round(skew / 60_000)} minutes away from the server clock (at most 15 allowed)`);
  const projectHeader = single(request.headers['x-project-id']);
  if (projectHeader !== undefined && projectHeader !== request.pathProjectId) return fail('X-Project-Id does not match the project in the path');
  if (key.projectId !== request.pathProjectId) return fail('the access key does not belong to the project in the path');

  const headers: Record<string, string | undefined> = {};
  for (const name of auth.signedHeaders) headers[name] = single(request.headers[name]);
  // The body is always hashed. A declared X-Sdk-Content-Sha256 (what the SDK signs in place of
  // the hash) must itself be signed and must match the body; UNSIGNED-PAYLOAD only for no body.
  const bodyHash = request.rawBody.length === 0 ? EMPTY_BODY_SHA256 : sha256Hex(request.rawBody);
  const declaredHash = single(request.headers['x-sdk-content-sha256']);
  if (declaredHash !== undefined) {
    if (!auth.signedHeaders.includes('x-sdk-content-sha256')) return fail('X-Sdk-Content-Sha256 is sent but not signed');
    const unsignedEmpty = declaredHash === 'UNSIGNED-PAYLOAD' && request.rawBody.length === 0;
    if (!unsignedEmpty && declaredHash.toLowerCase() !== bodyHash) return fail('X-Sdk-Content-Sha256 does not match the body (unsigned payloads are not accepted)');
  }
  const payloadHash = declaredHash ?? bodyHash;
  // An SDK endpoint configured with a trailing slash signs "//v2/..." but sends "/v2/...":
  // accept both spellings of the same request.
  for (const rawUrl of [request.rawUrl, `/${request.rawUrl}`]) {
    let canonical: string;
    try {
      canonical = canonicalRequest({ method: request.method, rawUrl, headers, signedHeaders: auth.signedHeaders, payloadHash });
    } catch (error) {
      if (error instanceof URIError) return fail('the query string is not valid percent-encoding');
      throw error;
    }
    const expected = Buffer.from(signature(key.secretKey, stringToSign(sdkDate, canonical)), 'hex');
    const given = Buffer.from(auth.signature, 'hex');
    if (expected.length === given.length && timingSafeEqual(expected, given)) return { ok: true, projectId: key.projectId };
  }
  return fail('the signature does not match the request (check the secret key, the signed headers and the body)');
}

function fail(reason: string): Verdict {
  return { ok: false, reason };
}

function single(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}
