/**
 * The process's own metrics (CPU, memory, file descriptors, event loop lag, GC), prefixed
 * keyheat_. They describe the process, not one app, and collecting them starts a GC observer
 * and an event loop monitor that prom-client offers no way to stop: so they are collected once
 * per process, into a registry of their own (never prom-client's global one), and every app
 * merges it into its scrape. Tests that build several apps in one process share it too.
 */
import { collectDefaultMetrics, Registry } from 'prom-client';

export const METRIC_PREFIX = 'keyheat_';

let shared: Registry | null = null;

export function processMetrics(): Registry {
  if (shared === null) {
    shared = new Registry();
    collectDefaultMetrics({ register: shared, prefix: METRIC_PREFIX });
  }
  return shared;
}
