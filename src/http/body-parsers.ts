/**
 * The request body parsers. Each keeps the body's bytes exactly as received in
 * `request.rawBody`, because an SDK-HMAC-SHA256 signature covers their hash whatever the
 * content type. Only JSON and text/plain are parsed; any other content type is refused (415)
 * before a handler runs, and a signed request whose body no parser read is refused by the
 * signature check rather than verified as if it were empty (auth.ts).
 */
import type { FastifyInstance } from 'fastify';
import { KeyheatError } from '../domain/errors.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The body bytes as received; null when no parser read a body. */
    rawBody: Buffer | null;
  }
}

export function registerBodyParsers(app: FastifyInstance, bodyLimit: number): void {
  app.decorateRequest('rawBody', null);
  app.removeContentTypeParser(['application/json', 'text/plain']);
  // Accepts an empty body: the DCS SDK sends Content-Type: application/json with no body on create.
  app.addContentTypeParser('application/json', { parseAs: 'buffer', bodyLimit }, (request, body: Buffer, done) => {
    request.rawBody = body;
    const text = body.toString('utf8');
    if (text.trim() === '') {
      done(null, undefined);
      return;
    }
    try {
      done(null, JSON.parse(text));
    } catch (error) {
      done(new KeyheatError('invalidJson', { detail: (error as Error).message, cause: error }), undefined);
    }
  });
  // Fastify's default text/plain parser, kept (the schemas refuse a text body) but with its bytes kept too.
  app.addContentTypeParser('text/plain', { parseAs: 'buffer', bodyLimit }, (request, body: Buffer, done) => {
    request.rawBody = body;
    done(null, body.toString('utf8'));
  });
}
