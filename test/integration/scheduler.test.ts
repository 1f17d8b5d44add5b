/**
 * Daily automatic analysis, driven by an injected clock, on both stores; and on PostgreSQL two
 * keyheat instances with jittered clocks ticking together create exactly one task per slot.
 */
import { afterEach, beforeAll, afterAll, describe, expect, it } from 'vitest';
import { startHarness, P1, type Harness } from '../helpers/keyheat-harness.js';
import { startRedis, type RedisServer } from '../helpers/redis-server.js';
import { createPgSchema, postgresAvailable, STORES } from '../helpers/stores.js';

let redis: RedisServer;
beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => redis?.stop());

/** A clock the test moves; the scheduler reads it, the runner keeps real time. */
function clock(start: string): { now: () => Date; set: (iso: string) => void } {
  let current = new Date(start);
  return { now: () => current, set: (iso) => (current = new Date(iso)) };
}

const SCHEDULER_OFF = { scheduler: { enabled: false } }; // ticks are driven by the test

describe.each(STORES)('%s store', (store) => {
  const harnesses: Harness[] = [];
  afterEach(async () => {
    for (const h of harnesses.splice(0)) await h.close({ removeData: true });
  });

  async function setUp(start: string, schedule: string[], options: { runner?: boolean } = {}) {
    const time = clock(start);
    const harness = await startHarness({ store, config: SCHEDULER_OFF, overrides: { now: time.now }, start: options.runner ?? false });
    harnesses.push(harness);
    const id = await harness.registerInstance(redis.url);
    // The schedule is saved "now" by the real clock; put the test clock on the same day.
    const put = await harness.request('PUT', `/v2/${P1}/instances/${id}/hotkey/autoscan`, { body: { enable_auto_scan: true, schedule_at: schedule } });
    expect(put.status).toBe(200);
    await harness.keyheat.store.autoscan.put(P1, { instanceId: id, enableAutoScan: true, scheduleAt: schedule, updatedAt: start });
    const tasks = async () => (await harness.request('GET', `/v2/${P1}/instances/${id}/hotkey-tasks?limit=100`)).body['records'] as Record<string, unknown>[];
    return { harness, id, time, tasks, tick: () => harness.keyheat.scheduler.tick() };
  }

  it('creates one auto task at each scheduled time, and runs it', async () => {
    const { harness, id, time, tasks, tick } = await setUp('2026-11-29T20:00:00.000Z', ['21:00', '03:30']);
    time.set('2026-11-29T20:59:59.000Z');
    expect(await tick()).toBe(0);
    time.set('2026-11-29T21:00:04.000Z');
    expect(await tick()).toBe(1);
    time.set('2026-11-29T21:00:19.000Z');
    expect(await tick()).toBe(0);
    const [task] = await tasks();
    expect(task).toMatchObject({ scan_type: 'auto', status: 'waiting' });
    harness.keyheat.start();
    const done = await harness.waitForTask(id, task!['id'] as string);
    expect(done['status']).toBe('success');
    time.set('2026-11-30T03:30:00.000Z');
    expect(await tick()).toBe(1);
    time.set('2026-11-30T21:00:00.000Z');
    await harness.waitForTask(id, (await tasks())[0]!['id'] as string);
    expect(await tick()).toBe(1);
    expect((await tasks()).map((t) => t['scan_type'])).toEqual(['auto', 'auto', 'auto']);
  });

  it('runs a slot missed while keyheat was down if it comes back within the catch-up window, and skips it after', async () => {
    const late = await setUp('2026-11-29T08:00:00.000Z', ['21:00']);
    late.time.set('2026-11-29T21:59:00.000Z'); // 59 minutes late: still run (catch-up: 60 min)
    expect(await late.tick()).toBe(1);

    const tooLate = await setUp('2026-11-29T08:00:00.000Z', ['21:00']);
    tooLate.time.set('2026-11-29T22:01:00.000Z');
    expect(await tooLate.tick()).toBe(0);
    const ledger = await tooLate.harness.keyheat.store.autoscanRuns.list(tooLate.id);
    expect(ledger).toEqual([{ slot: '2026-11-29T21:00', taskId: null, outcome: expect.stringMatching(/^missed/) as unknown }]);
    tooLate.time.set('2026-11-30T21:00:01.000Z'); // the next day runs as usual
    expect(await tooLate.tick()).toBe(1);
  });

  it('runs the big key schedule independently of the hot key one, each kind its own task and ledger', async () => {
    const { harness, id, time, tasks, tick } = await setUp('2026-11-29T08:00:00.000Z', ['21:00']);
    const bigPut = await harness.request('PUT', `/v2/${P1}/instances/${id}/bigkey/autoscan`, { body: { enable_auto_scan: true, schedule_at: ['21:00', '22:00'] } });
    expect(bigPut.status).toBe(200);
    await harness.keyheat.store.autoscan.put(P1, { instanceId: id, kind: 'big', enableAutoScan: true, scheduleAt: ['21:00', '22:00'], updatedAt: '2026-11-29T08:00:00.000Z' });
    const bigTasks = async () => (await harness.request('GET', `/v2/${P1}/instances/${id}/bigkey-tasks?limit=100`)).body['records'] as Record<string, unknown>[];
    // Same minute: one task of each kind, neither skipped for the other.
    time.set('2026-11-29T21:00:05.000Z');
    expect(await tick()).toBe(2);
    expect((await tasks()).map((t) => t['scan_type'])).toEqual(['auto']);
    expect((await bigTasks()).map((t) => t['scan_type'])).toEqual(['auto']);
    // The hot key slot's task is still waiting; the big key schedule goes on regardless.
    time.set('2026-11-29T22:00:05.000Z');
    expect(await tick()).toBe(0); // the previous auto big key task is still waiting: skipped
    expect((await harness.keyheat.store.autoscanRuns.list(id, 'big')).map((r) => [r.slot, r.outcome.split(':')[0]])).toEqual([
      ['2026-11-29T21:00', 'created'],
      ['2026-11-29T22:00', 'skipped'],
    ]);
    expect((await harness.keyheat.store.autoscanRuns.list(id, 'hot')).map((r) => r.slot)).toEqual(['2026-11-29T21:00']);
    // Turning the big key schedule off leaves the hot key one on.
    await harness.request('PUT', `/v2/${P1}/instances/${id}/bigkey/autoscan`, { body: { enable_auto_scan: false, schedule_at: [] } });
    expect((await harness.request('GET', `/v2/${P1}/instances/${id}/hotkey/autoscan`)).body['enable_auto_scan']).toBe(true);
    harness.keyheat.start();
    const big = (await bigTasks())[0]!;
    for (let i = 0; i < 400; i++) {
      const task = (await harness.request('GET', `/v2/${P1}/instances/${id}/bigkey-task/${big['id'] as string}`)).body;
      if (task['status'] === 'success') break;
      expect(task['status']).not.toBe('failed');
      await new Promise((r) => setTimeout(r, 50));
    }
    expect((await harness.waitForTask(id, (await tasks())[0]!['id'] as string))['status']).toBe('success');
  });

  it('runs the expired key scan every interval seconds from first_scan_at, with its COUNT and timeout, skipping while one runs', async () => {
    const { harness, id, time, tick } = await setUp('2026-11-29T08:00:00.000Z', ['21:00']);
    const schedule = { firstScanAt: '2026-11-29T09:00:00.000Z', interval: 600, timeout: 1200, scanKeysCount: 20 };
    await harness.keyheat.store.autoscan.put(P1, { instanceId: id, kind: 'expire', enableAutoScan: true, scheduleAt: [], interval: schedule, updatedAt: '2026-11-29T08:00:00.000Z' });
    const runs = async () => (await harness.request('GET', `/v2/${P1}/instances/${id}/auto-expire/histories?limit=100`)).body['records'] as Record<string, unknown>[];
    time.set('2026-11-29T08:59:59.000Z');
    expect(await tick()).toBe(0);
    time.set('2026-11-29T09:00:03.000Z');
    expect(await tick()).toBe(1);
    expect(await tick()).toBe(0);
    const [first] = await runs();
    expect(first).toMatchObject({ scan_type: 'auto', status: 'waiting' });
    const shown = (await harness.request('GET', `/v2/${P1}/instances/${id}/auto-expire/histories/${first!['id'] as string}`)).body;
    expect(shown['options']).toEqual({ scan_keys_count: 20 });
    expect((await harness.keyheat.store.tasks.getById(first!['id'] as string))?.options).toMatchObject({ scanKeysCount: 20, timeoutSeconds: 1200 });
    // 09:10: the 09:00 run still waits, so this one is skipped.
    time.set('2026-11-29T09:10:01.000Z');
    expect(await tick()).toBe(0);
    expect((await harness.keyheat.store.autoscanRuns.list(id, 'expire')).map((r) => [r.slot, r.outcome.split(':')[0]])).toEqual([
      ['2026-11-29T09:00:00', 'created'],
      ['2026-11-29T09:10:00', 'skipped'],
    ]);
    harness.keyheat.start();
    for (let i = 0; i < 400 && (await runs())[0]!['status'] !== 'success'; i++) await new Promise((r) => setTimeout(r, 50));
    expect((await runs())[0]).toMatchObject({ status: 'success', num: 0 });
    time.set('2026-11-29T09:20:02.000Z');
    expect(await tick()).toBe(1);
  });

  it('gives each run of a daily schedule the options it carries (a daily snapshot analysis), refusing what a task would refuse', async () => {
    const { harness, id, time, tick } = await setUp('2026-11-29T08:00:00.000Z', ['21:00']);
    const url = `/v2/${P1}/instances/${id}/bigkey/autoscan`;
    const refused = await harness.request('PUT', url, { body: { enable_auto_scan: true, schedule_at: ['21:00'], options: { strategy: 'snapshot', max_cpu_share: 0.5 } } });
    expect(refused.body).toMatchObject({ error_code: 'DCS.4800', error_msg: 'Invalid max_cpu_share in the request.' });
    const typo = await harness.request('PUT', url, { body: { enable_auto_scan: true, schedule_at: ['21:00'], options: { stratgy: 'snapshot' } } });
    expect(typo.body).toMatchObject({ error_code: 'DCS.4800', error_msg: 'Invalid options.stratgy in the request.' });
    const put = await harness.request('PUT', url, { body: { enable_auto_scan: true, schedule_at: ['21:00'], options: { strategy: 'snapshot', per_type: 5 } } });
    expect(put.body).toMatchObject({ enable_auto_scan: true, options: { strategy: 'snapshot', per_type: 5 } });
    expect((await harness.request('GET', url)).body).toMatchObject({ options: { strategy: 'snapshot', per_type: 5 } });
    const saved = await harness.keyheat.store.autoscan.get(id, 'big');
    await harness.keyheat.store.autoscan.put(P1, { ...saved!, instanceId: id, kind: 'big', updatedAt: '2026-11-29T08:00:00.000Z' });
    time.set('2026-11-29T21:00:05.000Z');
    expect(await tick()).toBe(2);
    const auto = (await harness.request('GET', `/v2/${P1}/instances/${id}/bigkey-tasks`)).body['records'] as Record<string, unknown>[];
    const task = (await harness.request('GET', `/v2/${P1}/instances/${id}/bigkey-task/${auto[0]!['id'] as string}`)).body;
    expect(task).toMatchObject({ scan_type: 'auto', options: { strategy: 'snapshot', per_type: 5 } });
  });

  it('never runs a slot from before the schedule was saved', async () => {
    const { time, tick } = await setUp('2026-11-29T21:10:00.000Z', ['21:00']);
    time.set('2026-11-29T21:20:00.000Z');
    expect(await tick()).toBe(0);
  });

  it('lets an auto task wait for a running manual task, and skips a slot while the previous auto task is still active', async () => {
    const { harness, id, time, tasks, tick } = await setUp('2026-11-29T08:00:00.000Z', ['21:00', '21:30']);
    const manual = await harness.createTask(id);
    expect((await harness.keyheat.store.queue.claimNext('other-process', new Date(), 60_000))?.id).toBe(manual.body['id']);
    time.set('2026-11-29T21:00:00.000Z');
    expect(await tick()).toBe(1);
    const auto = (await tasks()).find((t) => t['scan_type'] === 'auto')!;
    expect(auto['status']).toBe('waiting');
    // Nothing else may start on the instance while the manual analysis runs.
    expect(await harness.keyheat.store.queue.claimNext('third-process', new Date(), 60_000)).toBeUndefined();
    time.set('2026-11-29T21:30:00.000Z');
    expect(await tick()).toBe(0);
    const ledger = await harness.keyheat.store.autoscanRuns.list(id);
    expect(ledger[1]).toMatchObject({ slot: '2026-11-29T21:30', outcome: expect.stringMatching(/^skipped/) as unknown });
    await harness.keyheat.store.queue.fail(manual.body['id'] as string, 'other-process', 'stopped by the test', new Date());
    expect((await harness.keyheat.store.queue.claimNext('third-process', new Date(), 60_000))?.id).toBe(auto['id']);
  });
});

