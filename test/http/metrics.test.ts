/**
 * GET /metrics, metrics.token and GET /readyz on a real keyheat (store, runner, scheduler) with
 * a real redis-server: the counters move with a real task, a lease takeover and autoscan slots;
 * the exposition parses as Prometheus text; /readyz answers 503 when the database is closed or
 * (PostgreSQL, through a TCP proxy that stops forwarding) hangs.
 */
import type { PrometheusFamily } from 'parse-prometheus-text-format';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load-config.js';
import { REDIS_FAILURE_KINDS } from '../../src/domain/redis-failure.js';
import { P1, startHarness, type Harness } from '../helpers/keyheat-harness.js';
import { observations, samples, scrape, value, type Families, type Labels } from '../helpers/prometheus-text.js';
import { freePort, startRedis, type RedisServer } from '../helpers/redis-server.js';
import { createPgSchema, postgresAvailable, STORES, type PgSchema } from '../helpers/stores.js';
import { startTcpProxy, type TcpProxy } from '../helpers/tcp-proxy.js';

const KEYS = 300;
const METRICS_TOKEN = 'metrics-token-0123456789abcdef';

async function seed(redis: RedisServer): Promise<void> {
  await redis.command(['MSET', ...Array.from({ length: KEYS }, (_, i) => [`user:${i}`, 'v']).flat()]);
}

