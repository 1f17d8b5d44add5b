/**
 * The Fastify application factory (no listen: tests use inject). DCS wire rules live here:
 * X-Request-Id on every response, the DCS error envelope for every error, 404 DCS.4001 for
 * unknown URLs, and a JSON body parser that accepts an empty body (the DCS SDK sends
 * Content-Type: application/json with no body on create).
 */
import { randomUUID } from 'node:crypto';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { KeyheatError } from '../domain/errors.js';
import type { AutoscanService } from '../service/autoscan-service.js';
import type { InstanceService } from '../service/instance-service.js';
import type { ReadinessService } from '../service/readiness-service.js';
import type { TaskService } from '../service/task-service.js';
import { signatureHook, tokenHook, type Authenticate, type FindAccessKey } from './auth.js';
import { registerDashboard } from './dashboard.js';
import { envelope, errorHandler } from './error-handler.js';
import { registerOpenApi } from './openapi.js';
import { hotkeyRoutes } from './routes/hotkey-routes.js';
import { instanceRoutes } from './routes/instance-routes.js';
import { requestObserver, serviceRoutes, type MetricsEndpoint } from './routes/service-routes.js';

export interface HttpDependencies {
  readonly logger: Logger;
  readonly authenticate: Authenticate;
  readonly findAccessKey: FindAccessKey;
  readonly instances: InstanceService;
  readonly tasks: TaskService;
  readonly autoscan: AutoscanService;
  readonly metrics: MetricsEndpoint;
  /** metrics.token: when set, /metrics requires it as a bearer token. */
  readonly metricsToken: string | undefined;
  readonly readiness: ReadinessService;
}

declare module 'fastify' {
  interface FastifyInstance {
    /** Every route the API serves (method, URL pattern), for the OpenAPI completeness test. */
    keyheatRoutes: readonly { method: string; url: string }[];
  }
}

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;
const BODY_LIMIT = 1024 * 1024;

export async function buildHttpApp(deps: HttpDependencies): Promise<FastifyInstance> {
  const logger: FastifyBaseLogger = deps.logger;
  const app = Fastify({
    loggerInstance: logger,
    bodyLimit: BODY_LIMIT,
    // Honour a caller's X-Request-Id (a load balancer's) when it looks sane, else make one.
    genReqId: (request) => {
      const incoming = request.headers['x-request-id'];
      return typeof incoming === 'string' && REQUEST_ID.test(incoming) ? incoming : randomUUID().replaceAll('-', '');
    },
    ajv: { customOptions: { coerceTypes: 'array', removeAdditional: true, useDefaults: true, allErrors: false } },
  }).withTypeProvider<TypeBoxTypeProvider>();

  app.addHook('onRequest', async (request, reply) => {
    void reply.header('X-Request-Id', request.id);
  });
  app.addHook('onResponse', requestObserver(deps.metrics));

  app.decorateRequest('rawBody', '');
  app.decorateRequest('signaturePending', false);
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string', bodyLimit: BODY_LIMIT }, (request, body, done) => {
    const text = typeof body === 'string' ? body : body.toString('utf8');
    request.rawBody = text;
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

  app.setErrorHandler(errorHandler);
  app.setNotFoundHandler((request, reply) => {
    request.log.info({ method: request.method, url: request.url }, 'no such route');
    void reply.status(404).send(envelope(new KeyheatError('urlNotFound')));
  });

  await registerOpenApi(app);
  const routes: { method: string; url: string }[] = [];
  app.addHook('onRoute', (route) => {
    const hidden = (route.schema as { hide?: boolean } | undefined)?.hide === true;
    if (hidden || route.url.startsWith('/docs')) return;
    for (const method of [route.method].flat()) if (method !== 'HEAD') routes.push({ method, url: route.url });
  });
  app.decorate('keyheatRoutes', routes);

  app.get('/healthz', { schema: { summary: 'Liveness probe (no authentication)', tags: ['service'], security: [], response: { 200: Type.Object({ status: Type.Literal('ok') }) } } }, async () => ({
    status: 'ok' as const,
  }));
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
  await app.register(serviceRoutes, { metrics: deps.metrics, metricsToken: deps.metricsToken, readiness: deps.readiness });

  await app.register(
    async (v2) => {
      v2.addHook('onRequest', tokenHook(deps.authenticate));
      v2.addHook('preValidation', signatureHook(deps.findAccessKey));
      await v2.register(instanceRoutes, { instances: deps.instances });
      await v2.register(hotkeyRoutes, { tasks: deps.tasks, autoscan: deps.autoscan });
    },
    { prefix: '/v2/:project_id' },
  );
  await registerDashboard(app);
  return app;
}
