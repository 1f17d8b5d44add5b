/**
 * Paces a scan to at most `keysPerSecond` on one node. Each batch reserves its share of time on
 * a virtual clock and waits until its slot comes; there is no burst beyond one batch, so the
 * node sees an even trickle of small batches.
 */
export class RateLimiter {
  private nextFree = 0;

  constructor(
    private readonly keysPerSecond: number,
    private readonly now: () => number = () => performance.now(),
    private readonly wait: (ms: number, signal?: AbortSignal) => Promise<void> = sleep,
  ) {
    if (!(keysPerSecond > 0)) throw new RangeError(`rate must be > 0 keys/s, got ${keysPerSecond}`);
  }

  /** Resolves when `keys` more keys may be read. */
  async take(keys: number, signal?: AbortSignal): Promise<void> {
    const now = this.now();
    const start = Math.max(this.nextFree, now);
    this.nextFree = start + (keys * 1000) / this.keysPerSecond;
    const wait = start - now;
    if (wait >= 1) await this.wait(wait, signal);
  }
}

export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted === true) {
      reject(signal.reason);
      return;
    }
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
