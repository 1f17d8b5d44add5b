/**
 * Authentication for every /v2 route, by X-Auth-Token or by an SDK-HMAC-SHA256 signature:
 * no credentials -> 401 DCS.1003, unknown token -> 401 DCS.1001, another project's token ->
 * 401 DCS.1004, a signature failing any check -> 401 APIG.0301 (with the check that failed,
 * except that an unknown AK and a wrong signature read the same), a read-only token on a
 * write -> 403 DCS.3002.
 *
 * Everything but the signature itself is checked as soon as the request arrives (onRequest),
 * before any body is read: the token, or the signature's format, AK, X-Sdk-Date window and
 * project. The signature covers the body's hash, so it is checked once the body has been read
 * (preValidation), before any handler runs.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { KeyheatError } from '../domain/errors.js';
import type { TokenGrant } from '../domain/auth.js';
import type { ReplayGuard } from './aksk/replay-guard.js';
import { precheckSignedRequest, verifySignedBody, type AccessKey, type PendingSignature, type SignedRequestHead } from './aksk/verify-signature.js';

export type Authenticate = (token: string) => Promise<TokenGrant | undefined>;
export type FindAccessKey = (accessKey: string) => AccessKey | undefined;

export interface SignatureChecks {
  readonly findAccessKey: FindAccessKey;
  /** auth.refuse_replays: remembers accepted signatures; null accepts a signature again within its window. */
  readonly replays: ReplayGuard | null;
  readonly now?: () => Date;
}

const READ_METHODS = new Set(['GET', 'HEAD']);
const SIGNED = /^SDK-HMAC-SHA256\s/;
const REPLAYED = 'this signature was already used (replays are refused: sign every request anew, with a new X-Sdk-Date)';

declare module 'fastify' {
  interface FastifyRequest {
    /** Set when the request carries a signature whose headers passed, still to be verified over the body. */
    pendingSignature: PendingSignature | null;
  }
}

/** On every response to a token-authenticated request: `full` or `read-only`. */
export const ACCESS_HEADER = 'X-Keyheat-Access';

export function tokenHook(authenticate: Authenticate, signatures: SignatureChecks) {
  return async (request: FastifyRequest, reply: FastifyReply): Promise<void> => {
    const authorization = request.headers.authorization;
    if (authorization !== undefined && SIGNED.test(authorization)) {
      request.pendingSignature = precheckSignature(request, signatures);
      return;
    }
    const header = request.headers['x-auth-token'];
    const token = Array.isArray(header) ? header[0] : header;
    if (token === undefined || token === '') throw new KeyheatError('tokenMissing');
    const grant = await authenticate(token);
    if (grant === undefined) throw new KeyheatError('tokenInvalid');
    if (pathProject(request) !== grant.projectId) throw new KeyheatError('projectMismatch');
    // Says what the token may do, so a client (the dashboard) offers only what will be allowed.
    void reply.header(ACCESS_HEADER, grant.role === 'readonly' ? 'read-only' : 'full');
    if (grant.role === 'readonly' && !READ_METHODS.has(request.method)) throw new KeyheatError('readOnly');
  };
}

export function signatureHook(signatures: SignatureChecks) {
  const now = signatures.now ?? (() => new Date());
  return async (request: FastifyRequest): Promise<void> => {
    const pending = request.pendingSignature;
    if (pending === null) return;
    // A body no parser read (a method whose body Fastify ignores) must not be verified as empty.
    if (request.rawBody === null && declaresBody(request)) {
      throw signatureError(request, 'the request has a body keyheat does not read for this method or content type; it cannot be verified');
    }
    const verdict = verifySignedBody(pending, request.rawBody ?? Buffer.alloc(0));
    if (!verdict.ok) throw signatureError(request, verdict.reason, verdict.logReason);
    if (signatures.replays !== null && !signatures.replays.remember(pending.auth.signature, pending.expiresAtMs, now().getTime())) {
      throw signatureError(request, REPLAYED);
    }
    request.pendingSignature = null;
  };
}

function precheckSignature(request: FastifyRequest, signatures: SignatureChecks): PendingSignature {
  const now = (signatures.now ?? (() => new Date()))();
  const head: SignedRequestHead = { method: request.method, rawUrl: request.raw.url ?? request.url, headers: request.headers, pathProjectId: pathProject(request) };
  const precheck = precheckSignedRequest(head, signatures.findAccessKey, now);
  if (!precheck.ok) throw signatureError(request, precheck.reason, precheck.logReason);
  // Refused before the body is read; the final, race-free check is remember() after verification.
  if (signatures.replays?.wasSeen(precheck.pending.auth.signature, now.getTime()) === true) throw signatureError(request, REPLAYED);
  return precheck.pending;
}

/** The client reads `reason`; keyheat's log also gets the cause the client is not told. */
function signatureError(request: FastifyRequest, reason: string, logReason?: string): KeyheatError {
  if (logReason !== undefined) request.log.info({ signature_failure: logReason }, 'signature refused');
  return new KeyheatError('signatureInvalid', { detail: reason });
}

function declaresBody(request: FastifyRequest): boolean {
  const length = request.headers['content-length'];
  return request.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
}

function pathProject(request: FastifyRequest): string {
  const projectId = (request.params as { project_id?: unknown }).project_id;
  return typeof projectId === 'string' ? projectId : '';
}