describe.each(STORES)('%s store', (store) => {
  let redis: RedisServer;
  let harness: Harness;
  let instanceId: string;

  beforeAll(async () => {
    redis = await startRedis({ lfuLogFactor: 0, lfuDecayTime: 0 });
    await seed(redis);
    harness = await startHarness({ store });
    instanceId = await harness.registerInstance(redis.url);
  });

  afterAll(async () => {
    await harness?.close({ removeData: true });
    await redis?.stop();
  });

  describe('GET /metrics', () => {
    it('serves every keyheat metric in the Prometheus text format, with HELP, without a token by default', async () => {
      const families = await scrape(harness);
      const expected: Record<string, PrometheusFamily['type']> = {
        keyheat_http_request_duration_seconds: 'HISTOGRAM',
        keyheat_tasks_created_total: 'COUNTER',
        keyheat_tasks_finished_total: 'COUNTER',
        keyheat_analysis_duration_seconds: 'HISTOGRAM',
        keyheat_scanned_keys_total: 'COUNTER',
        keyheat_active_tasks: 'GAUGE',
        keyheat_store_up: 'GAUGE',
        keyheat_lease_takeovers_total: 'COUNTER',
        keyheat_autoscan_slots_total: 'COUNTER',
        keyheat_redis_failures_total: 'COUNTER',
        keyheat_process_cpu_seconds_total: 'COUNTER',
        keyheat_process_resident_memory_bytes: 'GAUGE',
        keyheat_nodejs_eventloop_lag_seconds: 'GAUGE',
      };
      for (const [name, type] of Object.entries(expected)) expect(families.byName.get(name)?.type, name).toBe(type);
      for (const family of families.byName.values()) {
        expect(family.name).toMatch(/^keyheat_/);
        expect(family.help, family.name).not.toBe('');
      }
      expect(value(families, 'keyheat_store_up')).toBe(1);
      expect(samples(families, 'keyheat_active_tasks').map((s) => s.labels?.['status']).sort()).toEqual(['running', 'waiting']);
      // Every series of a closed label set is there from the start, at 0.
      expect(samples(families, 'keyheat_redis_failures_total')).toHaveLength(REDIS_FAILURE_KINDS.length * 3);
      const slots = samples(families, 'keyheat_autoscan_slots_total').filter((s) => s.labels?.['kind'] === 'expire');
      expect(slots.map((s) => s.labels?.['outcome']).sort()).toEqual(['fired', 'missed', 'skipped']);
      // Every kind x status x scan type.
      expect(samples(families, 'keyheat_tasks_finished_total')).toHaveLength(4 * 2 * 2);
    });

    it('counts a real analysis: task created and finished, keys scanned, its duration, the requests', async () => {
      const before = await scrape(harness);
      const created = await harness.createTask(instanceId);
      expect(created.status).toBe(200);
      const taskId = created.body['id'] as string;
      const task = await harness.waitForTask(instanceId, taskId);
      expect(task['status']).toBe('success');
      const scanned = (task['analysis'] as Record<string, unknown>)['scanned_keys'];
      expect(scanned).toBe(KEYS);
      const after = await scrape(harness);

      const moved = (name: string, labels: Labels = {}) => value(after, name, labels) - value(before, name, labels);
      expect(moved('keyheat_tasks_created_total', { kind: 'hot', scan_type: 'manual' })).toBe(1);
      expect(moved('keyheat_tasks_created_total', { kind: 'hot', scan_type: 'auto' })).toBe(0);
      expect(moved('keyheat_tasks_finished_total', { kind: 'hot', status: 'success', scan_type: 'manual' })).toBe(1);
      expect(moved('keyheat_tasks_finished_total', { kind: 'hot', status: 'failed', scan_type: 'manual' })).toBe(0);
      expect(moved('keyheat_scanned_keys_total')).toBe(KEYS);
      const durations = (families: Families) => observations(families, 'keyheat_analysis_duration_seconds', { status: 'success' });
      expect(durations(after) - durations(before)).toBe(1);
      expect(observations(after, 'keyheat_analysis_duration_seconds', { status: 'success' }, 'sum')).toBeGreaterThan(0);

      const requests = (families: Families, labels: Labels) => observations(families, 'keyheat_http_request_duration_seconds', labels);
      const createRoute = { route: '/v2/:project_id/instances/:instance_id/hotkey-task', method: 'POST', status_code: '200' };
      expect(requests(after, createRoute) - requests(before, createRoute)).toBe(1);
      expect(requests(after, { route: '/v2/:project_id/instances/:instance_id/hotkey-task/:hotkey_id', method: 'GET', status_code: '200' })).toBeGreaterThanOrEqual(1);
      expect(requests(after, { route: '/metrics', method: 'GET', status_code: '200' })).toBeGreaterThanOrEqual(2);
      expect(value(after, 'keyheat_active_tasks')).toBe(0);
    });

    it('labels requests by route pattern, never by raw URL, ids or key names', async () => {
      const probe = `/no-such-path-${Date.now()}`;
      expect((await harness.request('GET', probe)).status).toBe(404);
      const families = await scrape(harness);
      expect(observations(families, 'keyheat_http_request_duration_seconds', { route: 'unmatched', method: 'GET', status_code: '404' })).toBeGreaterThanOrEqual(1);
      const labelValues = families.histogramSeries.flatMap((family) => family.metrics.flatMap((sample) => Object.values(sample.labels ?? {})));
      for (const secret of [probe, instanceId, P1, 'user:']) expect(labelValues.filter((label) => label.includes(secret)), secret).toEqual([]);
    });

    it('counts Redis failures by kind where a registration or a preflight meets them', async () => {
      const before = await scrape(harness);
      const closedPort = await freePort();
      const refused = await harness.request('POST', `/v2/${P1}/instances`, { body: { name: 'gone', url: `redis://127.0.0.1:${closedPort}` } });
      expect(refused.status).toBe(400);

      const doomed = await startRedis();
      const doomedId = await harness.registerInstance(doomed.url, 'doomed');
      await doomed.stop();
      expect((await harness.createTask(doomedId)).status).toBe(400);
      const after = await scrape(harness);

      const moved = (labels: Labels) => value(after, 'keyheat_redis_failures_total', labels) - value(before, 'keyheat_redis_failures_total', labels);
      expect(moved({ kind: 'unreachable', stage: 'registration' })).toBe(1);
      expect(moved({ kind: 'unreachable', stage: 'preflight' })).toBe(1);
      expect(moved({})).toBe(2);
      expect(value(after, 'keyheat_tasks_created_total') - value(before, 'keyheat_tasks_created_total')).toBe(0);
    });
  });

  describe('counters of the runner and the scheduler', () => {
    const others: Harness[] = [];
    afterEach(async () => {
      for (const other of others.splice(0)) await other.close({ removeData: true });
    });

    it('counts a lease takeover: a task whose runner stopped renewing its lease runs again here', async () => {
      const other = await startHarness({ store, start: false });
      others.push(other);
      const id = await other.registerInstance(redis.url);
      const taskId = (await other.createTask(id)).body['id'] as string;
      // A runner that claimed the task and died: its 1 ms lease runs out at once.
      expect((await other.keyheat.store.queue.claimNext('dead-runner', new Date(), 1))?.id).toBe(taskId);
      await new Promise((resolve) => setTimeout(resolve, 20));
      other.keyheat.start();
      expect((await other.waitForTask(id, taskId))['status']).toBe('success');
      const families = await scrape(other);
      expect(value(families, 'keyheat_lease_takeovers_total')).toBe(1);
      expect(value(families, 'keyheat_tasks_finished_total', { status: 'success', scan_type: 'manual' })).toBe(1);
    });

    it('counts autoscan slots fired, skipped and missed', async () => {
      let now = new Date('2026-11-29T08:00:00.000Z');
      const other = await startHarness({ store, start: false, config: { scheduler: { enabled: false } }, overrides: { now: () => now } });
      others.push(other);
      const id = await other.registerInstance(redis.url);
      await other.keyheat.store.autoscan.put(P1, { instanceId: id, enableAutoScan: true, scheduleAt: ['21:00'], updatedAt: now.toISOString() });
      const tickAt = async (iso: string) => {
        now = new Date(iso);
        return other.keyheat.scheduler.tick();
      };
      expect(await tickAt('2026-11-29T21:00:04.000Z')).toBe(1); // fired: an auto task, left waiting (no runner)
      expect(await tickAt('2026-11-30T21:00:04.000Z')).toBe(0); // skipped: the previous one still waits
      expect(await tickAt('2026-12-01T22:30:00.000Z')).toBe(0); // missed: 90 minutes late, catch-up is 60
      const families = await scrape(other);
      expect(value(families, 'keyheat_autoscan_slots_total', { outcome: 'fired' })).toBe(1);
      expect(value(families, 'keyheat_autoscan_slots_total', { outcome: 'skipped' })).toBe(1);
      expect(value(families, 'keyheat_autoscan_slots_total', { outcome: 'missed' })).toBe(1);
      expect(value(families, 'keyheat_tasks_created_total', { scan_type: 'auto' })).toBe(1);
      // Read from the store at scrape time.
      expect(value(families, 'keyheat_active_tasks', { status: 'waiting' })).toBe(1);
    });
  });

  describe('GET /readyz', () => {
    it('answers 200 {"status":"ready"} without authentication while the store answers', async () => {
      const response = await harness.request('GET', '/readyz', { token: null });
      expect(response.status).toBe(200);
      expect(response.body).toEqual({ status: 'ready' });
    });

    it('answers 503 in the DCS envelope once the store is closed; /healthz and /metrics still answer', async () => {
      const other = await startHarness({ store, start: false });
      try {
        await other.keyheat.store.close();
        const response = await other.request('GET', '/readyz', { token: null });
        expect(response.status).toBe(503);
        expect(response.body).toEqual({ error_code: 'DCS.5000', error_msg: 'Internal service error.', error_ext_msg: 'the database cannot be queried (see the keyheat log)' });
        expect(response.headers['x-request-id']).toBeDefined();
        expect((await other.request('GET', '/healthz', { token: null })).status).toBe(200);
        const families = await scrape(other);
        expect(value(families, 'keyheat_store_up')).toBe(0);
        expect(samples(families, 'keyheat_active_tasks')).toEqual([]);
      } finally {
        await other.close({ removeData: true });
      }
    });
  });
});

