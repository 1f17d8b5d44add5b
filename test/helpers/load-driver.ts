/**
 * A steady load at known rates: each key read `rate` times a second, from one connection,
 * pipelined every few milliseconds. The count is kept against performance.now(), not the timer
 * ticks, so the rate over any window of a second or more is exact whatever the timers do.
 */
import type { RespConnection } from '../../src/redis/resp-connection.js';

export interface DrivenKey {
  readonly key: string | Buffer;
  /** Reads per second. */
  readonly rate: number;
  readonly db?: number;
  /** The command; GET by default. */
  readonly command?: (key: string | Buffer) => (string | Buffer | number)[];
}

export interface LoadDriver {
  /** Commands sent per key so far. */
  readonly sent: number[];
  stop(): Promise<void>;
}

const TICK_MS = 5;

export async function driveLoad(connect: () => Promise<RespConnection>, keys: readonly DrivenKey[]): Promise<LoadDriver> {
  const connection = await connect();
  const sent = keys.map(() => 0);
  const started = performance.now();
  let inFlight: Promise<unknown> = Promise.resolve();
  let stopped = false;
  const tick = (): void => {
    if (stopped) return;
    const elapsed = (performance.now() - started) / 1000;
    const batch: (string | Buffer | number)[][] = [];
    keys.forEach((k, i) => {
      const due = Math.floor(k.rate * elapsed) - (sent[i] as number);
      for (let n = 0; n < due; n++) {
        if (k.db !== undefined && k.db !== 0) batch.push(['SELECT', k.db]);
        batch.push(k.command?.(k.key) ?? ['GET', k.key]);
        if (k.db !== undefined && k.db !== 0) batch.push(['SELECT', 0]);
      }
      sent[i] = (sent[i] as number) + due;
    });
    if (batch.length > 0) inFlight = connection.pipeline(batch);
  };
  const timer = setInterval(tick, TICK_MS);
  return {
    sent,
    async stop() {
      stopped = true;
      clearInterval(timer);
      await inFlight.catch(() => undefined);
      connection.close();
    },
  };
}
