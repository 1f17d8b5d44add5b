/**
 * The Kysely dialect factory: the only place that knows which database engine is in use.
 * Everything above talks to repositories in domain words.
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import { Kysely, Migrator, SqliteDialect } from 'kysely';
import { acquireFileLock, type FileLock } from './file-lock.js';
import { migrationProvider } from './migrations.js';
import type { Database } from './schema.js';

export interface StoreCapabilities {
  readonly dialect: 'sqlite' | 'postgres';
  /** One process owns the whole database (embedded SQLite): orphaned running tasks can be reclaimed at once. */
  readonly singleProcess: boolean;
}

export interface DatabaseHandle {
  readonly db: Kysely<Database>;
  readonly capabilities: StoreCapabilities;
  /** Where the data lives, without credentials, for log lines. */
  readonly description: string;
  /** Closes the database and releases what opening it took. */
  close(): Promise<void>;
}

export class UnsupportedDatabaseUrl extends Error {}

export function openDatabase(url: string): DatabaseHandle {
  if (url.startsWith('sqlite:')) return openSqlite(url.slice('sqlite:'.length));
  if (/^postgres(ql)?:\/\//.test(url)) {
    throw new UnsupportedDatabaseUrl('PostgreSQL is not supported by this version of keyheat yet; use a sqlite: URL');
  }
  throw new UnsupportedDatabaseUrl(`unsupported database URL "${url.replace(/\/\/[^@/]*@/, '//***@')}": use sqlite:PATH`);
}

function openSqlite(file: string): DatabaseHandle {
  if (file === '') throw new UnsupportedDatabaseUrl('sqlite: URL without a file path');
  const inMemory = file === ':memory:';
  let lock: FileLock | null = null;
  if (!inMemory) {
    mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
    lock = acquireFileLock(`${path.resolve(file)}.lock`);
  }
  let sqlite: SqliteDatabase.Database;
  try {
    sqlite = new SqliteDatabase(file);
  } catch (error) {
    lock?.release();
    throw error;
  }
  sqlite.pragma('journal_mode = WAL');
  // FULL: a committed task survives a power cut, not only a process crash. Writes are few.
  sqlite.pragma('synchronous = FULL');
  sqlite.pragma('busy_timeout = 5000');
  sqlite.pragma('foreign_keys = ON');
  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: sqlite }) });
  return {
    db,
    capabilities: { dialect: 'sqlite', singleProcess: true },
    description: inMemory ? 'sqlite (in memory)' : `sqlite ${path.resolve(file)}`,
    close: async () => {
      await db.destroy();
      lock?.release();
    },
  };
}

export async function migrateToLatest(db: Kysely<Database>): Promise<void> {
  const migrator = new Migrator({ db, provider: migrationProvider });
  const { error, results } = await migrator.migrateToLatest();
  const failed = results?.find((result) => result.status === 'Error');
  if (error !== undefined || failed !== undefined) {
    throw new Error(`database migration ${failed?.migrationName ?? ''} failed: ${String(error)}`, { cause: error });
  }
}
