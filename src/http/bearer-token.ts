/**
 * `Authorization: Bearer <token>` against one configured token (metrics.token), for routes that
 * machines scrape. Both sides are hashed before the comparison, so timingSafeEqual compares
 * equal lengths and the time taken says nothing about the token, its length included.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { KeyheatError } from '../domain/errors.js';

const BEARER = /^Bearer +(\S+) *$/i;

export function bearerTokenHook(token: string, realm: string) {
  const expected = digest(token);
  return async (request: FastifyRequest, reply: FastifyReply): Promise<void> => {
    const presented = BEARER.exec(request.headers.authorization ?? '')?.[1];
    if (presented !== undefined && timingSafeEqual(digest(presented), expected)) return;
    // RFC 6750: a 401 names the scheme the client should use.
    void reply.header('WWW-Authenticate', `Bearer realm="${realm}"`);
    throw new KeyheatError(presented === undefined ? 'tokenMissing' : 'tokenInvalid', {
      detail: presented === undefined ? 'send Authorization: Bearer <metrics.token>' : 'the bearer token is not metrics.token',
    });
  };
}

function digest(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}
