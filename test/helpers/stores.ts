/** The stores every storage, runner and API suite runs against. */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { inject } from 'vitest';

export type StoreKind = 'sqlite' | 'postgres';

const pgUrl = inject('pgUrl');

/** sqlite always; postgres when the run has a database (always in CI, see global-setup.ts). */
export const STORES: readonly StoreKind[] = pgUrl === null ? ['sqlite'] : ['sqlite', 'postgres'];

export function postgresAvailable(): boolean {
  return pgUrl !== null;
}

export interface PgSchema {
  /** A database URL whose search_path is the new schema. */
  readonly url: string;
  drop(): Promise<void>;
}

/** A fresh schema in the run's database, for one store (or several processes sharing one). */
export async function createPgSchema(): Promise<PgSchema> {
  if (pgUrl === null) throw new Error('PostgreSQL is not available in this run');
  const schema = `kh_${randomBytes(6).toString('hex')}`;
  await adminQuery(`CREATE SCHEMA ${schema}`);
  const url = new URL(pgUrl);
  url.searchParams.set('options', `-c search_path=${schema}`);
  return { url: url.toString(), drop: () => adminQuery(`DROP SCHEMA IF EXISTS ${schema} CASCADE`) };
}

async function adminQuery(sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: pgUrl ?? '' });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

/**
 * The secret key (base64 of 32 bytes) the harness and keyheat processes use where one must be
 * configured (PostgreSQL refuses to start without it); a fixed value, for tests only.
 */
export const TEST_SECRET_KEY = Buffer.alloc(32, 7).toString('base64');
