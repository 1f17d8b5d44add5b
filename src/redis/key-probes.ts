/**
 * Size probes, one per Redis type (RedisInsight's registry idea). Probes run only for the final
 * top-K keys, never for every scanned key. STRLEN, LLEN and friends count as an access for the
 * LFU counter; the analysis therefore reads OBJECT FREQ before probing and turns on
 * CLIENT NO-TOUCH where the server has it (Redis 7.2+), so what it reports is never inflated.
 */
import type { Arg } from './resp-encoder.js';

export interface SizeProbe {
  readonly command: (key: Buffer) => Arg[];
  readonly unit: 'byte' | 'count';
}

const PROBES: Readonly<Record<string, SizeProbe>> = {
  string: { command: (key) => ['STRLEN', key], unit: 'byte' },
  list: { command: (key) => ['LLEN', key], unit: 'count' },
  set: { command: (key) => ['SCARD', key], unit: 'count' },
  zset: { command: (key) => ['ZCARD', key], unit: 'count' },
  hash: { command: (key) => ['HLEN', key], unit: 'count' },
  stream: { command: (key) => ['XLEN', key], unit: 'count' },
};

/** Module types (ReJSON-RL, MBbloom--, ...) have no element count: report their memory in bytes. */
const FALLBACK: SizeProbe = { command: (key) => ['MEMORY', 'USAGE', key], unit: 'byte' };

export function sizeProbeFor(type: string): SizeProbe {
  return PROBES[type] ?? FALLBACK;
}

/** TYPE answers a short name (string, hash, ReJSON-RL, MBbloom--); anything else is not a type. */
export const TYPE_NAME = /^[A-Za-z0-9_.-]{1,32}$/;
