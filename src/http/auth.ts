/**
 * X-Auth-Token checks for every /v2 route: no token -> 401 DCS.1003, unknown token -> 401
 * DCS.1001, another project's token -> 401 DCS.1004, read-only token on a write -> 403 DCS.3002.
 */
import type { FastifyRequest } from 'fastify';
import { KeyheatError } from '../domain/errors.js';
import type { TokenGrant } from '../storage/auth-repository.js';

export type Authenticate = (token: string) => Promise<TokenGrant | undefined>;

const READ_METHODS = new Set(['GET', 'HEAD']);

export function authHook(authenticate: Authenticate) {
  return async (request: FastifyRequest): Promise<void> => {
    const header = request.headers['x-auth-token'];
    const token = Array.isArray(header) ? header[0] : header;
    if (token === undefined || token === '') throw new KeyheatError('tokenMissing');
    const grant = await authenticate(token);
    if (grant === undefined) throw new KeyheatError('tokenInvalid');
    const projectId = (request.params as { project_id?: unknown }).project_id;
    if (projectId !== grant.projectId) throw new KeyheatError('projectMismatch');
    if (grant.role === 'readonly' && !READ_METHODS.has(request.method)) throw new KeyheatError('readOnly');
  };
}
