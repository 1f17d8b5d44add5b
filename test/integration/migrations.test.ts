/**
 * A database written by keyheat before big key analysis (migrations up to 0003) upgrades in
 * place: its tasks become hot key tasks, its schedules and ledger hot key schedules, and the
 * one-at-a-time rules become per kind. On both stores.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Migrator, sql, type Kysely } from 'kysely';
import { describe, expect, it } from 'vitest';
import { migrateToLatest, openDatabase } from '../../src/storage/database.js';
import { migrationProvider } from '../../src/storage/migrations.js';
import type { Database } from '../../src/storage/schema.js';
import { createPgSchema, STORES } from '../helpers/stores.js';

describe.each(STORES)('upgrading a %s database to big key analysis', (store) => {
  it('keeps every task, schedule and ledger row as hot key ones, and allows a big key task beside them', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'keyheat-migrate-'));
    const pg = store === 'postgres' ? await createPgSchema() : null;
    const handle = openDatabase(pg?.url ?? `sqlite:${path.join(dir, 'keyheat.db')}`);
    try {
      const db = handle.db as unknown as Kysely<Record<string, Record<string, unknown>>>;
      const schema = pg === null ? undefined : (await sql<{ schema: string }>`select current_schema() as schema`.execute(db)).rows[0]?.schema;
      const migrator = new Migrator({ db, provider: migrationProvider, ...(schema === undefined ? {} : { migrationTableSchema: schema }) });
      expect((await migrator.migrateTo('0003_scale_out')).error).toBeUndefined();
      const now = '2026-11-29T08:00:00.000Z';
      await db.insertInto('projects').values({ id: 'p1', source: 'config', created_at: now }).execute();
      await db
        .insertInto('instances')
        .values({ id: 'i1', project_id: 'p1', name: 'c', host: '127.0.0.1', port: 6379, tls: 0, username: null, password: null, mode: 'single', engine_version: '7.0.15', status: 'RUNNING', created_at: now, updated_at: now })
        .execute();
      await db.insertInto('hotkey_tasks').values({ id: 't1', project_id: 'p1', instance_id: 'i1', status: 'waiting', scan_type: 'manual', created_at: now, num: 0, attempts: 0 }).execute();
      await db.insertInto('autoscan_configs').values({ instance_id: 'i1', project_id: 'p1', enable_auto_scan: 1, schedule_at_json: '["21:00"]', updated_at: now }).execute();
      await db.insertInto('autoscan_runs').values({ instance_id: 'i1', slot: '2026-11-28T21:00', task_id: null, outcome: 'created', created_at: now }).execute();

      await migrateToLatest(handle.db, handle.capabilities);
      const typed = handle.db as Kysely<Database>;
      expect(await typed.selectFrom('hotkey_tasks').select(['id', 'kind', 'status']).execute()).toEqual([{ id: 't1', kind: 'hot', status: 'waiting' }]);
      expect(await typed.selectFrom('autoscan_configs').select(['instance_id', 'kind', 'schedule_at_json']).execute()).toEqual([{ instance_id: 'i1', kind: 'hot', schedule_at_json: '["21:00"]' }]);
      expect(await typed.selectFrom('autoscan_runs').select(['instance_id', 'kind', 'slot']).execute()).toEqual([{ instance_id: 'i1', kind: 'hot', slot: '2026-11-28T21:00' }]);
      // One waiting task per instance, kind and scan type: a big key task fits beside the hot one, a second hot one does not.
      await typed.insertInto('hotkey_tasks').values({ id: 't2', project_id: 'p1', instance_id: 'i1', kind: 'big', status: 'waiting', scan_type: 'manual', created_at: now, num: 0, attempts: 0 }).execute();
      await expect(
        typed.insertInto('hotkey_tasks').values({ id: 't3', project_id: 'p1', instance_id: 'i1', kind: 'hot', status: 'waiting', scan_type: 'manual', created_at: now, num: 0, attempts: 0 }).execute(),
      ).rejects.toThrow();
      await typed.insertInto('autoscan_configs').values({ instance_id: 'i1', kind: 'big', project_id: 'p1', enable_auto_scan: 0, schedule_at_json: '[]', updated_at: now }).execute();
      await typed.insertInto('autoscan_runs').values({ instance_id: 'i1', kind: 'big', slot: '2026-11-28T21:00', task_id: null, outcome: 'missed', created_at: now }).execute();
    } finally {
      await handle.close();
      await pg?.drop();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe.runIf(STORES.includes('postgres'))('migrating while other schemas of the database come and go', () => {
  it('is not failed by a schema someone else drops meanwhile (Kysely introspects every schema)', async () => {
    let churning = true;
    // Other tenants of the database creating and dropping schemas all along.
    const churn = Promise.all(
      Array.from({ length: 4 }, async () => {
        while (churning) {
          const other = await createPgSchema();
          await other.drop();
        }
      }),
    );
    try {
      for (let i = 0; i < 15; i++) {
        const pg = await createPgSchema();
        const handle = openDatabase(pg.url);
        try {
          await migrateToLatest(handle.db, handle.capabilities);
        } finally {
          await handle.close();
          await pg.drop();
        }
      }
    } finally {
      churning = false;
      await churn;
    }
  }, 90_000);
});
