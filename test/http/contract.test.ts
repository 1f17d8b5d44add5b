/**
 * Wire contract per endpoint, written from dcs-api.md (not from keyheat's own schemas): field
 * names, types, which fields are omitted rather than null, and that what keyheat adds is only
 * ever an addition.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { P1, startHarness, type Harness } from '../helpers/keyheat-harness.js';
import { startRedis, type RedisServer } from '../helpers/redis-server.js';
import { seedRedis } from '../helpers/seed-keys.js';
import { STORES } from '../helpers/stores.js';

type Check = (value: unknown) => boolean;
const str: Check = (v) => typeof v === 'string';
const int: Check = (v) => Number.isInteger(v);
const bool: Check = (v) => typeof v === 'boolean';
const time: Check = (v) => typeof v === 'string' && /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/.test(v);
const oneOf = (...values: string[]): Check => (v) => typeof v === 'string' && values.includes(v);
const arrayOf = (check: Check): Check => (v) => Array.isArray(v) && v.every(check);
const object: Check = (v) => typeof v === 'object' && v !== null && !Array.isArray(v);

interface Shape {
  /** DCS fields that must be there, with their type. */
  readonly required: Record<string, Check>;
  /** DCS fields that may be there; when there, never null. */
  readonly optional?: Record<string, Check>;
  /** Fields keyheat adds. */
  readonly additions?: Record<string, Check>;
  /** DCS fields that must be omitted (not null) in this situation. */
  readonly absent?: readonly string[];
}

function expectShape(body: Record<string, unknown>, shape: Shape, what: string): void {
  for (const [field, check] of Object.entries(shape.required)) expect(check(body[field]), `${what}: ${field} = ${JSON.stringify(body[field])}`).toBe(true);
  for (const [field, check] of Object.entries({ ...shape.optional, ...shape.additions })) {
    if (field in body) expect(check(body[field]), `${what}: ${field} = ${JSON.stringify(body[field])}`).toBe(true);
  }
  for (const field of shape.absent ?? []) expect(field in body, `${what}: ${field} must be omitted`).toBe(false);
  const known = new Set([...Object.keys(shape.required), ...Object.keys(shape.optional ?? {}), ...Object.keys(shape.additions ?? {})]);
  for (const field of Object.keys(body)) expect(known.has(field), `${what}: unexpected field ${field}`).toBe(true);
}

const STATUS = oneOf('waiting', 'running', 'success', 'failed');
const SCAN_TYPE = oneOf('manual', 'auto');
const list = (v: unknown) => Array.isArray(v);
const TASK_ADDITIONS = {
  error_msg: str,
  progress: object,
  analysis: object,
  options: object,
  prefixes: list,
  databases: list,
  shards: list,
  trend: (v: unknown) => v === null || object(v),
  advice: list,
  sampled: list,
  sample: object,
};
const numberOrNull = (v: unknown) => v === null || typeof v === 'number';
const HOTKEY: Shape = {
  required: { name: str, type: str, db: int, size: int, unit: oneOf('byte', 'count'), freq: (v) => int(v) && (v as number) >= 0 && (v as number) <= 255 },
  additions: {
    name_base64: str,
    est_qps: numberOrNull,
    est_accesses: int,
    saturated: (v) => typeof v === 'boolean',
    previous_freq: (v) => v === null || int(v),
    sampled_qps: (v) => typeof v === 'number',
    sampled_share: (v) => typeof v === 'number',
    also_big: (v) => typeof v === 'boolean',
  },
  absent: ['shard'], // standalone instance
};
const ERROR: Shape = {
  required: { error_code: (v) => str(v) && (v as string).length <= 9, error_msg: (v) => str(v) && (v as string).length <= 1024, error_ext_msg: (v) => v === null || (str(v) && (v as string).length <= 1024) },
};

