/**
 * Races between deleting an instance and writing what hangs off it (issue 12), on both stores:
 * a task create whose Redis preflight is in flight while the instance is deleted, an autoscan
 * schedule written for an instance deleted meanwhile, and (PostgreSQL, several processes) a
 * delete whose transaction holds the instance row while another process inserts a task.
 */
import type net from 'node:net';
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { InstanceGoneError } from '../../src/domain/store-errors.js';
import { openStore, type Store } from '../../src/storage/store.js';
import { P1, startHarness, type Harness } from '../helpers/keyheat-harness.js';
import { bulk, infoText, redisLike, startStub, type Stub } from '../helpers/resp-stub.js';
import { createPgSchema, postgresAvailable, STORES } from '../helpers/stores.js';

/** A Redis stub whose INFO can be held: the preflight then waits until `release()`. */
async function stallableRedis(): Promise<{ stub: Stub; hold(): void; held: Promise<void>; release(): void }> {
  let holding = false;
  let parked: net.Socket[] = [];
  let markHeld: () => void = () => undefined;
  const held = new Promise<void>((resolve) => (markHeld = resolve));
  const stub = await startStub(
    redisLike((command) => {
      if (command[0] !== 'INFO' || !holding) return undefined;
      return (socket) => {
        parked.push(socket);
        markHeld();
      };
    }),
  );
  return {
    stub,
    hold: () => (holding = true),
    held,
    release: () => {
      holding = false;
      for (const socket of parked) if (!socket.destroyed) socket.write(Buffer.from(bulk(infoText()), 'latin1'));
      parked = [];
    },
  };
}

describe.each(STORES)('%s store: deleting an instance while something is written for it', (kind) => {
  let harness: Harness | undefined;
  let stub: Stub | undefined;
  afterEach(async () => {
    await harness?.close({ removeData: true });
    await stub?.close();
    harness = undefined;
    stub = undefined;
  });

  it('a create whose preflight is in flight when the instance is deleted leaves no task behind', async () => {
    const redis = await stallableRedis();
    stub = redis.stub;
    harness = await startHarness({ store: kind, start: false });
    const instanceId = await harness.registerInstance(redis.stub.url);
    redis.hold();
    const creating = harness.createTask(instanceId);
    await redis.held;
    const deleted = await harness.request('DELETE', `/v2/${P1}/instances/${instanceId}`);
    expect(deleted.status).toBe(204);
    redis.release();
    const created = await creating;
    expect(created.status).toBe(404);
    expect(created.body).toMatchObject({ error_code: 'DCS.3022' });
    expect(await harness.keyheat.store.tasks.findActive(instanceId)).toBeUndefined();
    expect(await harness.keyheat.store.tasks.list(P1, instanceId, { offset: 0, limit: 10 })).toMatchObject({ count: 0 });
  });

  it('an autoscan schedule written after its instance was deleted is refused and never fires', async () => {
    const redis = await stallableRedis();
    stub = redis.stub;
    const now = new Date('2026-11-30T09:00:30.000Z');
    harness = await startHarness({ store: kind, start: false, overrides: { now: () => now } });
    const instanceId = await harness.registerInstance(redis.stub.url);
    const store = harness.keyheat.store;
    const schedule = { instanceId, enableAutoScan: true, scheduleAt: ['09:00'], updatedAt: '2026-11-30T08:00:00.000Z' };
    // The service checked the instance, then the delete won: the write itself must see it gone.
    expect((await harness.request('DELETE', `/v2/${P1}/instances/${instanceId}`)).status).toBe(204);
    await expect(store.autoscan.put(P1, schedule)).rejects.toBeInstanceOf(InstanceGoneError);
    expect(await store.autoscan.get(instanceId)).toBeUndefined();
    expect(await store.autoscan.listEnabled()).toEqual([]);
    expect(await harness.keyheat.scheduler.tick()).toBe(0);
    // A scheduled insert for a vanished instance creates nothing either.
    const task = { id: 'orphan', projectId: P1, instanceId, scanType: 'auto' as const, createdAt: now.toISOString() };
    expect(await store.tasks.insertScheduled(task, '2026-11-30T09:00', now)).toBe('gone');
    expect(await store.tasks.findActive(instanceId)).toBeUndefined();
  });
});

describe.runIf(postgresAvailable())('postgres: a delete holding the instance row, another process inserting', () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  async function setUp(): Promise<{ store: Store; raw: pg.Client }> {
    const schema = await createPgSchema();
    cleanups.push(() => schema.drop());
    const store = await openStore(schema.url);
    cleanups.push(() => store.close());
    await store.auth.createProject('p', 'config', new Date());
    await store.instances.insert({
      id: 'i1',
      projectId: 'p',
      name: 'i1',
      endpoint: { host: '127.0.0.1', port: 1, tls: null, username: null, password: null },
      mode: 'single',
      engine: 'Redis',
      engineVersion: '7.0.15',
      status: 'RUNNING',
      createdAt: new Date().toISOString(),
    });
    const raw = new pg.Client({ connectionString: schema.url });
    await raw.connect();
    cleanups.push(() => raw.end());
    return { store, raw };
  }

  it('makes the insert wait for the delete and then refuse (no orphan task, no orphan schedule)', async () => {
    const { store, raw } = await setUp();
    await raw.query('BEGIN');
    await raw.query(`DELETE FROM instances WHERE id = 'i1'`);
    const task = { id: 't1', projectId: 'p', instanceId: 'i1', scanType: 'manual' as const, createdAt: new Date().toISOString() };
    const inserting = store.tasks.insert(task).then(
      () => 'inserted',
      (error: unknown) => error,
    );
    const putting = store.autoscan.put('p', { instanceId: 'i1', enableAutoScan: true, scheduleAt: ['09:00'], updatedAt: new Date().toISOString() }).then(
      () => 'put',
      (error: unknown) => error,
    );
    const early = await Promise.race([inserting, putting, new Promise((resolve) => setTimeout(() => resolve('waiting'), 300))]);
    expect(early).toBe('waiting');
    await raw.query('COMMIT');
    expect(await inserting).toBeInstanceOf(InstanceGoneError);
    expect(await putting).toBeInstanceOf(InstanceGoneError);
    expect((await raw.query(`SELECT count(*)::int AS n FROM hotkey_tasks`)).rows).toEqual([{ n: 0 }]);
    expect((await raw.query(`SELECT count(*)::int AS n FROM autoscan_configs`)).rows).toEqual([{ n: 0 }]);
  });

  it('makes a delete wait for an insert in progress, then remove the task with the instance', async () => {
    const { store, raw } = await setUp();
    await raw.query('BEGIN');
    // A create holding the instance row, as TaskRecords.insert does, not yet committed.
    await raw.query(`SELECT id FROM instances WHERE id = 'i1' FOR SHARE`);
    await raw.query(`INSERT INTO hotkey_tasks (id, project_id, instance_id, status, scan_type, created_at, num, attempts) VALUES ('t1', 'p', 'i1', 'waiting', 'manual', now()::text, 0, 0)`);
    const deleting = store.instances.delete('p', 'i1');
    const early = await Promise.race([deleting.then(() => 'deleted'), new Promise((resolve) => setTimeout(() => resolve('waiting'), 300))]);
    expect(early).toBe('waiting');
    await raw.query('COMMIT');
    expect(await deleting).toBe(true);
    expect((await raw.query(`SELECT count(*)::int AS n FROM hotkey_tasks`)).rows).toEqual([{ n: 0 }]);
  });
});
