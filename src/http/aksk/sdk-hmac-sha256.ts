/**
 * The SDK-HMAC-SHA256 request signature of Huawei Cloud's SDKs and API gateway, computed the
 * way the published Node SDK signs (dcs-api.md section 6.2): canonical request, string to
 * sign, HMAC-SHA256 with the secret key. Pure functions; verify-signature.ts applies them.
 */
import { createHash, createHmac } from 'node:crypto';

export const ALGORITHM = 'SDK-HMAC-SHA256';
export const EMPTY_BODY_SHA256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';

const UNRESERVED = /^[A-Za-z0-9\-_.~]$/;

/** RFC 3986 unreserved characters stay; every other UTF-8 byte becomes %XX (upper case), '%' included. */
export function encodeUnreserved(text: string): string {
  let out = '';
  for (const byte of Buffer.from(text, 'utf8')) {
    const char = String.fromCharCode(byte);
    out += UNRESERVED.test(char) ? char : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

/** The raw path as received, each segment encoded again (already-encoded ones get double-encoded, like the SDK), ending in '/'. */
export function canonicalUri(rawPath: string): string {
  const uri = rawPath.split('/').map(encodeUnreserved).join('/');
  return uri.endsWith('/') ? uri : `${uri}/`;
}

/** Query pairs decoded, sorted by key (values of a repeated key sorted too), encoded again. */
export function canonicalQuery(rawQuery: string): string {
  if (rawQuery === '') return '';
  const pairs = rawQuery
    .split('&')
    .filter((part) => part !== '')
    .map((part) => {
      const eq = part.indexOf('=');
      const decode = (s: string): string => decodeURIComponent(s.replace(/\+/g, ' '));
      return eq === -1 ? [decode(part), ''] : [decode(part.slice(0, eq)), decode(part.slice(eq + 1))];
    }) as [string, string][];
  pairs.sort(([ka, va], [kb, vb]) => (ka < kb ? -1 : ka > kb ? 1 : va < vb ? -1 : va > vb ? 1 : 0));
  return pairs.map(([k, v]) => `${encodeUnreserved(k)}=${encodeUnreserved(v)}`).join('&');
}

export interface SignableRequest {
  readonly method: string;
  /** Path and query exactly as on the request line, before any decoding. */
  readonly rawUrl: string;
  /** Lower-case header names to values as received. */
  readonly headers: Readonly<Record<string, string | undefined>>;
  /** Lower-case, sorted, as in the Authorization header. */
  readonly signedHeaders: readonly string[];
  /** Lower-hex SHA-256 of the body, or the literal X-Sdk-Content-Sha256 value. */
  readonly payloadHash: string;
}

export function canonicalRequest(request: SignableRequest): string {
  const queryAt = request.rawUrl.indexOf('?');
  const path = queryAt === -1 ? request.rawUrl : request.rawUrl.slice(0, queryAt);
  const query = queryAt === -1 ? '' : request.rawUrl.slice(queryAt + 1);
  const headers = request.signedHeaders.map((name) => `${name}:${request.headers[name] ?? ''}\n`).join('');
  return [request.method.toUpperCase(), canonicalUri(path), canonicalQuery(query), headers, request.signedHeaders.join(';'), request.payloadHash].join('\n');
}

export function sha256Hex(data: string | Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

export function stringToSign(sdkDate: string, canonical: string): string {
  return `${ALGORITHM}\n${sdkDate}\n${sha256Hex(canonical)}`;
}

export function signature(secretKey: string, toSign: string): string {
  return createHmac('sha256', Buffer.from(secretKey, 'utf8')).update(toSign).digest('hex');
}

export interface ParsedAuthorization {
  readonly accessKey: string;
  readonly signedHeaders: readonly string[];
  readonly signature: string;
}

/** `SDK-HMAC-SHA256 Access=AK, SignedHeaders=a;b, Signature=hex64`, or null. */
export function parseAuthorization(header: string): ParsedAuthorization | null {
  const match = /^SDK-HMAC-SHA256\s+Access=([^,\s]+),\s*SignedHeaders=([^,\s]+),\s*Signature=([0-9a-fA-F]{64})\s*$/.exec(header);
  if (match === null) return null;
  return { accessKey: match[1] as string, signedHeaders: (match[2] as string).toLowerCase().split(';'), signature: (match[3] as string).toLowerCase() };
}

/** `20240101T000000Z` as a Date, or null. */
export function parseSdkDate(value: string): Date | null {
  const match = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(value);
  if (match === null) return null;
  const [, y, mo, d, h, mi, s] = match.map(Number) as [number, number, number, number, number, number, number];
  const date = new Date(Date.UTC(y, mo - 1, d, h, mi, s));
  return date.getUTCMonth() === mo - 1 && date.getUTCDate() === d ? date : null;
}