describe.runIf(postgresAvailable())('two keyheat instances on one PostgreSQL', () => {
  it('create exactly one auto task per instance and slot, whatever their clock jitter', async () => {
    const schema = await createPgSchema();
    const clocks = [clock('2026-11-29T08:00:00.000Z'), clock('2026-11-29T08:00:00.000Z')];
    const first = await startHarness({ databaseUrl: schema.url, config: SCHEDULER_OFF, overrides: { now: clocks[0]!.now }, start: false });
    const second = await startHarness({ databaseUrl: schema.url, config: SCHEDULER_OFF, overrides: { now: clocks[1]!.now }, start: false });
    try {
      const ids = [await first.registerInstance(redis.url, 'a'), await first.registerInstance(redis.url, 'b')];
      for (const id of ids) await first.keyheat.store.autoscan.put(P1, { instanceId: id, enableAutoScan: true, scheduleAt: ['21:00', '21:05'], updatedAt: '2026-11-29T08:00:00.000Z' });
      const base = Date.parse('2026-11-29T20:59:50.000Z');
      let created = 0;
      // Twenty ticks each, 1 s apart, the second instance's clock 0-3 s behind or ahead.
      for (let step = 0; step < 400; step += 1) {
        clocks[0]!.set(new Date(base + step * 1000).toISOString());
        clocks[1]!.set(new Date(base + step * 1000 + ((step * 7919) % 6000) - 3000).toISOString());
        const [x, y] = await Promise.all([first.keyheat.scheduler.tick(), second.keyheat.scheduler.tick()]);
        created += x + y;
        // Finish whatever was created so the next slot is not skipped for an active task.
        for (const id of ids) {
          const active = await first.keyheat.store.tasks.findActive(id);
          if (active !== undefined) {
            await first.keyheat.store.queue.claimNext('finisher', new Date(), 60_000);
            await first.keyheat.store.queue.fail(active.id, 'finisher', 'finished by the test', new Date());
          }
        }
      }
      expect(created).toBe(4); // 2 instances x 2 slots
      for (const id of ids) {
        const ledger = await first.keyheat.store.autoscanRuns.list(id);
        expect(ledger.map((r) => [r.slot, r.outcome])).toEqual([
          ['2026-11-29T21:00', 'created'],
          ['2026-11-29T21:05', 'created'],
        ]);
        const page = await first.keyheat.store.tasks.list(P1, id, { offset: 0, limit: 100 });
        expect(page.records.filter((t) => t.scanType === 'auto')).toHaveLength(2);
      }
    } finally {
      await first.close();
      await second.close();
      await schema.drop();
    }
  });
});
