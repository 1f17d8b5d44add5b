/**
 * The real analysis engine, held at its start until `open()`: a test can act while a task is
 * running (cut the database, jump the clock) and then let it finish. `started` resolves at the
 * first start, `starts()` counts them (a task must never start twice), and a stop (delete,
 * shutdown) still ends a held analysis.
 */
import { analyzeDeployment } from '../../src/engine/analyze-deployment.js';
import type { Analyze } from '../../src/runner/kind-runs.js';

export interface GatedAnalysis {
  readonly analyze: Analyze;
  readonly started: Promise<void>;
  starts(): number;
  open(): void;
}

export function gatedAnalysis(): GatedAnalysis {
  let starts = 0;
  let open: () => void = () => undefined;
  let markStarted: () => void = () => undefined;
  const gate = new Promise<void>((resolve) => (open = resolve));
  const started = new Promise<void>((resolve) => (markStarted = resolve));
  const analyze: Analyze = async (target, options) => {
    starts += 1;
    markStarted();
    await new Promise<void>((resolve, reject) => {
      void gate.then(resolve);
      options.signal?.addEventListener('abort', () => reject(options.signal?.reason as Error));
    });
    return analyzeDeployment(target, options);
  };
  return { analyze, started, starts: () => starts, open: () => open() };
}
