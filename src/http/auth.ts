/**
 * Authentication for every /v2 route, by X-Auth-Token or by an SDK-HMAC-SHA256 signature:
 * no credentials -> 401 DCS.1003, unknown token -> 401 DCS.1001, another project's token ->
 * 401 DCS.1004, a signature failing any check -> 401 APIG.0301 (with the check that failed),
 * a read-only token on a write -> 403 DCS.3002.
 *
 * Tokens are checked as soon as the request arrives; a signature covers the body, so it is
 * checked once the body has been read (preValidation), before any handler runs.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { KeyheatError } from '../domain/errors.js';
import type { TokenGrant } from '../domain/auth.js';
import { verifySignedRequest, type AccessKey } from './aksk/verify-signature.js';

export type Authenticate = (token: string) => Promise<TokenGrant | undefined>;
export type FindAccessKey = (accessKey: string) => AccessKey | undefined;

const READ_METHODS = new Set(['GET', 'HEAD']);
const SIGNED = /^SDK-HMAC-SHA256\s/;

declare module 'fastify' {
  interface FastifyRequest {
    /** The request body as received, for signature checks ('' when none). */
    rawBody: string;
    /** Set when the request carries a signature still to be verified. */
    signaturePending: boolean;
  }
}

/** On every response to a token-authenticated request: `full` or `read-only`. */
export const ACCESS_HEADER = 'X-Keyheat-Access';

export function tokenHook(authenticate: Authenticate) {
  return async (request: FastifyRequest, reply: FastifyReply): Promise<void> => {
    const authorization = request.headers.authorization;
    if (authorization !== undefined && SIGNED.test(authorization)) {
      request.signaturePending = true;
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

export function signatureHook(findAccessKey: FindAccessKey, now: () => Date = () => new Date()) {
  return async (request: FastifyRequest): Promise<void> => {
    if (!request.signaturePending) return;
    const verdict = verifySignedRequest(
      { method: request.method, rawUrl: request.raw.url ?? request.url, headers: request.headers, rawBody: request.rawBody, pathProjectId: pathProject(request) },
      findAccessKey,
      now(),
    );
    if (!verdict.ok) throw new KeyheatError('signatureInvalid', { detail: verdict.reason });
    request.signaturePending = false;
  };
}

function pathProject(request: FastifyRequest): string {
  const projectId = (request.params as { project_id?: unknown }).project_id;
  return typeof projectId === 'string' ? projectId : '';
}
