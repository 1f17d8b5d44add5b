/**
 * The store's promises in domain words, on both stores, with two store handles on one database
 * standing in for two processes (on SQLite the second handle is the same store: one process
 * owns it).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AuthService } from '../../src/service/auth-service.js';
import { openStore, type Store } from '../../src/storage/store.js';
import { TaskActiveConflict } from '../../src/domain/task.js';
import { createPgSchema, STORES, type PgSchema } from '../helpers/stores.js';

const T0 = new Date('2026-11-29T10:00:00.000Z');
const LEASE = 30_000;
const later = (ms: number) => new Date(T0.getTime() + ms);

describe.each(STORES)('%s store', (kind) => {
  let a: Store;
  let b: Store;
  let url: string;
  let cleanup: () => Promise<void>;

  beforeEach(async () => {
    if (kind === 'postgres') {
      const schema: PgSchema = await createPgSchema();
      url = schema.url;
      a = await openStore(schema.url, { maxTasksPerInstance: 3 });
      b = await openStore(schema.url, { maxTasksPerInstance: 3 });
      cleanup = async () => {
        await a.close();
        await b.close();
        await schema.drop();
      };
    } else {
      const dir = mkdtempSync(path.join(os.tmpdir(), 'keyheat-store-'));
      url = `sqlite:${path.join(dir, 'keyheat.db')}`;
      a = await openStore(url, { maxTasksPerInstance: 3 });
      b = a;
      cleanup = async () => {
        await a.close();
        rmSync(dir, { recursive: true, force: true });
      };
    }
    await a.auth.createProject('p', 'config', T0);
    for (const id of ['i1', 'i2']) {
      await a.instances.insert({
        id,
        projectId: 'p',
        name: id,
        endpoint: { host: '127.0.0.1', port: 1, tls: null, username: null, password: 'secret' },
        mode: 'single',
        engine: 'Redis',
      engineVersion: '7.0.15',
        status: 'RUNNING',
        createdAt: T0.toISOString(),
      });
    }
  });
  afterEach(async () => cleanup());

  const newTask = (id: string, instanceId = 'i1', scanType: 'manual' | 'auto' = 'manual', minute = 0) => ({
    id,
    projectId: 'p',
    instanceId,
    scanType,
    createdAt: later(minute * 60_000).toISOString(),
  });

  it('accepts exactly one of many concurrent creates for an instance', async () => {
    const results = await Promise.allSettled(Array.from({ length: 10 }, (_, i) => (i % 2 === 0 ? a : b).tasks.insert(newTask(`t${i}`))));
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    for (const r of results) if (r.status === 'rejected') expect(r.reason).toBeInstanceOf(TaskActiveConflict);
  });

  it('lets an auto task wait behind a manual one, never two running for one instance', async () => {
    await a.tasks.insert(newTask('manual', 'i1', 'manual', 0));
    await a.tasks.insert(newTask('auto', 'i1', 'auto', 1));
    await expect(a.tasks.insert(newTask('manual-2', 'i1', 'manual', 2))).rejects.toBeInstanceOf(TaskActiveConflict);
    // One claimer at a time takes the oldest.
    expect((await a.queue.claimNext('r1', T0, LEASE))?.id).toBe('manual');
    expect(await b.queue.claimNext('r2', T0, LEASE)).toBeUndefined();
    const outcome = { keys: [], stats: { scannedKeys: 0, vanishedKeys: 0, changedKeys: 0, durationMs: 1 } };
    expect(await a.queue.complete('manual', 'r1', outcome, T0)).toBe(true);
    expect((await b.queue.claimNext('r2', T0, LEASE))?.id).toBe('auto');
  });

  it('never runs two tasks of one instance, however many claim at once', async () => {
    await a.tasks.insert(newTask('manual', 'i1', 'manual', 0));
    await a.tasks.insert(newTask('auto', 'i1', 'auto', 1));
    // Concurrent claimers may take either (SKIP LOCKED passes over a row being claimed), never both.
    const claims = await Promise.all(Array.from({ length: 6 }, (_, i) => (i % 2 === 0 ? a : b).queue.claimNext(`r${i}`, T0, LEASE)));
    expect(claims.filter((t) => t !== undefined)).toHaveLength(1);
    const running = await a.tasks.list('p', 'i1', { offset: 0, limit: 10, status: 'running' });
    expect(running.count).toBe(1);
  });

  it('gives each waiting task to exactly one of many concurrent claimers', async () => {
    await a.tasks.insert(newTask('x1', 'i1'));
    await a.tasks.insert(newTask('x2', 'i2'));
    const claims = await Promise.all(Array.from({ length: 8 }, (_, i) => (i % 2 === 0 ? a : b).queue.claimNext(`r${i}`, T0, LEASE)));
    const claimed = claims.filter((t) => t !== undefined).map((t) => t?.id);
    expect(claimed.sort()).toEqual(['x1', 'x2']);
  });

  it('lets another runner take a task over when its lease runs out, and only the new owner finish it', async () => {
    await a.tasks.insert(newTask('t'));
    const first = await a.queue.claimNext('dead-runner', T0, LEASE);
    expect(first?.attempts).toBe(1);
    expect(await b.queue.claimNext('r2', later(LEASE - 1), LEASE)).toBeUndefined();
    expect(await a.queue.renewLease('t', 'dead-runner', later(1000), LEASE)).toBe(true);
    const taken = await b.queue.claimNext('r2', later(LEASE + 1001), LEASE);
    expect(taken).toMatchObject({ id: 't', status: 'running', attempts: 2 });
    const outcome = { keys: [], stats: { scannedKeys: 1, vanishedKeys: 0, changedKeys: 0, durationMs: 1 } };
    expect(await a.queue.complete('t', 'dead-runner', outcome, later(LEASE + 2000))).toBe(false);
    expect(await a.queue.renewLease('t', 'dead-runner', later(LEASE + 2000), LEASE)).toBe(false);
    expect(await b.queue.complete('t', 'r2', outcome, later(LEASE + 2000))).toBe(true);
    expect((await a.tasks.getById('t'))?.status).toBe('success');
  });

  it('stores a result within retention.max_result_bytes, and never loads one stored larger', async () => {
    await a.tasks.insert(newTask('big'));
    await a.queue.claimNext('r1', T0, LEASE);
    // 1000 hot keys of 4 KiB each: about 4 MB, twice the default bound.
    const keys = Array.from({ length: 1000 }, (_, i) => ({ name: `k${i}:${'x'.repeat(4096)}`, type: 'string', db: 0, size: 1, unit: 'byte' as const, freq: 255 - (i % 200) }));
    const insights = { lfu: [], prefixes: [], trend: null, advice: [] };
    const outcome = { keys, stats: { scannedKeys: 1000, vanishedKeys: 0, changedKeys: 0, durationMs: 1 }, insights };
    expect(await a.queue.complete('big', 'r1', outcome, T0)).toBe(true);
    const stored = await a.tasks.getById('big');
    const result = stored?.kind === 'hot' ? stored.result : null;
    const kept = result?.keys ?? [];
    expect(Buffer.byteLength(JSON.stringify({ keys: kept, stats: result?.stats, insights: result?.insights }))).toBeLessThanOrEqual(2 * 1024 * 1024);
    expect(kept.length).toBeGreaterThan(300);
    expect(kept.length).toBeLessThan(1000);
    // The hottest kept, in order; what was left out is said.
    expect(kept.map((k) => k.name)).toEqual(keys.slice(0, kept.length).map((k) => k.name));
    expect(result?.insights?.advice).toEqual([expect.objectContaining({ code: 'result-trimmed', message: expect.stringMatching(/of 1000 hot keys were left out/) })]);
    // A process with a lower bound reads the task without its result, saying why.
    await a.close();
    if (b !== a) await b.close();
    a = await openStore(url, { maxTasksPerInstance: 3, maxResultBytes: 65_536 });
    b = a;
    const bounded = await a.tasks.getById('big');
    expect(bounded).toMatchObject({ status: 'success', result: null, errorMsg: expect.stringMatching(/the stored result is \d+ bytes, more than retention.max_result_bytes \(65536\): it was not loaded/) });
    expect((await a.tasks.list('p', 'i1', { offset: 0, limit: 10 })).records[0]?.id).toBe('big');
  });

  it('moves a task only along the transition table', async () => {
    await a.tasks.insert(newTask('t'));
    const outcome = { keys: [], stats: { scannedKeys: 0, vanishedKeys: 0, changedKeys: 0, durationMs: 0 } };
    expect(await a.queue.complete('t', 'r', outcome, T0)).toBe(false); // waiting -> success: no
    expect(await a.queue.release('t', 'r')).toBe(false);
    await a.queue.claimNext('r', T0, LEASE);
    expect(await a.queue.release('t', 'r')).toBe(true); // running -> waiting
    expect(await a.queue.fail('t', null, 'instance deleted', T0)).toBe(true); // waiting -> failed
    expect(await a.queue.complete('t', 'r', outcome, T0)).toBe(false);
    expect((await a.tasks.getById('t'))?.errorMsg).toBe('instance deleted');
  });

  it('keeps at most the configured number of tasks per instance, deleting the oldest finished first', async () => {
    const outcome = { keys: [], stats: { scannedKeys: 0, vanishedKeys: 0, changedKeys: 0, durationMs: 0 } };
    for (let i = 0; i < 5; i++) {
      await a.tasks.insert(newTask(`t${i}`, 'i1', 'manual', i));
      await a.queue.claimNext('r', later(i * 60_000), LEASE);
      await a.queue.complete(`t${i}`, 'r', outcome, later(i * 60_000));
    }
    await a.tasks.insert(newTask('other', 'i2', 'manual', 0));
    const page = await a.tasks.list('p', 'i1', { offset: 0, limit: 100 });
    expect(page.count).toBe(3);
    expect(page.records.map((t) => t.id)).toEqual(['t4', 't3', 't2']);
    // An active task is never the one deleted.
    await a.tasks.insert(newTask('active', 'i1', 'manual', 10));
    const after = await a.tasks.list('p', 'i1', { offset: 0, limit: 100 });
    expect(after.records.map((t) => t.id)).toEqual(['active', 't4', 't3']);
    expect((await a.tasks.list('p', 'i2', { offset: 0, limit: 100 })).count).toBe(1);
  });

  it('creates one auto task per slot however many processes try at once, with its ledger row', async () => {
    const outcomes = await Promise.all(
      Array.from({ length: 6 }, (_, i) => (i % 2 === 0 ? a : b).tasks.insertScheduled({ ...newTask(`auto${i}`, 'i1', 'auto'), scanType: 'auto' }, '2026-11-29T21:00', T0)),
    );
    expect(outcomes.filter((o) => o === 'created')).toHaveLength(1);
    expect(outcomes.filter((o) => o !== 'created').every((o) => o === 'taken')).toBe(true);
    const [run] = await a.autoscanRuns.list('i1');
    expect(run).toMatchObject({ slot: '2026-11-29T21:00', outcome: 'created' });
    expect((await a.tasks.getById(run!.taskId ?? ''))?.scanType).toBe('auto');
    // The next slot, while that task is still waiting: skipped, recorded, no second task.
    expect(await b.tasks.insertScheduled({ ...newTask('auto-next', 'i1', 'auto'), scanType: 'auto' }, '2026-11-30T21:00', T0)).toBe('skipped');
    expect((await a.tasks.list('p', 'i1', { offset: 0, limit: 10 })).count).toBe(1);
    expect(await a.autoscanRuns.claim('i1', '2026-11-30T21:00', T0, 'missed')).toBe(false);
  });

  it('bootstraps one default project however many processes start together', async () => {
    const results = await Promise.all([new AuthService(a, []).bootstrap([]), new AuthService(b, []).bootstrap([]), new AuthService(a, []).bootstrap([])]);
    expect(new Set(results.map((r) => r.projectId)).size).toBe(1);
    expect(results.filter((r) => r.newAdminToken !== null)).toHaveLength(1);
  });
});
