/**
 * Fork slots shared by every keyheat process of one PostgreSQL store (domain/fork-slots.ts): a
 * session advisory lock per host, taken on a connection of its own held for the whole snapshot,
 * so two processes never fork one host at once. Within a process the holders queue in memory
 * first (processForkSlots), so a process asks PostgreSQL for one lock per host at a time. A
 * lost connection drops the lock with it (PostgreSQL releases a dead session's locks).
 */
import type pg from 'pg';
import { ForkSlotTimeout, processForkSlots, type ForkSlots } from '../domain/fork-slots.js';

/** How often a taken lock is asked for again. */
const POLL_MS = 200;

function lockKey(host: string): string {
  return `keyheat fork slot ${host}`;
}

class AdvisoryLocks implements ForkSlots {
  constructor(private readonly pool: pg.Pool) {}

  async hold<T>(host: string, maxWaitMs: number, signal: AbortSignal, work: () => Promise<T>): Promise<T> {
    const started = performance.now();
    const client = await this.pool.connect();
    let broken: Error | undefined;
    try {
      for (;;) {
        signal.throwIfAborted();
        const { rows } = await client.query<{ taken: boolean }>('select pg_try_advisory_lock(hashtextextended($1, 0)) as taken', [lockKey(host)]);
        if (rows[0]?.taken === true) break;
        const waited = performance.now() - started;
        if (waited >= maxWaitMs) throw new ForkSlotTimeout(host, Math.round(waited));
        await pause(Math.min(POLL_MS, maxWaitMs - waited), signal);
      }
      try {
        return await work();
      } finally {
        await client.query('select pg_advisory_unlock(hashtextextended($1, 0))', [lockKey(host)]).catch((error: Error) => {
          broken = error;
        });
      }
    } catch (error) {
      if (!(error instanceof ForkSlotTimeout) && !signal.aborted) broken ??= error as Error;
      throw error;
    } finally {
      // A connection that failed is dropped, not handed back with a lock it may still hold.
      client.release(broken);
    }
  }
}

function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal.reason as Error);
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

export function pgForkSlots(pool: pg.Pool): ForkSlots {
  return processForkSlots(new AdvisoryLocks(pool));
}