describe.runIf(postgresAvailable())('postgres store that stops answering', () => {
  let schema: PgSchema;
  let proxy: TcpProxy;
  let harness: Harness;

  beforeAll(async () => {
    schema = await createPgSchema();
    const url = new URL(schema.url);
    proxy = await startTcpProxy(url.hostname, Number(url.port || 5432));
    url.hostname = '127.0.0.1';
    url.port = String(proxy.port);
    harness = await startHarness({ databaseUrl: url.toString(), start: false });
  });

  afterAll(async () => {
    proxy?.thaw();
    await harness?.close({ removeData: true });
    await proxy?.close();
    await schema?.drop();
  });

  it('answers /readyz 503 within its deadline and /metrics without the task gauges, then recovers', async () => {
    expect((await harness.request('GET', '/readyz', { token: null })).status).toBe(200);
    proxy.freeze();
    const started = Date.now();
    const response = await harness.request('GET', '/readyz', { token: null });
    expect(Date.now() - started).toBeLessThan(3000);
    expect(response.status).toBe(503);
    expect(response.body).toMatchObject({ error_code: 'DCS.5000', error_ext_msg: expect.stringMatching(/^the database did not answer within \d+ ms$/) as unknown });
    const scrapeStarted = Date.now();
    const families = await scrape(harness);
    expect(Date.now() - scrapeStarted).toBeLessThan(3000);
    expect(value(families, 'keyheat_store_up')).toBe(0);
    expect(samples(families, 'keyheat_active_tasks')).toEqual([]);
    proxy.thaw();
    await expect.poll(async () => (await harness.request('GET', '/readyz', { token: null })).status, { timeout: 5000 }).toBe(200);
    expect(value(await scrape(harness), 'keyheat_store_up')).toBe(1);
  });
});

