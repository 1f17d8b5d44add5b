/**
 * The PostgreSQL pool's settings and its failure boundary. A half-open TCP connection must not
 * hang claims, lease renewals or requests: keepalive finds a dead peer, the statement timeout
 * bounds a query on the server and the query timeout bounds it on the client (a server that is
 * gone cannot cancel anything). Connection-level failures become KeyheatError storeUnavailable,
 * which HTTP answers with a 503 envelope and the runner retries at its next poll.
 */
import type { PostgresPool, PostgresPoolClient } from 'kysely';
import type pg from 'pg';
import { KeyheatError } from '../domain/errors.js';
import { classifySqlError } from './classify-sql-error.js';

export interface PoolSettings {
  readonly poolSize: number;
  readonly statementTimeoutMs: number;
  readonly connectTimeoutMs: number;
  /** TCP keepalive; the first probe after this much idle time (keepAliveInitialDelayMillis). 0 turns it off. */
  readonly keepaliveMs: number;
}

export const POOL_DEFAULTS: PoolSettings = Object.freeze({ poolSize: 10, statementTimeoutMs: 30_000, connectTimeoutMs: 10_000, keepaliveMs: 10_000 });

/** How long past the server's statement timeout the client gives up on its own. */
const CLIENT_MARGIN_MS = 2_000;

export function pgPoolConfig(url: string, settings: PoolSettings): pg.PoolConfig {
  return {
    connectionString: url,
    application_name: 'keyheat',
    max: settings.poolSize,
    connectionTimeoutMillis: settings.connectTimeoutMs,
    statement_timeout: settings.statementTimeoutMs,
    query_timeout: settings.statementTimeoutMs + CLIENT_MARGIN_MS,
    keepAlive: settings.keepaliveMs > 0,
    keepAliveInitialDelayMillis: settings.keepaliveMs,
  };
}

/** The pool as Kysely sees it, with connection-level failures turned into storeUnavailable. */
export function unavailableAware(pool: pg.Pool): PostgresPool {
  return {
    connect: async () => {
      let client: pg.PoolClient;
      try {
        client = await pool.connect();
      } catch (error) {
        throw unavailable(error);
      }
      return wrapClient(client);
    },
    end: () => pool.end(),
  };
}

function wrapClient(client: pg.PoolClient): PostgresPoolClient {
  let broken = false;
  // node-postgres listens for errors only on idle clients: a checked-out one whose server goes
  // away between two queries of a transaction would emit an unhandled 'error' and crash us.
  // Its next query fails anyway (and is reported as unavailable); here it is only marked.
  const onError = (): void => {
    broken = true;
  };
  client.on('error', onError);
  const run = async (sqlText: string, parameters: readonly unknown[]): Promise<pg.QueryResult> => {
    try {
      return await client.query(sqlText, [...parameters]);
    } catch (error) {
      if (classifySqlError(error) !== 'unavailable') throw error;
      broken = true;
      throw unavailable(error);
    }
  };
  // Streams (a cursor object instead of SQL text) go straight through: keyheat does not use them.
  const query = ((first: string | object, parameters?: readonly unknown[]) =>
    typeof first === 'string' ? run(first, parameters ?? []) : client.query(first as pg.Submittable)) as unknown as PostgresPoolClient['query'];
  // A connection that failed is destroyed on release rather than handed to the next query.
  return {
    query,
    release: (destroy?: boolean) => {
      client.removeListener('error', onError);
      client.release(destroy === true || broken);
    },
  };
}

function unavailable(error: unknown): KeyheatError {
  const reason = error instanceof Error ? error.message : String(error);
  return new KeyheatError('storeUnavailable', { detail: `the database is unreachable; retry shortly (${reason})`, cause: error });
}
