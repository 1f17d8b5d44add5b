/**
 * The runner's writes of an outcome survive a short database outage (a PostgreSQL restart):
 * they are retried while the store reports itself unavailable, for at most one lease. Past
 * that, another process may own the task; the lease expiry hands it on (or back to this
 * process, at its next poll) and the analysis runs again, counted in `attempts`.
 */
import type { Logger } from 'pino';
import { KeyheatError } from '../domain/errors.js';

export async function retryWhileStoreUnavailable<T>(
  write: () => Promise<T>,
  options: { readonly budgetMs: number; readonly giveUp: () => boolean },
  log: Logger,
): Promise<T> {
  // Monotonic: a wall clock jump must not stretch or cut the budget.
  const deadline = performance.now() + options.budgetMs;
  for (let wait = 250; ; wait = Math.min(wait * 2, 2000)) {
    try {
      return await write();
    } catch (error) {
      const transient = error instanceof KeyheatError && error.kind === 'storeUnavailable';
      if (!transient || performance.now() + wait > deadline || options.giveUp()) throw error;
      log.warn({ err: error, retry_in_ms: wait }, 'the database is unreachable; retrying the task write');
      await new Promise((resolve) => setTimeout(resolve, wait).unref());
    }
  }
}
