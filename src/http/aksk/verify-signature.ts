/**
 * Verification of an SDK-HMAC-SHA256 signed request against the access keys of the config, in
 * two steps: `precheckSignedRequest` checks what the headers alone can tell (the Authorization
 * format, the AK, X-Sdk-Date and its window, the project) as soon as the request arrives, so a
 * stranger cannot make keyheat read a body; `verifySignedBody` checks the signature itself once
 * the body (whose hash it covers) has been read. Every failure says which check failed, except
 * that an unknown AK, an AK of another project and a wrong signature share one text, and are
 * refused at the same moment, after the body was read and a signature computed: neither the
 * answer nor its timing tells a prober which access keys exist. The expected signature is never
 * shown.
 */
import { timingSafeEqual } from 'node:crypto';
import { canonicalRequest, EMPTY_BODY_SHA256, parseAuthorization, parseSdkDate, sha256Hex, signature, stringToSign, type ParsedAuthorization } from './sdk-hmac-sha256.js';

/** How far X-Sdk-Date may be from the server's clock, as Huawei Cloud's gateway allows. */
export const MAX_CLOCK_SKEW_MS = 15 * 60 * 1000;

/** The one text for "unknown AK", "AK of another project" and "wrong signature". */
export const SIGNATURE_MISMATCH =
  'the signature does not match the request (check the access key and its project, the secret key, the signed headers and the body)';

export interface AccessKey {
  readonly secretKey: string;
  readonly projectId: string;
}

export interface SignedRequestHead {
  readonly method: string;
  readonly rawUrl: string;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  /** {project_id} of the path. */
  readonly pathProjectId: string;
}

export interface IncomingSignedRequest extends SignedRequestHead {
  /** The body bytes as received ('' when none). */
  readonly rawBody: string | Buffer;
}

/** A request whose headers passed every check; only the signature over the body is left. */
export interface PendingSignature {
  readonly head: SignedRequestHead;
  readonly auth: ParsedAuthorization;
  readonly key: AccessKey;
  readonly sdkDate: string;
  /** When X-Sdk-Date leaves the accepted window: a replay of it is refused by the date after this. */
  readonly expiresAtMs: number;
  /** An unknown AK or one of another project: refused after the body, like a wrong signature (the real cause, for the log). */
  readonly refusal?: string;
}

/** Signs the requests of unknown access keys, so they cost what a known one's does. */
const NO_KEY: AccessKey = { secretKey: 'keyheat-no-such-access-key', projectId: '' };

export type Verdict = { readonly ok: true; readonly projectId: string } | { readonly ok: false; readonly reason: string; readonly logReason?: string };
export type Precheck = { readonly ok: true; readonly pending: PendingSignature } | { readonly ok: false; readonly reason: string; readonly logReason?: string };

export function precheckSignedRequest(head: SignedRequestHead, lookup: (accessKey: string) => AccessKey | undefined, now: Date): Precheck {
  const header = single(head.headers['authorization']);
  const auth = header === undefined ? null : parseAuthorization(header);
  if (auth === null) return fail('the Authorization header is not "SDK-HMAC-SHA256 Access=..., SignedHeaders=..., Signature=..."');
  if (!auth.signedHeaders.includes('host') || !auth.signedHeaders.includes('x-sdk-date')) {
    return fail('SignedHeaders must include host and x-sdk-date');
  }
  const sdkDate = single(head.headers['x-sdk-date']);
  const date = sdkDate === undefined ? null : parseSdkDate(sdkDate);
  if (sdkDate === undefined || date === null) return fail('X-Sdk-Date is missing or not YYYYMMDDTHHMMSSZ');
  const skew = Math.abs(now.getTime() - date.getTime());
  if (skew > MAX_CLOCK_SKEW_MS) return fail(`X-Sdk-Date is ${Math.round(skew / 60_000)} minutes away from the server clock (at most 15 allowed)`);
  const projectHeader = single(head.headers['x-project-id']);
  if (projectHeader !== undefined && projectHeader !== head.pathProjectId) return fail('X-Project-Id does not match the project in the path');
  const key = lookup(auth.accessKey);
  const pending = { head, auth, sdkDate, expiresAtMs: date.getTime() + MAX_CLOCK_SKEW_MS };
  // Known or not, the request goes on to its body: the refusal comes where a wrong signature's does.
  if (key === undefined) return { ok: true, pending: { ...pending, key: NO_KEY, refusal: `unknown access key ${auth.accessKey}` } };
  if (key.projectId !== head.pathProjectId) return { ok: true, pending: { ...pending, key, refusal: `access key ${auth.accessKey} belongs to another project` } };
  return { ok: true, pending: { ...pending, key } };
}

export function verifySignedBody(pending: PendingSignature, rawBody: string | Buffer): Verdict {
  const { head, auth, key, sdkDate } = pending;
  const headers: Record<string, string | undefined> = {};
  for (const name of auth.signedHeaders) headers[name] = single(head.headers[name]);
  // The body is always hashed. A declared X-Sdk-Content-Sha256 (what the SDK signs in place of
  // the hash) must itself be signed and must match the body; UNSIGNED-PAYLOAD only for no body.
  const bodyHash = rawBody.length === 0 ? EMPTY_BODY_SHA256 : sha256Hex(rawBody);
  const declaredHash = single(head.headers['x-sdk-content-sha256']);
  if (declaredHash !== undefined) {
    if (!auth.signedHeaders.includes('x-sdk-content-sha256')) return fail('X-Sdk-Content-Sha256 is sent but not signed');
    const unsignedEmpty = declaredHash === 'UNSIGNED-PAYLOAD' && rawBody.length === 0;
    if (!unsignedEmpty && declaredHash.toLowerCase() !== bodyHash) return fail('X-Sdk-Content-Sha256 does not match the body (unsigned payloads are not accepted)');
  }
  const payloadHash = declaredHash ?? bodyHash;
  // An SDK endpoint configured with a trailing slash signs "//v2/..." but sends "/v2/...":
  // accept both spellings of the same request.
  for (const rawUrl of [head.rawUrl, `/${head.rawUrl}`]) {
    let canonical: string;
    try {
      canonical = canonicalRequest({ method: head.method, rawUrl, headers, signedHeaders: auth.signedHeaders, payloadHash });
    } catch (error) {
      if (error instanceof URIError) return fail('the query string is not valid percent-encoding');
      throw error;
    }
    const expected = Buffer.from(signature(key.secretKey, stringToSign(sdkDate, canonical)), 'hex');
    const given = Buffer.from(auth.signature, 'hex');
    const matches = expected.length === given.length && timingSafeEqual(expected, given);
    if (matches && pending.refusal === undefined) return { ok: true, projectId: key.projectId };
  }
  return mismatch(pending.refusal ?? 'the signature does not match');
}

/** Both steps at once (for callers that have the whole request, and for the unit tests). */
export function verifySignedRequest(request: IncomingSignedRequest, lookup: (accessKey: string) => AccessKey | undefined, now: Date): Verdict {
  const precheck = precheckSignedRequest(request, lookup, now);
  return precheck.ok ? verifySignedBody(precheck.pending, request.rawBody) : precheck;
}

function fail(reason: string): { ok: false; reason: string } {
  return { ok: false, reason };
}

/** The shared answer; `logReason` (the real cause) goes to keyheat's own log only. */
function mismatch(logReason: string): { ok: false; reason: string; logReason: string } {
  return { ok: false, reason: SIGNATURE_MISMATCH, logReason };
}

function single(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}
