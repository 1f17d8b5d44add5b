/** The PostgreSQL pool settings: config defaults and ranges, what reaches node-postgres, which driver errors mean "unavailable". */
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load-config.js';
import { classifySqlError } from '../../src/storage/classify-sql-error.js';
import { pgPoolConfig, POOL_DEFAULTS } from '../../src/storage/pg-pool.js';

describe('database pool settings', () => {
  it('has sane defaults and takes overrides from the environment', () => {
    expect(loadConfig({ env: {} }).database).toMatchObject({ pool_size: 10, statement_timeout_ms: 30_000, connect_timeout_ms: 10_000, keepalive: true, keepalive_delay_ms: 10_000 });
    const database = loadConfig({ env: { KEYHEAT_DATABASE_POOL_SIZE: '3', KEYHEAT_DATABASE_KEEPALIVE: 'false' } }).database;
    expect(database).toMatchObject({ pool_size: 3, keepalive: false });
    expect(() => loadConfig({ env: { KEYHEAT_DATABASE_POOL_SIZE: '0' } })).toThrow(/pool_size/);
  });

  it('passes the pool size, both timeouts and TCP keepalive to node-postgres', () => {
    expect(pgPoolConfig('postgres://u@h/db', POOL_DEFAULTS)).toMatchObject({
      max: 10,
      connectionTimeoutMillis: 10_000,
      statement_timeout: 30_000,
      query_timeout: 32_000,
      keepAlive: true,
      keepAliveInitialDelayMillis: 10_000,
    });
    expect(pgPoolConfig('postgres://u@h/db', { ...POOL_DEFAULTS, keepaliveMs: 0 }).keepAlive).toBe(false);
  });

  it('classifies lost connections, restarts and timeouts as unavailable, nothing else', () => {
    const cases: [unknown, string][] = [
      [{ code: 'ECONNREFUSED' }, 'unavailable'],
      [{ code: '57P01' }, 'unavailable'],
      [{ code: '57014' }, 'unavailable'],
      [{ code: '08006' }, 'unavailable'],
      [new Error('Connection terminated unexpectedly'), 'unavailable'],
      [new Error('Query read timeout'), 'unavailable'],
      [{ code: '23505' }, 'unique-violation'],
      [{ code: '42P01' }, 'other'],
      [new Error('something else'), 'other'],
    ];
    for (const [error, kind] of cases) expect(classifySqlError(error), JSON.stringify(error)).toBe(kind);
  });
});
