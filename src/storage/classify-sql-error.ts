/** The one place that reads database driver errors. */
export type SqlFailureKind = 'unique-violation' | 'other';

export function classifySqlError(error: unknown): SqlFailureKind {
  if (typeof error !== 'object' || error === null) return 'other';
  const code = (error as { code?: unknown }).code;
  // better-sqlite3: SQLITE_CONSTRAINT_UNIQUE / _PRIMARYKEY; node-postgres: SQLSTATE 23505.
  if (code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY' || code === '23505') {
    return 'unique-violation';
  }
  return 'other';
}
