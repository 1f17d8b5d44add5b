/** Numeric flag values checked against the option's one range (domain/limits.ts), for every command. */
import { SAMPLE_LIMITS, type Limit } from '../domain/limits.js';
import { UsageError } from './usage-error.js';

/** A flag's value within the option's range; the option's default when the flag is absent. */
export function numeric(value: string | undefined, flag: string, limit: Limit): number {
  return optionalNumeric(value, flag, limit) ?? limit.default;
}

/** A flag's value within the option's range; undefined when the flag is absent (the server then decides). */
export function optionalNumeric(value: string | undefined, flag: string, limit: Pick<Limit, 'min' | 'max' | 'integer'>): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  const shape = limit.integer ? /^\d+$/ : /^\d*\.?\d+$/;
  if (!shape.test(value) || n < limit.min || n > limit.max) {
    throw new UsageError(`${flag} must be ${limit.integer ? 'an integer' : 'a number'} from ${limit.min} to ${limit.max}, got "${value}"`);
  }
  return n;
}

/**
 * `--sample 10s`: a sampling window in seconds, written `10`, `10s` or `2m`, within
 * SAMPLE_LIMITS.seconds; undefined when the flag is absent.
 */
export function sampleSeconds(value: string | undefined, flag = '--sample'): number | undefined {
  if (value === undefined) return undefined;
  const match = /^(\d{1,4})(s|m)?$/.exec(value.trim());
  const { min, max } = SAMPLE_LIMITS.seconds;
  const seconds = match === null ? NaN : Number(match[1]) * (match[2] === 'm' ? 60 : 1);
  if (!(seconds >= min && seconds <= max)) throw new UsageError(`${flag} must be a window from ${min}s to ${max}s (for example 10s or 2m), got "${value}"`);
  return seconds;
}
