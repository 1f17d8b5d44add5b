/** The one place that reads database driver errors. */
export type SqlFailureKind = 'unique-violation' | 'unavailable' | 'other';

/** Node socket errors: the database is not there (restart, network cut, half-open connection). */
const SOCKET_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND']);

export function classifySqlError(error: unknown): SqlFailureKind {
  if (typeof error !== 'object' || error === null) return 'other';
  const code = (error as { code?: unknown }).code;
  // better-sqlite3: SQLITE_CONSTRAINT_UNIQUE / _PRIMARYKEY; node-postgres: SQLSTATE 23505.
  if (code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY' || code === '23505') {
    return 'unique-violation';
  }
  if (typeof code === 'string') {
    // SQLSTATE class 08 (connection exception), 57P01-57P03 (server shutting down or starting),
    // 57014 (statement timeout: the database is too slow to serve now).
    if (code.startsWith('08') || /^57P0[123]$/.test(code) || code === '57014' || SOCKET_CODES.has(code)) return 'unavailable';
    return 'other';
  }
  // node-postgres raises these without a code when the socket ends or its own timer fires.
  const message = (error as { message?: unknown }).message;
  if (typeof message === 'string' && /^(Connection terminated|Query read timeout|Client has encountered a connection error)/.test(message)) return 'unavailable';
  return 'other';
}
