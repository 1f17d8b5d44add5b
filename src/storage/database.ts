/**
 * The Kysely dialect factory: the only place that knows which database engine is in use.
 * Everything above talks to repositories in domain words.
 */
import path from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import { Kysely, Migrator, PostgresDialect, SqliteDialect, sql } from 'kysely';
import pg from 'pg';
import { StoreLockedError, UnsupportedDatabaseUrl } from '../domain/store-errors.js';
import { redactDatabaseUrl } from '../domain/redact-url.js';
import { migrationProvider } from './migrations.js';
import { createPrivateFile, makePrivateDir, tightenSqliteFiles } from './private-files.js';
import type { ForkSlots } from '../domain/fork-slots.js';
import { pgForkSlots } from './pg-fork-slots.js';
import { pgPoolConfig, POOL_DEFAULTS, unavailableAware, type PoolSettings } from './pg-pool.js';
import type { Database } from './schema.js';

export interface StoreCapabilities {
  readonly dialect: 'sqlite' | 'postgres';
  /** One process owns the whole database (embedded SQLite): orphaned running tasks can be reclaimed at once. */
  readonly singleProcess: boolean;
  /** SELECT ... FOR UPDATE SKIP LOCKED: concurrent claimers pass over each other's rows. */
  readonly supportsSkipLocked: boolean;
}

export interface DatabaseHandle {
  readonly db: Kysely<Database>;
  readonly capabilities: StoreCapabilities;
  /** Where the data lives, without credentials, for log lines. */
  readonly description: string;
  /** Fork slots shared by every process of the store; null where one process owns it (the process's own then). */
  readonly forkSlots: ForkSlots | null;
  /** Closes the database and releases what opening it took. */
  close(): Promise<void>;
}


export function openDatabase(url: string, pool: PoolSettings = POOL_DEFAULTS): DatabaseHandle {
  if (url.startsWith('sqlite:')) return openSqlite(url.slice('sqlite:'.length));
  if (/^postgres(ql)?:\/\//.test(url)) return openPostgres(url, pool);
  throw new UnsupportedDatabaseUrl(`unsupported database URL "${redactDatabaseUrl(url)}": use sqlite:PATH or postgres://user@host:5432/db`);
}

function openSqlite(file: string): DatabaseHandle {
  if (file === '') throw new UnsupportedDatabaseUrl('sqlite: URL without a file path');
  const inMemory = file === ':memory:';
  // The database holds the Redis passwords of registered instances: owner-only access.
  // The file exists with 0600 before SQLite opens it (SQLite gives -wal and -shm the same mode);
  // an existing file and its companions are tightened.
  if (!inMemory) {
    makePrivateDir(path.dirname(path.resolve(file)));
    createPrivateFile(file);
    tightenSqliteFiles(file);
  }
  const sqlite = new SqliteDatabase(file);
  try {
    // One process owns the database: an exclusive lock, taken now and held until the
    // connection closes. It is the operating system's lock, so it goes with a dead process
    // and cannot be taken by a second live one (another container on the same volume included).
    sqlite.pragma('locking_mode = EXCLUSIVE');
    sqlite.pragma('busy_timeout = 0');
    sqlite.pragma('journal_mode = WAL');
    sqlite.exec('BEGIN IMMEDIATE; COMMIT;');
  } catch (error) {
    sqlite.close();
    if ((error as { code?: unknown }).code === 'SQLITE_BUSY') throw new StoreLockedError(path.resolve(file));
    throw error;
  }
  // FULL: a committed task survives a power cut, not only a process crash. Writes are few.
  sqlite.pragma('synchronous = FULL');
  sqlite.pragma('foreign_keys = ON');
  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: sqlite }) });
  return {
    db,
    capabilities: { dialect: 'sqlite', singleProcess: true, supportsSkipLocked: false },
    description: inMemory ? 'sqlite (in memory)' : `sqlite ${path.resolve(file)}`,
    forkSlots: null,
    close: () => db.destroy(),
  };
}

/**
 * PostgreSQL through node-postgres. Several keyheat processes may share it. A `search_path` can
 * be given in the URL the libpq way: `postgres://u@h/db?options=-c%20search_path%3Dkeyheat`.
 * A lost connection (restart, half-open TCP, timeout) surfaces as KeyheatError storeUnavailable
 * (503), see pg-pool.ts; the next query opens a fresh connection.
 */
function openPostgres(url: string, settings: PoolSettings): DatabaseHandle {
  const pool = new pg.Pool(pgPoolConfig(url, settings));
  // An idle client losing its connection (server restart) must not crash the process: node-postgres
  // emits 'error' on the pool, and an unhandled 'error' event would throw. The pool drops that client.
  pool.on('error', (error) => process.emitWarning(`PostgreSQL connection lost: ${error.message}`));
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool: unavailableAware(pool) }) });
  return {
    db,
    capabilities: { dialect: 'postgres', singleProcess: false, supportsSkipLocked: true },
    description: `postgres ${redactDatabaseUrl(url)}`,
    forkSlots: pgForkSlots(pool),
    close: () => db.destroy(),
  };
}

export async function migrateToLatest(db: Kysely<Database>, capabilities: StoreCapabilities): Promise<void> {
  // Kysely looks for its bookkeeping tables in every schema unless told which: pin the one the
  // connection uses (search_path), so two keyheat databases in one PostgreSQL stay apart.
  const schema =
    capabilities.dialect === 'postgres'
      ? (await sql<{ schema: string }>`select current_schema() as schema`.execute(db)).rows[0]?.schema
      : undefined;
  const migrator = new Migrator({ db, provider: migrationProvider, ...(schema === undefined ? {} : { migrationTableSchema: schema }) });
  for (let attempt = 1; ; attempt++) {
    const { error, results } = await migrator.migrateToLatest();
    const failed = results?.find((result) => result.status === 'Error');
    if (error === undefined && failed === undefined) return;
    // Kysely's introspection reads every schema of the database; one dropped by someone else
    // meanwhile (another application, another test) fails it with 3F000 naming that schema.
    // Nothing of ours was written then (the migrator works in a transaction): look again.
    if (attempt < 5 && failed === undefined && isOtherSchemaGone(error, schema)) {
      await new Promise((resolve) => setTimeout(resolve, 100 * attempt));
      continue;
    }
    throw new Error(`database migration ${failed?.migrationName ?? ''} failed: ${String(error)}`, { cause: error });
  }
}

/** PostgreSQL's invalid_schema_name (3F000) about a schema that is not ours. */
function isOtherSchemaGone(error: unknown, ours: string | undefined): boolean {
  const code = (error as { code?: unknown } | undefined)?.code;
  const message = String((error as { message?: unknown } | undefined)?.message ?? '');
  return code === '3F000' && (ours === undefined || !message.includes(`"${ours}"`));
}
