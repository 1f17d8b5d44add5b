/**
 * The Kysely dialect factory: the only place that knows which database engine is in use.
 * Everything above talks to repositories in domain words.
 */
import { chmodSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import { Kysely, Migrator, PostgresDialect, SqliteDialect, sql } from 'kysely';
import pg from 'pg';
import { StoreLockedError, UnsupportedDatabaseUrl } from '../domain/store-errors.js';
import { migrationProvider } from './migrations.js';
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
  /** Closes the database and releases what opening it took. */
  close(): Promise<void>;
}


export function openDatabase(url: string): DatabaseHandle {
  if (url.startsWith('sqlite:')) return openSqlite(url.slice('sqlite:'.length));
  if (/^postgres(ql)?:\/\//.test(url)) return openPostgres(url);
  throw new UnsupportedDatabaseUrl(`unsupported database URL "${redactDatabaseUrl(url)}": use sqlite:PATH or postgres://user@host:5432/db`);
}

function openSqlite(file: string): DatabaseHandle {
  if (file === '') throw new UnsupportedDatabaseUrl('sqlite: URL without a file path');
  const inMemory = file === ':memory:';
  // The database holds the Redis passwords of registered instances: owner-only access.
  if (!inMemory) mkdirSync(path.dirname(path.resolve(file)), { recursive: true, mode: 0o700 });
  const sqlite = new SqliteDatabase(file);
  if (!inMemory) chmodSync(file, 0o600);
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
    close: () => db.destroy(),
  };
}

/**
 * PostgreSQL through node-postgres. Several keyheat processes may share it. A `search_path` can
 * be given in the URL the libpq way: `postgres://u@h/db?options=-c%20search_path%3Dkeyheat`.
 */
function openPostgres(url: string): DatabaseHandle {
  const pool = new pg.Pool({ connectionString: url, max: 10, connectionTimeoutMillis: 10_000, application_name: 'keyheat' });
  // An idle client losing its connection must not crash the process; the next query reconnects.
  pool.on('error', (error) => process.emitWarning(`PostgreSQL connection lost: ${error.message}`));
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  return {
    db,
    capabilities: { dialect: 'postgres', singleProcess: false, supportsSkipLocked: true },
    description: `postgres ${redactDatabaseUrl(url)}`,
    close: () => db.destroy(),
  };
}

/** The URL without its password, for log lines. */
export function redactDatabaseUrl(url: string): string {
  return url.replace(/(\/\/[^:@/]*):[^@/]*@/, '$1:***@');
}

export async function migrateToLatest(db: Kysely<Database>, capabilities: StoreCapabilities): Promise<void> {
  // Kysely looks for its bookkeeping tables in every schema unless told which: pin the one the
  // connection uses (search_path), so two keyheat databases in one PostgreSQL stay apart.
  const schema =
    capabilities.dialect === 'postgres'
      ? (await sql<{ schema: string }>`select current_schema() as schema`.execute(db)).rows[0]?.schema
      : undefined;
  const migrator = new Migrator({ db, provider: migrationProvider, ...(schema === undefined ? {} : { migrationTableSchema: schema }) });
  const { error, results } = await migrator.migrateToLatest();
  const failed = results?.find((result) => result.status === 'Error');
  if (error !== undefined || failed !== undefined) {
    throw new Error(`database migration ${failed?.migrationName ?? ''} failed: ${String(error)}`, { cause: error });
  }
}
