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
import { ReplayGuard } from './aksk/replay-guard.js';
import { signatureHook, tokenHook, type Authenticate, type FindAccessKey, type SignatureChecks } from './auth.js';
import { registerDashboard } from './dashboard.js';
import { registerBodyParsers } from './body-parsers.js';
import { envelope, errorHandler, frameworkErrorHandler } from './error-handler.js';
import { rejectNonFiniteNumbers } from './finite-numbers.js';
import { ClientErrorResponder, serverFactory, type HttpServerSettings } from './http-server.js';
import { registerOpenApi } from './openapi.js';
import { bigkeyRoutes } from './routes/bigkey-routes.js';
import { expireRoutes } from './routes/expire-routes.js';
import { offlineRoutes } from './routes/offline-routes.js';
import { hotkeyRoutes } from './routes/hotkey-routes.js';
import { instanceRoutes } from './routes/instance-routes.js';
import { requestObserver, serviceRoutes, type MetricsEndpoint } from './routes/service-routes.js';

export interface HttpDependencies {
  readonly logger: Logger;
  readonly authenticate: Authenticate;
  readonly findAccessKey: FindAccessKey;
  /** auth.refuse_replays: refuse a signature used twice within its window (memory per process). */
  readonly refuseReplays: boolean;
  readonly instances: InstanceService;
  readonly tasks: TaskService;
  readonly autoscan: AutoscanService;
  readonly metrics: MetricsEndpoint;
  /** metrics.token: when set, /metrics requires it as a bearer token. */
  readonly metricsToken: string | undefined;
  readonly readiness: ReadinessService;
  /** Timeouts, the body limit and TLS (server: in the config). */
  readonly server: HttpServerSettings;
}

declare module 'fastify' {
  interface FastifyInstance {
    /** Every route the API serves (method, URL pattern), for the OpenAPI completeness test. */
    keyheatRoutes: readonly { method: string; url: string }[];
  }
}

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

export async function buildHttpApp(deps: HttpDependencies): Promise<FastifyInstance> {
  const logger: FastifyBaseLogger = deps.logger;
  const clientErrors = new ClientErrorResponder(logger);
  let stopping = false;
  const app = Fastify({
    loggerInstance: logger,
    bodyLimit: deps.server.maxBodyBytes,
    serverFactory: serverFactory(deps.server),
    clientErrorHandler: clientErrors.handle,
    frameworkErrors: frameworkErrorHandler,
    // Fastify's own 503 while closing is not the DCS envelope; the onRequest hook below answers instead.
    return503OnClosing: false,
    // Honour a caller's X-Request-Id (a load balancer's) when it looks sane, else make one.
    genReqId: (request) => {
      const incoming = request.headers['x-request-id'];
      return typeof incoming === 'string' && REQUEST_ID.test(incoming) ? incoming : randomUUID().replaceAll('-', '');
    },
    ajv: { customOptions: { coerceTypes: 'array', removeAdditional: false, useDefaults: true, allErrors: false } },
  }).withTypeProvider<TypeBoxTypeProvider>();

  app.addHook('onRequest', async (request, reply) => {
    void reply.header('X-Request-Id', request.id);
    // Every answer is what its Content-Type says: no browser sniffs JSON into HTML.
    void reply.header('X-Content-Type-Options', 'nosniff');
    if (stopping) {
      void reply.header('Connection', 'close');
      throw new KeyheatError('serviceStopping', { detail: 'keyheat is stopping; retry on another keyheat process' });
    }
  });
  app.addHook('preClose', async () => {
    stopping = true;
  });
  app.addHook('onRequest', clientErrors.onRequest);
  app.addHook('preHandler', rejectNonFiniteNumbers);
  app.addHook('onResponse', clientErrors.onResponse);
  app.addHook('onResponse', requestObserver(deps.metrics));

  registerBodyParsers(app, deps.server.maxBodyBytes);
  app.decorateRequest('pendingSignature', null);
  const signatures: SignatureChecks = { findAccessKey: deps.findAccessKey, replays: deps.refuseReplays ? new ReplayGuard() : null };

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
      v2.addHook('onRequest', tokenHook(deps.authenticate, signatures));
      v2.addHook('preValidation', signatureHook(signatures));
      await v2.register(instanceRoutes, { instances: deps.instances });
      await v2.register(hotkeyRoutes, { tasks: deps.tasks, autoscan: deps.autoscan });
      await v2.register(bigkeyRoutes, { tasks: deps.tasks, autoscan: deps.autoscan });
      await v2.register(expireRoutes, { tasks: deps.tasks, autoscan: deps.autoscan });
      await v2.register(offlineRoutes, { tasks: deps.tasks });
    },
    { prefix: '/v2/:project_id' },
  );
  await registerDashboard(app);
  return app;
}
