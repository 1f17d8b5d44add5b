/**
 * Turns every error into the DCS envelope {error_code, error_msg, error_ext_msg}. Internals of
 * unexpected errors go to the log with the request id, never into the response body.
 */
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { ERROR_CATALOGUE, KeyheatError, invalidParameter, type ErrorSpec } from '../domain/errors.js';
import { kindsPhrase } from '../domain/task-kinds.js';
import { TASK_OPTIONS } from '../domain/task-options.js';

export interface ErrorEnvelope {
  error_code: string;
  error_msg: string;
  error_ext_msg: string | null;
}

export function envelope(error: KeyheatError): ErrorEnvelope {
  return { error_code: error.spec.dcsCode, error_msg: error.message, error_ext_msg: error.detail ?? null };
}

export function toKeyheatError(error: FastifyError | Error, request: FastifyRequest): KeyheatError {
  if (error instanceof KeyheatError) return error;
  const fastifyError = error as FastifyError;
  if (fastifyError.validation !== undefined) {
    if (fastifyError.validationContext === 'body' && (request.body === undefined || request.body === null)) {
      return new KeyheatError('emptyBody');
    }
    const first = fastifyError.validation[0];
    // A field the body does not have (additionalProperties: false): a typo is refused, never ignored.
    const unknown = (first?.params as { additionalProperty?: unknown } | undefined)?.additionalProperty;
    if (typeof unknown === 'string') {
      const where = (first?.instancePath ?? '').replace(/^\//, '');
      const name = where === '' ? unknown : `${where}.${unknown}`;
      // An option of another kind of task: say whose it is.
      const option = where === '' ? TASK_OPTIONS.find((spec) => spec.wire === unknown) : undefined;
      if (option !== undefined) return invalidParameter(name, `${name} is for ${kindsPhrase(option.kinds)} only`);
      return invalidParameter(name, `${name} is not a field of this ${fastifyError.validationContext ?? 'request'}: check its spelling (GET /openapi.json lists every body's fields)`);
    }
    const missing = (first?.params as { missingProperty?: unknown } | undefined)?.missingProperty;
    const path = typeof missing === 'string' ? missing : (first?.instancePath ?? '').replace(/^\//, '').split('/')[0];
    const name = path === undefined || path === '' ? (fastifyError.validationContext ?? 'request') : path;
    return invalidParameter(name, `${name} ${first?.message ?? 'is invalid'}`);
  }
  switch (fastifyError.code) {
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new KeyheatError('invalidJson', { detail: 'send the body as Content-Type: application/json' });
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new KeyheatError('bodyTooLarge', { params: ['body'], detail: 'the request body is larger than server.max_body_bytes' });
    case 'FST_ERR_BAD_URL':
      return invalidParameter('path', 'the URL path has an invalid percent-encoding');
    case 'FST_ERR_MAX_PARAM_LENGTH':
      return invalidParameter('path', 'a path parameter is longer than 100 characters');
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return invalidParameter('Content-Length');
    default:
      break;
  }
  if (typeof fastifyError.statusCode === 'number' && fastifyError.statusCode >= 400 && fastifyError.statusCode < 500) {
    return invalidParameter('request', fastifyError.message);
  }
  return new KeyheatError('internal', { cause: error });
}

/**
 * Fastify's router errors (an invalid percent-encoding, an over-long path parameter) come here,
 * before any hook has run: the X-Request-Id header is set here.
 */
export function frameworkErrorHandler(error: FastifyError, request: FastifyRequest, reply: FastifyReply): void {
  void reply.header('X-Request-Id', request.id);
  errorHandler(error, request, reply);
}

export function errorHandler(error: FastifyError | Error, request: FastifyRequest, reply: FastifyReply): void {
  const keyheatError = toKeyheatError(error, request);
  const spec: ErrorSpec = keyheatError.spec;
  if (spec === ERROR_CATALOGUE.internal) {
    request.log.error({ err: error }, 'unexpected error');
  } else {
    request.log.info({ error_code: spec.dcsCode, error_ext_msg: keyheatError.detail }, keyheatError.message);
  }
  // Huawei Cloud's gateway puts the request id in the body of its signature errors too.
  const body = keyheatError.kind === 'signatureInvalid' ? { ...envelope(keyheatError), request_id: request.id } : envelope(keyheatError);
  // Throttled: a preflight takes seconds at most, so a second later there may be room.
  if (spec.httpStatus === 429) void reply.header('Retry-After', '1');
  void reply.status(spec.httpStatus).send(body);
}
