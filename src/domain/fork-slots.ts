/**
 * One fork per host at a time: two snapshots (a hot and a big key task, two instances, a
 * primary and its replica) on one machine would copy-on-write at once. The slots are the
 * process's own with the embedded store (one process owns it), and shared by every process
 * through the store with PostgreSQL (storage/pg-fork-slots.ts: an advisory lock per host): the
 * engine takes them as given.
 */
export interface ForkSlots {
  /**
   * Runs `work` holding the fork slot of `host`, after waiting for it at most `maxWaitMs`: past
   * that it throws ForkSlotTimeout, and an abort of `signal` ends the wait with its reason.
   */
  hold<T>(host: string, maxWaitMs: number, signal: AbortSignal, work: () => Promise<T>): Promise<T>;
}

/** The wait for a host's fork slot outlasted its bound. */
export class ForkSlotTimeout extends Error {
  constructor(
    readonly host: string,
    readonly waitedMs: number,
  ) {
    super(`waited ${waitedMs} ms for the fork slot of host ${host}: another snapshot of that host (by this or another keyheat process) held it all that time (snapshot.max_slot_wait_ms)`);
    this.name = 'ForkSlotTimeout';
  }
}

/**
 * The slots of one process: a chain of holders per host, each waiting for the one before it.
 * `inner`, when given, is taken once this process's turn has come (a slot shared with other
 * processes), within what is left of the wait.
 */
export function processForkSlots(inner?: ForkSlots): ForkSlots {
  const chains = new Map<string, Promise<void>>();
  return {
    async hold<T>(host: string, maxWaitMs: number, signal: AbortSignal, work: () => Promise<T>): Promise<T> {
      const started = performance.now();
      const previous = chains.get(host) ?? Promise.resolve();
      let release: () => void = () => undefined;
      const mine = new Promise<void>((resolve) => (release = resolve));
      // Whoever comes next waits for this holder; one that gave up waiting releases at once.
      const chained = previous.then(() => mine);
      chains.set(host, chained);
      try {
        await waitFor(previous, host, maxWaitMs, signal);
        if (inner === undefined) return await work();
        const left = Math.max(1, maxWaitMs - (performance.now() - started));
        try {
          return await inner.hold(host, left, signal, work);
        } catch (error) {
          // The whole wait, this process's part included, is what the bound was about.
          if (error instanceof ForkSlotTimeout) throw new ForkSlotTimeout(host, Math.round(performance.now() - started));
          throw error;
        }
      } finally {
        release();
        if (chains.get(host) === chained) chains.delete(host);
      }
    },
  };
}

/** Resolves with `turn`, or rejects at the bound (ForkSlotTimeout) or on abort. */
function waitFor(turn: Promise<void>, host: string, maxWaitMs: number, signal: AbortSignal): Promise<void> {
  const started = performance.now();
  return new Promise<void>((resolve, reject) => {
    const done = (): void => {
      clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
    };
    const onAbort = (): void => {
      done();
      reject(signal.reason as Error);
    };
    const timer = setTimeout(() => {
      done();
      reject(new ForkSlotTimeout(host, Math.round(performance.now() - started)));
    }, maxWaitMs);
    if (signal.aborted) {
      onAbort();
      return;
    }
    signal.addEventListener('abort', onAbort, { once: true });
    void turn.then(() => {
      done();
      resolve();
    });
  });
}
