/** /openapi.json documents every route with every response it can give, and /docs serves Swagger UI. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from '../helpers/keyheat-harness.js';

interface OpenApi {
  openapi: string;
  paths: Record<string, Record<string, { responses: Record<string, { content?: Record<string, { schema?: unknown }> }>; security?: unknown[]; operationId?: string }>>;
  components: { securitySchemes: Record<string, { type: string; name: string }> };
  security: Record<string, unknown[]>[];
}

let harness: Harness;
let spec: OpenApi;

beforeAll(async () => {
  harness = await startHarness({ start: false });
  const response = await harness.keyheat.http.inject({ method: 'GET', url: '/openapi.json' });
  expect(response.statusCode).toBe(200);
  spec = JSON.parse(response.body) as OpenApi;
});
afterAll(async () => harness?.close({ removeData: true }));

const toOpenApiPath = (url: string) => url.replace(/:(\w+)/g, '{$1}');

describe('the OpenAPI document', () => {
  it('is OpenAPI 3 with both authentication schemes, either accepted', () => {
    expect(spec.openapi).toMatch(/^3\./);
    expect(spec.components.securitySchemes['authToken']).toMatchObject({ type: 'apiKey', name: 'X-Auth-Token' });
    expect(spec.components.securitySchemes['sdkHmacSha256']).toMatchObject({ type: 'apiKey', name: 'Authorization' });
    expect(spec.security).toEqual([{ authToken: [] }, { sdkHmacSha256: [] }]);
  });

  it('documents every registered route', () => {
    const routes = harness.keyheat.http.keyheatRoutes;
    expect(routes.length).toBeGreaterThanOrEqual(11);
    for (const route of routes.filter((r) => r.url !== '/openapi.json')) {
      const path = spec.paths[toOpenApiPath(route.url)];
      expect(path, `${route.method} ${route.url}`).toBeDefined();
      expect(path?.[route.method.toLowerCase()], `${route.method} ${route.url}`).toBeDefined();
    }
  });

  it('gives every /v2 route its success response and every DCS error status, each with a body schema', () => {
    for (const route of harness.keyheat.http.keyheatRoutes.filter((r) => r.url.startsWith('/v2/'))) {
      const operation = spec.paths[toOpenApiPath(route.url)]![route.method.toLowerCase()]!;
      const statuses = Object.keys(operation.responses).sort();
      const success = route.method === 'DELETE' && route.url.endsWith(':instance_id') ? '204' : '200';
      expect(statuses, `${route.method} ${route.url}`).toEqual([success, '400', '401', '403', '404', '500'].sort());
      for (const status of ['400', '401', '403', '404', '500']) {
        const schema = operation.responses[status]?.content?.['application/json']?.schema as { properties?: Record<string, unknown> } | undefined;
        expect(Object.keys(schema?.properties ?? {}).sort(), `${route.method} ${route.url} ${status}`).toEqual(['error_code', 'error_ext_msg', 'error_msg', 'request_id']);
        expect((schema as { required?: string[] }).required?.sort()).toEqual(['error_code', 'error_ext_msg', 'error_msg']);
      }
      if (success === '200') expect(operation.responses['200']?.content?.['application/json']?.schema, `${route.method} ${route.url}`).toBeDefined();
    }
  });

  it('names the DCS operations as the SDKs do', () => {
    const ids = Object.values(spec.paths).flatMap((methods) => Object.values(methods).map((op) => op.operationId)).filter(Boolean);
    // The DCS SDK's operations, and keyheat's additions (one expired key scan, its delete, the nodes' ids as DCS lists them, the backups).
    expect(ids.sort()).toEqual([
      'CreateAutoExpireScanTask',
      'CreateBigkeyScanTask',
      'CreateHotkeyScanTask',
      'CreateOfflineKeyAnalysis',
      'DeleteBigkeyScanTask',
      'DeleteExpireKeyScanTask',
      'DeleteHotkeyScanTask',
      'DeleteOfflineKeyAnalysisTask',
      'ListBackups',
      'ListBigkeyScanTasks',
      'ListHotKeyScanTasks',
      'ListInstanceNodes',
      'ListOfflineKeyAnalysisNodes',
      'ListOfflineKeyAnalysisTask',
      'ScanExpireKey',
      'ShowBigkeyAutoscanConfig',
      'ShowBigkeyScanTaskDetails',
      'ShowExpireAutoScanConfig',
      'ShowExpireKeyScanInfo',
      'ShowExpireKeyScanTask',
      'ShowHotkeyAutoscanConfig',
      'ShowHotkeyTaskDetails',
      'ShowOfflineKeyAnalysisTask',
      'UpdateBigkeyAutoscanConfig',
      'UpdateExpireAutoScanConfig',
      'UpdateHotkeyAutoScanConfig',
    ]);
  });

  it('is served with Swagger UI at /docs, without a token', async () => {
    const page = await harness.keyheat.http.inject({ method: 'GET', url: '/docs/' });
    const redirected = page.statusCode === 302 ? await harness.keyheat.http.inject({ method: 'GET', url: String(page.headers.location) }) : page;
    expect(redirected.statusCode).toBe(200);
    expect(redirected.body).toMatch(/swagger/i);
  });
});
