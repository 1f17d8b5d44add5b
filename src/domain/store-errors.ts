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
