/** The store: every repository over one database, opened, migrated and closed together. */
import { sql, type Kysely } from 'kysely';
import { AuthRepository } from './auth-repository.js';
import { AutoscanRepository, AutoscanRunRepository } from './autoscan-repository.js';
import { FindingsRecords } from './findings-records.js';
import { migrateToLatest, openDatabase, type DatabaseHandle, type StoreCapabilities } from './database.js';
import { InstanceRepository } from './instance-repository.js';
import type { ForkSlots } from '../domain/fork-slots.js';
import { generateSecretKey, type SecretKey } from '../domain/secret-box.js';
import type { PoolSettings } from './pg-pool.js';
import type { Database } from './schema.js';
import { TaskQueue } from './task-queue.js';
import { DEFAULT_MAX_RESULT_BYTES, TaskRecords } from './task-records.js';

export interface Store {
  readonly capabilities: StoreCapabilities;
  readonly description: string;
  readonly auth: AuthRepository;
  readonly instances: InstanceRepository;
  /** Creating, reading and deleting tasks. */
  readonly tasks: TaskRecords;
  /** Claims, leases, progress and outcomes of running tasks. */
  readonly queue: TaskQueue;
  readonly autoscan: AutoscanRepository;
  readonly autoscanRuns: AutoscanRunRepository;
  /** What the latest successful tasks found, for /metrics. */
  readonly findings: FindingsRecords;
  /** Fork slots shared by every process of the store (PostgreSQL); null: one process owns it. */
  readonly forkSlots: ForkSlots | null;
  /** Resolves once the database has answered a trivial read of one of keyheat's tables (readiness). */
  ping(): Promise<void>;
  close(): Promise<void>;
}

export interface StoreSettings {
  readonly maxTasksPerInstance: number;
  /** retention.max_result_bytes: a stored result never exceeds it, and reading a task never loads more. */
  readonly maxResultBytes?: number;
  /**
   * Seals the stored Redis passwords. With a key, passwords still in plain text are sealed at
   * open. Without one (commands that never read instances, such as token reset), a random key
   * lives for this process only and plain passwords are left as they are.
   */
  readonly secretKey?: SecretKey;
  /** PostgreSQL pool; ignored by SQLite. */
  readonly pool?: PoolSettings;
}

export const STORE_DEFAULTS: StoreSettings = Object.freeze({ maxTasksPerInstance: 100 });

export async function openStore(url: string, settings: StoreSettings = STORE_DEFAULTS): Promise<Store> {
  const handle = openDatabase(url, settings.pool);
  try {
    await migrateToLatest(handle.db, handle.capabilities);
    if (settings.secretKey !== undefined) await new InstanceRepository(handle.db, settings.secretKey).sealPlainPasswords();
  } catch (error) {
    await handle.close();
    throw error;
  }
  return storeOver(handle, settings);
}

function storeOver(handle: DatabaseHandle, settings: StoreSettings): Store {
  const db: Kysely<Database> = handle.db;
  return {
    capabilities: handle.capabilities,
    description: handle.description,
    auth: new AuthRepository(db),
    instances: new InstanceRepository(db, settings.secretKey ?? generateSecretKey()),
    tasks: new TaskRecords(db, settings, handle.capabilities),
    queue: new TaskQueue(db, handle.capabilities, settings.maxResultBytes),
    autoscanRuns: new AutoscanRunRepository(db),
    autoscan: new AutoscanRepository(db, handle.capabilities),
    findings: new FindingsRecords(db, handle.capabilities, settings.maxResultBytes ?? DEFAULT_MAX_RESULT_BYTES),
    forkSlots: handle.forkSlots,
    // A table of ours rather than `select 1`: the answer proves the schema is there and readable too.
    ping: async () => {
      await sql`select 1 from projects limit 1`.execute(db);
    },
    close: () => handle.close(),
  };
}
