/**
 * Keeping forks apart: one fork per host at a time in this process, held until the child
 * exited (redis/fork-cost.ts reads what each one cost).
 */

/** `host` of `host:port` (`[v6]:port` too). */
export function hostOf(address: string): string {
  return address.slice(0, address.lastIndexOf(':'));
}

/**
 * One fork at a time per host in this process: two snapshots (a hot and a big key task, two
 * instances, a primary and a replica) on one machine would copy-on-write at once. A snapshot
 * waiting for its turn still listens to its abort.
 */
const forkSlots = new Map<string, Promise<void>>();

export async function withForkSlot<T>(host: string, signal: AbortSignal, work: () => Promise<T>): Promise<T> {
  const previous = forkSlots.get(host) ?? Promise.resolve();
  let release: () => void = () => undefined;
  const mine = new Promise<void>((resolve) => (release = resolve));
  const chained = previous.then(() => mine);
  forkSlots.set(host, chained);
  try {
    await new Promise<void>((resolve, reject) => {
      const onAbort = (): void => reject(signal.reason as Error);
      if (signal.aborted) onAbort();
      signal.addEventListener('abort', onAbort, { once: true });
      void previous.then(() => {
        signal.removeEventListener('abort', onAbort);
        resolve();
      });
    });
    return await work();
  } finally {
    release();
    if (forkSlots.get(host) === chained) forkSlots.delete(host);
  }
}
