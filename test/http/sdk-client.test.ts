/**
 * The published Huawei Cloud SDK core as a real client: requests signed with SDK-HMAC-SHA256 by
 * the SDK itself, over HTTP, the whole hot key family, and 4xx arriving as the SDK's
 * ClientRequestException with the right errorCode and requestId.
 */
import { ClientRequestException } from '@huaweicloud/huaweicloud-sdk-core/exception/ClientRequestException.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { P1, startHarness, type Harness } from '../helpers/keyheat-harness.js';
import { dcsPart, undocumentedFields } from '../helpers/dcs-fields.js';
import { dcsClient, type TestDcsClient } from '../helpers/dcs-sdk-client.js';
import { startRedis, type RedisServer } from '../helpers/redis-server.js';
import { seedRedis } from '../helpers/seed-keys.js';
import { STORES } from '../helpers/stores.js';

const AK = 'KEYHEATTESTAK000001';
const SK = 'keyheat-test-secret-key-0000000000000001';

async function rejection(promise: Promise<unknown>): Promise<ClientRequestException> {
  try {
    await promise;
  } catch (error) {
    return error as ClientRequestException;
  }
  throw new Error('the request succeeded');
}

describe.each(STORES)('the Huawei Cloud SDK against keyheat on the %s store', (store) => {
  let redis: RedisServer;
  let harness: Harness;
  let endpoint: string;
  let client: TestDcsClient;
  let instanceId: string;

  beforeAll(async () => {
    redis = await startRedis({ lfuLogFactor: 0, lfuDecayTime: 0 });
    await seedRedis(redis, [{ name: 'sdk:hot', db: 2, type: 'hash', size: 2, hits: 33 }]);
    harness = await startHarness({
      store,
      config: {
        projects: [{ project_id: P1, tokens: ['admin-token-p1-0000000000000001'], access_keys: [{ ak: AK, sk: SK }] }],
      },
    });
    await harness.keyheat.http.listen({ host: '127.0.0.1', port: 0 });
    const address = harness.keyheat.http.server.address();
    endpoint = `http://127.0.0.1:${typeof address === 'object' && address !== null ? address.port : 0}`;
    client = dcsClient(endpoint, { ak: AK, sk: SK, projectId: P1 });
    instanceId = await harness.registerInstance(redis.url);
  });
  afterAll(async () => {
    await harness?.close({ removeData: true });
    await redis?.stop();
  });

  it('creates a task and polls it to success', async () => {
    const created = await client.createHotkeyScanTask(instanceId);
    expect(created).toMatchObject({ httpStatusCode: 200, instance_id: instanceId, status: 'waiting', scan_type: 'manual', num: 0 });
    let task = created;
    for (let i = 0; i < 200 && task['status'] !== 'success'; i++) {
      await new Promise((r) => setTimeout(r, 50));
      task = await client.showHotkeyTaskDetails(instanceId, created['id'] as string);
    }
    expect(task['status']).toBe('success');
    const keys = task['keys'] as Record<string, unknown>[];
    // The DCS fields exactly; anything else is one of keyheat's documented additions.
    expect(keys.map(dcsPart)).toEqual([{ name: 'sdk:hot', type: 'hash', db: 2, size: 2, unit: 'count', freq: 38 }]);
    expect(keys.flatMap(undocumentedFields)).toEqual([]);
    expect(task['num']).toBe(1);
  });

  it('lists with query parameters', async () => {
    const list = await client.listHotKeyScanTasks(instanceId, { offset: 0, limit: 10, status: 'success' });
    expect(list).toMatchObject({ httpStatusCode: 200, instance_id: instanceId, count: 1 });
    expect((list['records'] as unknown[]).length).toBe(1);
    const none = await client.listHotKeyScanTasks(instanceId, { status: 'failed' });
    expect(none).toMatchObject({ count: 0, records: [] });
  });

  it('puts and gets the autoscan configuration', async () => {
    const put = await client.updateHotkeyAutoScanConfig(instanceId, { enable_auto_scan: true, schedule_at: ['21:00'] });
    expect(put).toMatchObject({ httpStatusCode: 200, instance_id: instanceId, enable_auto_scan: true, schedule_at: ['21:00'] });
    const shown = await client.showHotkeyAutoscanConfig(instanceId);
    expect(shown).toMatchObject({ enable_auto_scan: true, schedule_at: ['21:00'], updated_at: put['updated_at'] });
  });

  it('deletes a task', async () => {
    const list = await client.listHotKeyScanTasks(instanceId);
    const id = (list['records'] as Record<string, unknown>[])[0]!['id'] as string;
    const deleted = await client.deleteHotkeyScanTask(instanceId, id);
    expect(deleted).toMatchObject({ httpStatusCode: 200, id, status: 'success' });
    expect((await client.listHotKeyScanTasks(instanceId))['count']).toBe(0);
  });

  it('surfaces a 4xx as ClientRequestException with errorCode and requestId', async () => {
    const error = await rejection(client.showHotkeyTaskDetails(instanceId, 'no-such-task'));
    expect(error).toBeInstanceOf(ClientRequestException);
    expect(error.httpStatusCode).toBe(400);
    expect(error.errorCode).toBe('DCS.4941');
    expect(error.errorMsg).toBe('The hotkey id does not exist.');
    expect(error.requestId).toMatch(/^[0-9a-f]{32}$/);
    const missing = await rejection(client.createHotkeyScanTask('no-such-instance'));
    expect(missing.httpStatusCode).toBe(404);
    expect(missing.errorCode).toBe('DCS.3022');
  });

  it('refuses a wrong secret key with APIG.0301', async () => {
    const wrong = dcsClient(endpoint, { ak: AK, sk: 'not-the-secret', projectId: P1 });
    const error = await rejection(wrong.listHotKeyScanTasks(instanceId));
    expect(error).toBeInstanceOf(ClientRequestException);
    expect(error.httpStatusCode).toBe(401);
    expect(error.errorCode).toBe('APIG.0301');
    expect(error.requestId).toMatch(/^[0-9a-f]{32}$/);
    const unknown = dcsClient(endpoint, { ak: 'NOSUCHAK', sk: SK, projectId: P1 });
    expect((await rejection(unknown.listHotKeyScanTasks(instanceId))).errorCode).toBe('APIG.0301');
  });

  it('puts the request id in the body of a signature error, as the gateway does', async () => {
    const response = await fetch(`${endpoint}/v2/${P1}/instances/${instanceId}/hotkey-tasks`, {
      headers: { authorization: `SDK-HMAC-SHA256 Access=${AK}, SignedHeaders=host;x-sdk-date, Signature=${'0'.repeat(64)}`, 'x-sdk-date': '20240101T000000Z' },
    });
    const body = (await response.json()) as Record<string, unknown>;
    expect(response.status).toBe(401);
    expect(body).toMatchObject({ error_code: 'APIG.0301', request_id: response.headers.get('x-request-id') });
    expect(body['error_ext_msg']).toMatch(/minutes away from the server clock/);
  });

  it('refuses a signed request for another project', async () => {
    const other = dcsClient(endpoint, { ak: AK, sk: SK, projectId: 'fedcba9876543210fedcba9876543210' });
    const error = await rejection(other.listHotKeyScanTasks(instanceId));
    expect(error.httpStatusCode).toBe(401);
    expect(error.errorCode).toBe('APIG.0301');
  });
});
