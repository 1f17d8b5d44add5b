/**
 * The DCS API surface through Fastify inject, with a real store and a real Redis: authentication
 * and isolation, instances, the hot key task family, autoscan, and the error envelope.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OTHER, P1, P2, READONLY, startHarness, type Harness } from '../helpers/keyheat-harness.js';
import { startRedis, type RedisServer } from '../helpers/redis-server.js';
import { STORES } from '../helpers/stores.js';

describe.each(STORES)('%s store', (store) => {
  const TIME = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;

  let redis: RedisServer;
  let harness: Harness;
  let instanceId: string;
  const logLines: string[] = [];

  beforeAll(async () => {
    redis = await startRedis({ password: 's3cret-Pa55' });
    await redis.command(['SET', 'k', 'v']);
    harness = await startHarness({ store, logLines });
    instanceId = await harness.registerInstance(redis.url, 'cache-1');
  });

  afterAll(async () => {
    await harness?.close({ removeData: true });
    await redis?.stop();
  });

  const base = () => `/v2/${P1}/instances/${instanceId}`;

  describe('authentication and isolation', () => {
    it('answers 401 DCS.1003 without a token', async () => {
      const response = await harness.request('GET', `/v2/${P1}/instances`, { token: null });
      expect(response.status).toBe(401);
      expect(response.body).toEqual({ error_code: 'DCS.1003', error_msg: 'No token in the request.', error_ext_msg: null });
    });

    it('answers 401 DCS.1001 for an unknown token', async () => {
      const response = await harness.request('GET', `/v2/${P1}/instances`, { token: 'not-a-token-of-anyone-here' });
      expect(response.status).toBe(401);
      expect(response.body['error_code']).toBe('DCS.1001');
    });

    it("answers 401 DCS.1004 for another project's token", async () => {
      const response = await harness.request('GET', `/v2/${P1}/instances`, { token: OTHER });
      expect(response.status).toBe(401);
      expect(response.body['error_code']).toBe('DCS.1004');
    });

    it('lets a read-only token read but not write (403 DCS.3002), and says which it is', async () => {
      const read = await harness.request('GET', `${base()}/hotkey-tasks`, { token: READONLY });
      expect(read.status).toBe(200);
      expect(read.headers['x-keyheat-access']).toBe('read-only');
      expect((await harness.request('GET', `${base()}/hotkey-tasks`)).headers['x-keyheat-access']).toBe('full');
      for (const [method, url, body] of [
        ['POST', `${base()}/hotkey-task`, undefined],
        ['PUT', `${base()}/hotkey/autoscan`, { enable_auto_scan: false, schedule_at: [] }],
        ['DELETE', `${base()}/hotkey-task/whatever`, undefined],
        ['POST', `/v2/${P1}/instances`, { name: 'x', url: redis.url }],
        ['DELETE', base(), undefined],
      ] as const) {
        const response = await harness.request(method, url, { token: READONLY, body });
        expect(response.status, `${method} ${url}`).toBe(403);
        expect(response.body['error_code']).toBe('DCS.3002');
        expect(response.headers['x-keyheat-access']).toBe('read-only');
      }
    });

    it("shows nothing of one project's instances to another (404 DCS.3022)", async () => {
      const other = `/v2/${P2}/instances/${instanceId}`;
      for (const [method, url] of [
        ['GET', other],
        ['DELETE', other],
        ['POST', `${other}/hotkey-task`],
        ['GET', `${other}/hotkey-tasks`],
        ['GET', `${other}/hotkey/autoscan`],
      ] as const) {
        const response = await harness.request(method, url, { token: OTHER });
        expect(response.status, `${method} ${url}`).toBe(404);
        expect(response.body['error_code']).toBe('DCS.3022');
      }
      const list = await harness.request('GET', `/v2/${P2}/instances`, { token: OTHER });
      expect(list.body).toEqual({ instances: [], instance_num: 0 });
    });
  });

  describe('instances', () => {
    it('registers with detected version and mode, and never echoes the password', async () => {
      const response = await harness.request('POST', `/v2/${P1}/instances`, { body: { name: 'cache-2', url: `redis://127.0.0.1:${redis.port}`, password: 's3cret-Pa55' } });
      expect(response.status).toBe(200);
      expect(response.body).toMatchObject({ name: 'cache-2', engine: 'Redis', mode: 'single', ip: '127.0.0.1', port: redis.port, status: 'RUNNING' });
      expect(response.body['engine_version']).toMatch(/^\d+\.\d+\.\d+$/);
      expect(response.body['created_at']).toMatch(TIME);
      const all = await harness.request('GET', `/v2/${P1}/instances`);
      expect(all.body['instance_num']).toBe(2);
      const shown = await harness.request('GET', `/v2/${P1}/instances/${response.body['instance_id'] as string}`);
      expect(shown.body).toEqual(response.body);
      for (const text of [response.text, all.text, shown.text, ...logLines]) expect(text).not.toContain('s3cret-Pa55');
      expect(logLines.length).toBeGreaterThan(0);
    });

    it('refuses an unreachable Redis and a wrong password with a clear 400', async () => {
      const unreachable = await harness.request('POST', `/v2/${P1}/instances`, { body: { name: 'x', url: 'redis://127.0.0.1:1' } });
      expect(unreachable.status).toBe(400);
      expect(unreachable.body).toMatchObject({ error_code: 'DCS.4800', error_msg: 'Invalid url in the request.' });
      expect(unreachable.body['error_ext_msg']).toBe('cannot reach Redis: no Redis answered at 127.0.0.1:1 (nothing listening, no answer in time, or not a Redis)');

      const wrong = await harness.request('POST', `/v2/${P1}/instances`, { body: { name: 'x', url: `redis://:nope@127.0.0.1:${redis.port}` } });
      expect(wrong.status).toBe(400);
      expect(wrong.body).toMatchObject({ error_code: 'DCS.4800', error_msg: 'Invalid password in the request.' });

      const missing = await harness.request('POST', `/v2/${P1}/instances`, { body: { name: 'x', url: `redis://127.0.0.1:${redis.port}` } });
      expect(missing.body['error_ext_msg']).toMatch(/requires a password/);
      expect(logLines.join('\n')).not.toContain('nope@');
    });

    it('validates the registration body', async () => {
      const badScheme = await harness.request('POST', `/v2/${P1}/instances`, { body: { name: 'x', url: 'http://127.0.0.1:6379' } });
      expect(badScheme.body).toMatchObject({ error_code: 'DCS.4800', error_msg: 'Invalid url in the request.' });
      const noName = await harness.request('POST', `/v2/${P1}/instances`, { body: { url: redis.url } });
      expect(noName.body).toMatchObject({ error_code: 'DCS.4800', error_msg: 'Invalid name in the request.' });
      for (const name of ['nul\u0000name', 'esc\u001b[31m', 'two\nlines', 'bidi\u202egpj.exe', 'c1\u0085']) {
        const refused = await harness.request('POST', `/v2/${P1}/instances`, { body: { name, url: redis.url } });
        expect(refused.status, JSON.stringify(name)).toBe(400);
        expect(refused.body).toMatchObject({ error_code: 'DCS.4800', error_msg: 'Invalid name in the request.' });
      }
      const list = await harness.request('GET', `/v2/${P1}/instances`);
      expect(JSON.stringify(list.body)).not.toMatch(/nul\\u0000|bidi/);
    });

    it('deletes an instance with its tasks', async () => {
      const id = await harness.registerInstance(redis.url, 'short-lived');
      const task = await harness.createTask(id);
      await harness.waitForTask(id, task.body['id'] as string);
      const deleted = await harness.request('DELETE', `/v2/${P1}/instances/${id}`);
      expect(deleted.status).toBe(204);
      expect((await harness.request('GET', `/v2/${P1}/instances/${id}`)).status).toBe(404);
      expect((await harness.request('GET', `/v2/${P1}/instances/${id}/hotkey-task/${task.body['id'] as string}`)).body['error_code']).toBe('DCS.3022');
      expect(await harness.keyheat.store.tasks.getById(task.body['id'] as string)).toBeUndefined();
    });
  });

  describe('the hot key task family', () => {
    const taskIds: string[] = [];

    beforeAll(async () => {
      // Three finished tasks, oldest first.
      for (let i = 0; i < 3; i++) {
        const created = await harness.createTask(instanceId);
        expect(created.status).toBe(200);
        taskIds.push(created.body['id'] as string);
        await harness.waitForTask(instanceId, created.body['id'] as string);
      }
    });

    it('creates exactly as the seed says', async () => {
      const other = await harness.registerInstance(redis.url, 'seed-shape');
      const created = await harness.request('POST', `/v2/${P1}/instances/${other}/hotkey-task`, { headers: { 'content-type': 'application/json' } });
      expect(created.status).toBe(200);
      expect(Object.keys(created.body).sort()).toEqual(['created_at', 'id', 'instance_id', 'num', 'scan_type', 'status']);
      expect(created.body).toMatchObject({ instance_id: other, status: 'waiting', scan_type: 'manual', num: 0 });
      expect(created.body['created_at']).toMatch(TIME);
      await harness.waitForTask(other, created.body['id'] as string);
    });

    it('lists newest first with the total count, paging and a status filter', async () => {
      const all = await harness.request('GET', `${base()}/hotkey-tasks`);
      expect(all.status).toBe(200);
      expect(all.body['instance_id']).toBe(instanceId);
      expect(all.body['count']).toBe(3);
      const records = all.body['records'] as Record<string, unknown>[];
      expect(records.map((r) => r['id'])).toEqual([...taskIds].reverse());
      for (const record of records) {
        expect(Object.keys(record).sort()).toEqual(['created_at', 'finished_at', 'id', 'scan_type', 'started_at', 'status']);
      }
      const page = await harness.request('GET', `${base()}/hotkey-tasks?offset=1&limit=1`);
      expect(page.body['count']).toBe(3);
      expect((page.body['records'] as Record<string, unknown>[]).map((r) => r['id'])).toEqual([taskIds[1]]);
      const failed = await harness.request('GET', `${base()}/hotkey-tasks?status=failed`);
      expect(failed.body).toMatchObject({ count: 0, records: [] });
      const success = await harness.request('GET', `${base()}/hotkey-tasks?status=success&limit=1000`);
      expect(success.body['count']).toBe(3);
    });

    it('rejects bad list parameters naming them', async () => {
      for (const [query, name] of [
        ['limit=0', 'limit'],
        ['limit=1001', 'limit'],
        ['limit=ten', 'limit'],
        ['offset=-1', 'offset'],
        ['status=done', 'status'],
      ]) {
        const response = await harness.request('GET', `${base()}/hotkey-tasks?${query}`);
        expect(response.status, query).toBe(400);
        expect(response.body).toMatchObject({ error_code: 'DCS.4800', error_msg: `Invalid ${name} in the request.` });
      }
    });

    it('refuses a create body field it does not know, naming it, for every kind', async () => {
      for (const [path, field] of [
        ['hotkey-task', 'max_cpu_shar'],
        ['bigkey-task', 'string_byte'],
        ['hotkey-task', 'string_bytes'],
      ] as const) {
        const response = await harness.request('POST', `${base()}/${path}`, { body: { [field]: 1 } });
        expect(response.status, `${path} ${field}`).toBe(400);
        expect(response.body, `${path} ${field}`).toMatchObject({ error_code: 'DCS.4800', error_msg: `Invalid ${field} in the request.` });
      }
      const typo = await harness.request('POST', `${base()}/hotkey-task`, { body: { max_cpu_shar: 0.2 } });
      expect(typo.body['error_ext_msg']).toMatch(/max_cpu_shar is not a field of this body/);
      const foreign = await harness.request('POST', `${base()}/hotkey-task`, { body: { string_bytes: 10 } });
      expect(foreign.body['error_ext_msg']).toBe('string_bytes is for big key tasks only');
    });

    it('shows a task with num and keys', async () => {
      const shown = await harness.request('GET', `${base()}/hotkey-task/${taskIds[0]!}`);
      expect(shown.status).toBe(200);
      expect(shown.body).toMatchObject({ id: taskIds[0], instance_id: instanceId, status: 'success', scan_type: 'manual', num: 0, keys: [] });
      expect(shown.body['started_at']).toMatch(TIME);
      expect(shown.body['finished_at']).toMatch(TIME);
    });

    it('answers 400 DCS.4941 for an unknown task id', async () => {
      for (const method of ['GET', 'DELETE'] as const) {
        const response = await harness.request(method, `${base()}/hotkey-task/00000000-0000-0000-0000-000000000000`);
        expect(response.status).toBe(400);
        expect(response.body).toEqual({ error_code: 'DCS.4941', error_msg: 'The hotkey id does not exist.', error_ext_msg: null });
      }
    });

    it('deletes a task and returns it', async () => {
      const victim = taskIds[0]!;
      const deleted = await harness.request('DELETE', `${base()}/hotkey-task/${victim}`);
      expect(deleted.status).toBe(200);
      expect(deleted.body).toMatchObject({ id: victim, status: 'success', num: 0 });
      expect((await harness.request('GET', `${base()}/hotkey-task/${victim}`)).body['error_code']).toBe('DCS.4941');
      expect((await harness.request('GET', `${base()}/hotkey-tasks`)).body['count']).toBe(2);
    });
  });

  describe('retention', () => {
    it('keeps the configured number of tasks per instance, dropping the oldest finished ones', async () => {
      const small = await startHarness({ store, config: { retention: { max_tasks_per_instance: 2 } } });
      try {
        const id = await small.registerInstance(redis.url);
        const ids: string[] = [];
        for (let i = 0; i < 3; i++) {
          const created = await small.createTask(id);
          ids.push(created.body['id'] as string);
          await small.waitForTask(id, created.body['id'] as string);
        }
        const list = await small.request('GET', `/v2/${P1}/instances/${id}/hotkey-tasks`);
        expect(list.body['count']).toBe(2);
        expect((list.body['records'] as Record<string, unknown>[]).map((r) => r['id'])).toEqual([ids[2], ids[1]]);
        expect((await small.request('GET', `/v2/${P1}/instances/${id}/hotkey-task/${ids[0]!}`)).body['error_code']).toBe('DCS.4941');
      } finally {
        await small.close({ removeData: true });
      }
    });
  });

  describe('automatic analysis settings', () => {
    it('defaults to disabled with no times', async () => {
      const response = await harness.request('GET', `${base()}/hotkey/autoscan`);
      expect(response.status).toBe(200);
      expect(response.body).toMatchObject({ instance_id: instanceId, enable_auto_scan: false, schedule_at: [] });
      expect(response.body['updated_at']).toMatch(TIME);
    });

    it('stores and returns a valid configuration', async () => {
      const put = await harness.request('PUT', `${base()}/hotkey/autoscan`, { body: { enable_auto_scan: true, schedule_at: ['21:00', '03:30', '21:00'] } });
      expect(put.status).toBe(200);
      expect(put.body).toMatchObject({ instance_id: instanceId, enable_auto_scan: true, schedule_at: ['03:30', '21:00'] });
      const get = await harness.request('GET', `${base()}/hotkey/autoscan`);
      expect(get.body).toEqual(put.body);
    });

    it('rejects bad bodies with the DCS codes', async () => {
      const cases: [unknown, string, string][] = [
        [{ enable_auto_scan: true, schedule_at: ['24:00'] }, 'DCS.4800', 'Invalid schedule_at in the request.'],
        [{ enable_auto_scan: true, schedule_at: ['9:00'] }, 'DCS.4800', 'Invalid schedule_at in the request.'],
        [{ enable_auto_scan: true, schedule_at: [] }, 'DCS.4800', 'Invalid schedule_at in the request.'],
        [{ schedule_at: ['21:00'] }, 'DCS.4800', 'Invalid enable_auto_scan in the request.'],
        [{ enable_auto_scan: true }, 'DCS.4800', 'Invalid schedule_at in the request.'],
        [{ enable_auto_scan: 'yes', schedule_at: [] }, 'DCS.4800', 'Invalid enable_auto_scan in the request.'],
      ];
      for (const [body, code, message] of cases) {
        const response = await harness.request('PUT', `${base()}/hotkey/autoscan`, { body });
        expect(response.status, JSON.stringify(body)).toBe(400);
        expect(response.body).toMatchObject({ error_code: code, error_msg: message });
      }
      const empty = await harness.request('PUT', `${base()}/hotkey/autoscan`, { headers: { 'content-type': 'application/json' } });
      expect(empty.body['error_code']).toBe('DCS.4004');
      const malformed = await harness.request('PUT', `${base()}/hotkey/autoscan`, { rawBody: '{"enable_auto_scan": tru' });
      expect(malformed.status).toBe(400);
      expect(malformed.body['error_code']).toBe('DCS.4005');
    });
  });

  describe('errors and request ids', () => {
    it('puts an X-Request-Id on every response, and keeps a sane incoming one', async () => {
      const ok = await harness.request('GET', `/v2/${P1}/instances`);
      const denied = await harness.request('GET', `/v2/${P1}/instances`, { token: null });
      expect(ok.headers['x-request-id']).toMatch(/^[0-9a-f]{32}$/);
      expect(denied.headers['x-request-id']).toMatch(/^[0-9a-f]{32}$/);
      const traced = await harness.request('GET', `/v2/${P1}/instances`, { headers: { 'x-request-id': 'lb-1234' } });
      expect(traced.headers['x-request-id']).toBe('lb-1234');
    });

    it('answers an unknown URL with 404 DCS.4001', async () => {
      for (const url of ['/nope', `/v2/${P1}/instances/${instanceId}/expiredkey-tasks`, `/v3/${P1}/instances`]) {
        const response = await harness.request('GET', url);
        expect(response.status).toBe(404);
        expect(response.body).toEqual({ error_code: 'DCS.4001', error_msg: 'The requested URL does not exist.', error_ext_msg: null });
        expect(response.headers['x-request-id']).toBeDefined();
      }
    });

    it('answers an unknown instance with 404 DCS.3022', async () => {
      const response = await harness.request('POST', `/v2/${P1}/instances/no-such-instance/hotkey-task`);
      expect(response.status).toBe(404);
      expect(response.body['error_code']).toBe('DCS.3022');
    });

    it('answers anything unexpected with 500 DCS.5000 and no internals', async () => {
      const broken = await startHarness({ store });
      await broken.keyheat.store.close(); // every query now throws inside the driver
      const response = await broken.request('GET', `/v2/${P1}/instances`);
      expect(response.status).toBe(500);
      expect(response.body).toEqual({ error_code: 'DCS.5000', error_msg: 'Internal service error.', error_ext_msg: null });
      await broken.keyheat.runner.stop();
      await broken.keyheat.http.close();
    });
  });
});
