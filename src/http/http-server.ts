/**
 * The Node server under Fastify: plain HTTP or HTTPS (Node's own TLS), with every timeout set,
 * and the DCS envelope for the errors Node itself detects before Fastify sees a request
 * (malformed HTTP, headers over 16 KiB, a request that does not arrive in time).
 */
import { randomUUID } from 'node:crypto';
import http, { STATUS_CODES } from 'node:http';
import https from 'node:https';
import type { Socket } from 'node:net';
import type { FastifyBaseLogger, FastifyReply, FastifyRequest, FastifyServerFactory } from 'fastify';
import { KeyheatError } from '../domain/errors.js';
import { envelope } from './error-handler.js';

export interface HttpServerSettings {
  /** The request line, headers and body must arrive in full within this (slow senders are cut off). */
  readonly requestTimeoutMs: number;
  readonly keepAliveTimeoutMs: number;
  /** A socket on which nothing moves this long is closed. */
  readonly idleTimeoutMs: number;
  readonly maxBodyBytes: number;
  /** PEM certificate chain and key: serve HTTPS. */
  readonly tls?: { readonly cert: Buffer; readonly key: Buffer } | undefined;
}

/** Headers are small; a client still sending them after this long is stalling on purpose. */
const MAX_HEADERS_TIMEOUT_MS = 10_000;

export function serverFactory(settings: HttpServerSettings): FastifyServerFactory {
  const requestTimeout = settings.requestTimeoutMs;
  const options: http.ServerOptions = {
    requestTimeout,
    headersTimeout: Math.min(MAX_HEADERS_TIMEOUT_MS, requestTimeout),
    // Node checks the two timeouts above only this often (30 s by default), so a timeout would
    // otherwise fire up to 30 s late.
    connectionsCheckingInterval: Math.max(50, Math.min(1000, Math.floor(requestTimeout / 4))),
  };
  return (handler) => {
    const server = settings.tls === undefined ? http.createServer(options, handler) : https.createServer({ ...options, cert: settings.tls.cert, key: settings.tls.key }, handler);
    server.keepAliveTimeout = settings.keepAliveTimeoutMs;
    server.setTimeout(settings.idleTimeoutMs);
    return server;
  };
}

/**
 * Answers Node's client errors with the DCS envelope. A request already handed to Fastify (its
 * body was arriving too slowly) keeps the request id it was logged under.
 */
export class ClientErrorResponder {
  private readonly inFlight = new WeakMap<Socket, { readonly request: FastifyRequest; readonly reply: FastifyReply }>();

  constructor(private readonly log: FastifyBaseLogger) {}

  readonly onRequest = async (request: FastifyRequest, reply: FastifyReply): Promise<void> => {
    this.inFlight.set(request.raw.socket, { request, reply });
  };

  readonly onResponse = async (request: FastifyRequest): Promise<void> => {
    if (this.inFlight.get(request.raw.socket)?.request === request) this.inFlight.delete(request.raw.socket);
  };

  readonly handle = (error: NodeJS.ErrnoException, socket: Socket): void => {
    const inFlight = this.inFlight.get(socket);
    this.inFlight.delete(socket);
    if (error.code === 'ECONNRESET' || socket.destroyed) return;
    const keyheatError = clientErrorOf(error);
    const id = inFlight?.request.id ?? randomUUID().replaceAll('-', '');
    this.log.info({ reqId: id, error_code: keyheatError.spec.dcsCode, http_status: keyheatError.spec.httpStatus, err_code: error.code }, keyheatError.detail ?? keyheatError.message);
    // Once an answer has begun on this socket, another would corrupt it: just close.
    if (socket.writable && inFlight?.reply.raw.headersSent !== true) {
      const body = JSON.stringify(envelope(keyheatError));
      const status = keyheatError.spec.httpStatus;
      socket.write(
        `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Error'}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n` +
          `X-Request-Id: ${id}\r\nConnection: close\r\n\r\n${body}`,
      );
    }
    socket.destroy();
  };
}

function clientErrorOf(error: NodeJS.ErrnoException): KeyheatError {
  switch (error.code) {
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return new KeyheatError('requestTimeout', { params: ['request'], detail: 'the request did not arrive in full in time (server.request_timeout_ms)' });
    case 'HPE_HEADER_OVERFLOW':
      return new KeyheatError('headersTooLarge', { params: ['headers'], detail: 'the request line and headers exceed 16 KiB' });
    default:
      return new KeyheatError('invalidParameter', { params: ['request'], detail: `the request is not valid HTTP/1.1 (${error.code ?? 'parse error'})` });
  }
}