describe.each(STORES)('the DCS wire contract on the %s store', (store) => {
  let redis: RedisServer;
  let harness: Harness;
  let instanceId: string;
  let taskId: string;
  const base = () => `/v2/${P1}/instances/${instanceId}`;

  beforeAll(async () => {
    redis = await startRedis({ lfuLogFactor: 0, lfuDecayTime: 0 });
    await seedRedis(redis, [
      { name: 'contract:s', db: 0, type: 'string', size: 3, hits: 12 },
      { name: Buffer.from([0x80, 0x81]), db: 1, type: 'zset', size: 2, hits: 9 },
    ]);
    harness = await startHarness({ store, start: false });
    instanceId = await harness.registerInstance(redis.url);
  });
  afterAll(async () => {
    await harness?.close({ removeData: true });
    await redis?.stop();
  });

  it('CreateHotkeyScanTask: the seed response, without started_at, finished_at, keys', async () => {
    const created = await harness.createTask(instanceId);
    expect(created.status).toBe(200);
    expectShape(created.body, { required: { id: str, instance_id: str, status: oneOf('waiting'), scan_type: oneOf('manual'), created_at: time, num: (v) => v === 0 }, absent: ['started_at', 'finished_at', 'keys'] }, 'create');
    taskId = created.body['id'] as string;
  });

  it('ShowHotkeyTaskDetails of a waiting task: still nothing but what exists', async () => {
    const shown = await harness.request('GET', `${base()}/hotkey-task/${taskId}`);
    expectShape(shown.body, { required: { id: str, instance_id: str, status: oneOf('waiting'), scan_type: SCAN_TYPE, created_at: time, num: int }, additions: TASK_ADDITIONS, absent: ['started_at', 'finished_at', 'keys'] }, 'show waiting');
  });

  it('ListHotKeyScanTasks: records without num or keys, count an integer', async () => {
    const list = await harness.request('GET', `${base()}/hotkey-tasks`);
    expectShape(list.body, { required: { instance_id: str, count: int, records: arrayOf(object) } }, 'list');
    for (const record of list.body['records'] as Record<string, unknown>[]) {
      expectShape(record, { required: { id: str, status: STATUS, scan_type: SCAN_TYPE, created_at: time }, optional: { started_at: time, finished_at: time }, additions: { error_msg: str }, absent: ['num', 'keys'] }, 'record');
    }
  });

  it('ShowHotkeyTaskDetails of a finished task: HotkeysBody records, no shard on a standalone instance', async () => {
    harness.keyheat.start();
    const done = await harness.waitForTask(instanceId, taskId);
    expectShape(done, { required: { id: str, instance_id: str, status: oneOf('success'), scan_type: SCAN_TYPE, created_at: time, started_at: time, finished_at: time, num: int, keys: arrayOf(object) }, additions: TASK_ADDITIONS }, 'show success');
    const keys = done['keys'] as Record<string, unknown>[];
    expect(done['num']).toBe(keys.length);
    expect(keys).toHaveLength(2);
    for (const key of keys) expectShape(key, HOTKEY, 'HotkeysBody');
    const list = await harness.request('GET', `${base()}/hotkey-tasks`);
    const record = (list.body['records'] as Record<string, unknown>[])[0]!;
    expect(time(record['started_at']) && time(record['finished_at'])).toBe(true);
  });

  it('DeleteHotkeyScanTask: the deleted Task', async () => {
    const deleted = await harness.request('DELETE', `${base()}/hotkey-task/${taskId}`);
    expect(deleted.status).toBe(200);
    expectShape(deleted.body, { required: { id: str, instance_id: str, status: STATUS, scan_type: SCAN_TYPE, created_at: time, num: int }, optional: { started_at: time, finished_at: time, keys: arrayOf(object) }, additions: TASK_ADDITIONS }, 'delete');
  });

  it('ShowHotkeyAutoscanConfig and UpdateHotkeyAutoScanConfig: AutoscanConfig', async () => {
    const shape: Shape = { required: { instance_id: str, enable_auto_scan: bool, schedule_at: arrayOf(str), updated_at: time } };
    expectShape((await harness.request('GET', `${base()}/hotkey/autoscan`)).body, shape, 'autoscan get');
    expectShape((await harness.request('PUT', `${base()}/hotkey/autoscan`, { body: { enable_auto_scan: false, schedule_at: [] } })).body, shape, 'autoscan put');
  });

  it('errors: the DCS envelope with an X-Request-Id header, error_ext_msg null or a string', async () => {
    const cases: [string, string, unknown][] = [
      ['GET', `${base()}/hotkey-task/nope`, undefined],
      ['GET', `${base()}/hotkey-tasks?limit=0`, undefined],
      ['PUT', `${base()}/hotkey/autoscan`, { enable_auto_scan: 1 }],
      ['GET', `/v2/${P1}/instances/nope`, undefined],
      ['GET', '/nope', undefined],
    ];
    for (const [method, url, body] of cases) {
      const response = await harness.request(method as 'GET', url, { body });
      expect(response.status).toBeGreaterThanOrEqual(400);
      expect(response.headers['x-request-id']).toBeTruthy();
      expectShape(response.body, ERROR, `${method} ${url}`);
    }
    const unauthenticated = await harness.request('GET', `${base()}/hotkey-tasks`, { token: null });
    expectShape(unauthenticated.body, ERROR, 'no token');
  });
});
