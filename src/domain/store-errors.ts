/** Why the store could not be opened, for a clear message at start-up. */
export class UnsupportedDatabaseUrl extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UnsupportedDatabaseUrl';
  }
}

/** The SQLite database is held by another process. */
export class StoreLockedError extends Error {
  constructor(readonly file: string) {
    super(`another process is using the database ${file} (is keyheat serve running?); stop it, or use PostgreSQL to run several processes`);
    this.name = 'StoreLockedError';
  }
}

/** The instance a task or schedule was being written for was deleted meanwhile. */
export class InstanceGoneError extends Error {
  constructor(readonly instanceId: string) {
    super(`instance ${instanceId} was deleted`);
    this.name = 'InstanceGoneError';
  }
}
