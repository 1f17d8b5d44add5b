/**
 * OpenAPI 3 document generated from the route schemas (served at /openapi.json) and Swagger UI
 * at /docs. Both authentication schemes are declared; every /v2 route accepts either.
 */
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';

export async function registerOpenApi(app: FastifyInstance): Promise<void> {
  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: 'keyheat',
        version: '0.1.0',
        description:
          'Hot key analysis for Redis behind the Huawei Cloud DCS hot key API. Paths, fields and error codes are those of ' +
          "DCS (see docs/dcs-api.md); fields marked 'keyheat' are additions a DCS client may ignore. Every error is " +
          '{error_code, error_msg, error_ext_msg} with an X-Request-Id header.',
      },
      components: {
        securitySchemes: {
          authToken: { type: 'apiKey', in: 'header', name: 'X-Auth-Token', description: 'A token of the project (admin or read-only).' },
          sdkHmacSha256: {
            type: 'apiKey',
            in: 'header',
            name: 'Authorization',
            description:
              'Huawei Cloud AK/SK signature: `SDK-HMAC-SHA256 Access=<AK>, SignedHeaders=<h1;h2>, Signature=<hex>` with X-Sdk-Date ' +
              '(within 15 minutes); host and x-sdk-date must be signed. What the Huawei Cloud SDKs send.',
          },
        },
      },
      security: [{ authToken: [] }, { sdkHmacSha256: [] }],
      tags: [
        { name: 'hotkey', description: 'The DCS hot key analysis API' },
        { name: 'bigkey', description: 'The DCS big key analysis API' },
        { name: 'instances', description: 'Redis deployments registered with keyheat (keyheat)' },
        { name: 'service', description: 'Operations' },
      ],
    },
  });
  await app.register(swaggerUi, { routePrefix: '/docs', uiConfig: { docExpansion: 'list', deepLinking: false } });
}
