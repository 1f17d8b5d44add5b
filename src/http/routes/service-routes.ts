/**
 * Operations routes outside /v2 and its project authentication: GET /metrics (Prometheus
 * text format, optionally behind a bearer token) and GET /readyz (the store answers). /healthz
 * (liveness) stays in build-app.ts.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { KeyheatError } from '../../domain/errors.js';
import type { ReadinessService } from '../../service/readiness-service.js';
import { ErrorBody } from '../../wire/common-schemas.js';
import { bearerTokenHook } from '../bearer-token.js';

/** What the HTTP layer needs of the metrics: the exposition, and a place to record each request. */
export interface MetricsEndpoint {
  readonly contentType: string;
  render(): Promise<string>;
  /** `route` is the matched route's pattern, undefined when no route matched. */
  observeRequest(route: string | undefined, method: string, statusCode: number, seconds: number): void;
}

export interface ServiceRouteOptions {
  readonly metrics: MetricsEndpoint;
  /** Unset: /metrics is open. */
  readonly metricsToken: string | undefined;
  readonly readiness: ReadinessService;
}

/**
 * Times every response by route pattern, never the raw URL: /v2/<project>/instances/<id> is one
 * series whatever the ids, and a scanner probing random URLs adds none (they are `unmatched`).
 */
export function requestObserver(metrics: MetricsEndpoint) {
  return async (request: FastifyRequest, reply: FastifyReply): Promise<void> => {
    metrics.observeRequest(request.is404 ? undefined : request.routeOptions.url, request.method, reply.statusCode, reply.elapsedTime / 1000);
  };
}

export const serviceRoutes: FastifyPluginAsyncTypebox<ServiceRouteOptions> = async (app, { metrics, metricsToken, readiness }) => {
  app.get(
    '/metrics',
    {
      schema: {
        summary: 'Prometheus metrics (no project authentication; a bearer token when metrics.token is set)',
        tags: ['service'],
        security: [],
        response: {
          200: { description: 'Prometheus text exposition format 0.0.4', content: { 'text/plain': { schema: Type.String() } } },
          401: ErrorBody,
        },
      },
      ...(metricsToken === undefined ? {} : { onRequest: bearerTokenHook(metricsToken, 'keyheat metrics') }),
    },
    async (_request, reply) => {
      const text = await metrics.render();
      return reply.type(metrics.contentType).send(text);
    },
  );

  app.get(
    '/readyz',
    {
      schema: {
        summary: 'Readiness probe: the database answers (no authentication)',
        tags: ['service'],
        security: [],
        response: { 200: Type.Object({ status: Type.Literal('ready') }), 503: ErrorBody },
      },
    },
    async (request) => {
      const state = await readiness.check();
      if (state.ready) return { status: 'ready' as const };
      if (state.error !== undefined) request.log.warn({ err: state.error }, 'readiness: the database query failed');
      throw new KeyheatError('storeUnavailable', { detail: state.reason });
    },
  );
};
