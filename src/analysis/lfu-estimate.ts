/**
 * What an LFU counter says about a key's access rate (docs/reading-results.md).
 *
 * Redis (src/evict.c): an access first decays the counter by the whole lfu-decay-time periods
 * elapsed since the key's previous access, then increments it with probability
 * 1 / ((counter - 5) * lfu-log-factor + 1), and records the access time. So:
 * - with lfu-decay-time 1, a key read steadily loses one per minute (the first access after
 *   each minute boundary decays it) and gains lambda*60 / ((c-5)*f + 1) a minute: the counter
 *   settles where the two meet, at lambda = ((c-5)*f + 1) / 60 per second;
 * - with lfu-decay-time 2 or more, the elapsed time is measured since the previous access, so a
 *   key read at least once per period never decays: its counter counts accesses (since it was
 *   last idle for a period), it says nothing of a rate;
 * - with lfu-decay-time 0 nothing decays: the counter counts accesses since the key was made.
 * In the last two cases the expected accesses to reach c are (c-5) + f*(c-5)*(c-6)/2.
 * A counter at 255 is saturated: the rate is at least the ceiling's.
 */
import { LFU_INIT_VAL } from '../domain/hot-key.js';
import type { LfuSettings } from '../domain/lfu.js';

export type { LfuSettings };
export const LFU_MAX = 255;

export interface RateEstimate {
  /** Accesses per second at which the counter settles where it is; null where the counter holds no rate. */
  readonly estQps: number | null;
  /** Where estQps is null: the expected accesses to bring a new key's counter this high. */
  readonly estAccesses: number | null;
  /** The counter is at 255: estQps (or estAccesses) is a lower bound. */
  readonly saturated: boolean;
}

/** True where the counter settles at a rate (lfu-decay-time 1, lfu-log-factor above 0). */
export function ratesEstimable(lfu: LfuSettings): boolean {
  return lfu.decayTime === 1 && lfu.logFactor > 0;
}

export function estimateRate(freq: number, lfu: LfuSettings): RateEstimate {
  const base = Math.max(0, Math.min(freq, LFU_MAX) - LFU_INIT_VAL);
  const saturated = freq >= LFU_MAX;
  if (ratesEstimable(lfu)) return { estQps: round((base * lfu.logFactor + 1) / 60), estAccesses: null, saturated };
  return { estQps: null, estAccesses: Math.round(base + (lfu.logFactor * base * (base - 1)) / 2), saturated };
}

/** The highest rate a counter can show (at 255), per second; null where counters hold no rate. */
export function ceilingQps(lfu: LfuSettings): number | null {
  return estimateRate(LFU_MAX, lfu).estQps;
}

/**
 * The lfu-log-factor that would put a rate `times` higher than today's ceiling just under the
 * new ceiling: (250*f' + 1)/60 = times * (250*f + 1)/60.
 */
export function logFactorFor(lfu: LfuSettings, times: number): number {
  const base = LFU_MAX - LFU_INIT_VAL;
  return Math.ceil((times * (base * lfu.logFactor + 1) - 1) / base);
}

/** Three significant digits: estimates are no more precise than that. */
function round(value: number): number {
  return Number(value.toPrecision(3));
}
