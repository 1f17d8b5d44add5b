/**
 * A check of something slow (the database) that a caller may wait on for a short time only:
 * a readiness probe or a metrics scrape must answer even when the database hangs.
 */

export type ProbeResult<T> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly reason: 'timeout' }
  | { readonly ok: false; readonly reason: 'error'; readonly error: unknown };

/**
 * Wraps `probe` so that each call waits at most `deadlineMs`. One probe at a time: while one is
 * still out, callers share it instead of starting another, so a database that hangs costs one
 * stuck query (one pooled connection), not one per scrape or probe.
 */
export function boundedProbe<T>(probe: () => Promise<T>, deadlineMs: number): () => Promise<ProbeResult<T>> {
  let inFlight: Promise<ProbeResult<T>> | null = null;
  return () => {
    inFlight ??= probe()
      .then((value): ProbeResult<T> => ({ ok: true, value }), (error: unknown): ProbeResult<T> => ({ ok: false, reason: 'error', error }))
      .finally(() => {
        inFlight = null;
      });
    return withDeadline(inFlight, deadlineMs);
  };
}

function withDeadline<T>(work: Promise<ProbeResult<T>>, deadlineMs: number): Promise<ProbeResult<T>> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<ProbeResult<T>>((resolve) => {
    timer = setTimeout(() => resolve({ ok: false, reason: 'timeout' }), deadlineMs);
    timer.unref();
  });
  return Promise.race([work, late]).finally(() => clearTimeout(timer));
}