describe('metrics.token', () => {
  let open: Harness;
  let guarded: Harness;
  const openLog: string[] = [];
  const guardedLog: string[] = [];

  beforeAll(async () => {
    open = await startHarness({ start: false, logLines: openLog });
    guarded = await startHarness({ start: false, logLines: guardedLog, config: { metrics: { token: METRICS_TOKEN } } });
  });
  afterAll(async () => {
    await open?.close({ removeData: true });
    await guarded?.close({ removeData: true });
  });

  it('comes from KEYHEAT_METRICS_TOKEN, is unset by default and refuses a short token', () => {
    expect(loadConfig({ env: {} }).metrics.token).toBeUndefined();
    expect(loadConfig({ env: { KEYHEAT_METRICS_TOKEN: METRICS_TOKEN } }).metrics.token).toBe(METRICS_TOKEN);
    expect(() => loadConfig({ env: { KEYHEAT_METRICS_TOKEN: 'short' } })).toThrow(/\/metrics\/token/);
  });

  it('when set, answers 401 in the DCS envelope without the bearer token or with a wrong one', async () => {
    const cases: [Record<string, string>, string][] = [
      [{}, 'DCS.1003'],
      [{ authorization: 'Basic bWV0cmljczpzZWNyZXQ=' }, 'DCS.1003'],
      [{ authorization: 'Bearer' }, 'DCS.1003'],
      [{ authorization: 'Bearer not-the-metrics-token-at-all' }, 'DCS.1001'],
      [{ authorization: `Bearer ${METRICS_TOKEN}x` }, 'DCS.1001'],
      [{ authorization: `Bearer ${METRICS_TOKEN.slice(0, -1)}` }, 'DCS.1001'],
      [{ 'x-auth-token': METRICS_TOKEN }, 'DCS.1003'],
    ];
    for (const [headers, code] of cases) {
      const response = await guarded.keyheat.http.inject({ method: 'GET', url: '/metrics', headers });
      expect(response.statusCode, JSON.stringify(headers)).toBe(401);
      expect(JSON.parse(response.body)).toMatchObject({ error_code: code, error_ext_msg: expect.any(String) as unknown });
      expect(response.body).not.toContain('keyheat_');
      expect(response.headers['www-authenticate']).toBe('Bearer realm="keyheat metrics"');
    }
  });

  it('when set, serves the metrics with the right bearer token (scheme in any case)', async () => {
    await scrape(guarded, { authorization: `Bearer ${METRICS_TOKEN}` });
    const families = await scrape(guarded, { authorization: `bearer ${METRICS_TOKEN}` });
    expect(observations(families, 'keyheat_http_request_duration_seconds', { route: '/metrics', status_code: '401' })).toBeGreaterThanOrEqual(7);
  });

  it('leaves /readyz and /healthz open, and /metrics open when unset', async () => {
    for (const url of ['/readyz', '/healthz']) expect((await guarded.request('GET', url, { token: null })).status).toBe(200);
    await scrape(open);
  });

  it('says at start whether /metrics is protected', () => {
    const protectedFlag = (lines: string[]) => lines.map((line) => JSON.parse(line) as Record<string, unknown>).find((entry) => 'metrics_protected' in entry)?.['metrics_protected'];
    expect(protectedFlag(openLog)).toBe(false);
    expect(protectedFlag(guardedLog)).toBe(true);
    expect([...openLog, ...guardedLog].join('\n')).not.toContain(METRICS_TOKEN);
  });
});

