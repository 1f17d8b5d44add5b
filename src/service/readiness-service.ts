/**
 * Readiness: can this process serve the API now? Everything the API does goes through the
 * store, so the store answering a trivial read within a short deadline is the test. Liveness
 * (/healthz) stays separate and never touches the store: a database outage should take the
 * process out of a load balancer, not get it restarted.
 */
import { boundedProbe, type ProbeResult } from '../domain/bounded-probe.js';
import type { Store } from '../storage/store.js';

export type Readiness = { readonly ready: true } | { readonly ready: false; readonly reason: string; readonly error?: unknown };

/** Long enough for a healthy database across a network, short enough for a probe's own timeout (Kubernetes: 1 s by default). */
export const READINESS_DEADLINE_MS = 900;

export class ReadinessService {
  private readonly ping: () => Promise<ProbeResult<void>>;

  constructor(
    store: Store,
    private readonly deadlineMs = READINESS_DEADLINE_MS,
  ) {
    this.ping = boundedProbe(() => store.ping(), deadlineMs);
  }

  async check(): Promise<Readiness> {
    const result = await this.ping();
    if (result.ok) return { ready: true };
    if (result.reason === 'timeout') return { ready: false, reason: `the database did not answer within ${this.deadlineMs} ms` };
    return { ready: false, reason: 'the database cannot be queried (see the keyheat log)', error: result.error };
  }
}
