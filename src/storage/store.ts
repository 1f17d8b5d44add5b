/** The store: every repository over one database, opened, migrated and closed together. */
import type { Kysely } from 'kysely';
import { AuthRepository } from './auth-repository.js';
import { AutoscanRepository } from './autoscan-repository.js';
import { migrateToLatest, openDatabase, type DatabaseHandle, type StoreCapabilities } from './database.js';
import { InstanceRepository } from './instance-repository.js';
import type { Database } from './schema.js';
import { TaskRepository } from './task-repository.js';

export interface Store {
  readonly capabilities: StoreCapabilities;
  readonly description: string;
  readonly auth: AuthRepository;
  readonly instances: InstanceRepository;
  readonly tasks: TaskRepository;
  readonly autoscan: AutoscanRepository;
  close(): Promise<void>;
}

export async function openStore(url: string): Promise<Store> {
  const handle = openDatabase(url);
  try {
    await migrateToLatest(handle.db);
  } catch (error) {
    await handle.close();
    throw error;
  }
  return storeOver(handle);
}

function storeOver(handle: DatabaseHandle): Store {
  const db: Kysely<Database> = handle.db;
  return {
    capabilities: handle.capabilities,
    description: handle.description,
    auth: new AuthRepository(db),
    instances: new InstanceRepository(db),
    tasks: new TaskRepository(db),
    autoscan: new AutoscanRepository(db),
    close: () => handle.close(),
  };
}
