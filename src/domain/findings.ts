/**
 * What a finished task found, in the few numbers monitoring watches: the hottest keys' counters
 * and rates, how many counters are saturated, the biggest keys and the totals per type, the keys
 * without expiry. Computed once when a task succeeds and stored beside its result
 * (`findings_json`), so that a /metrics scrape reads a few kilobytes per instance, never results.
 *
 * At most FINDINGS_MAX_KEYS keys of each list are kept; `metrics.hot_keys` and `metrics.big_keys`
 * choose how many of them become series. A key name becomes a label value in its display form
 * (escaped as the CLI prints it: one printed name, one byte string), at most LABEL_KEY_BYTES bytes.
 */
import { createHash } from 'node:crypto';
import type { BigKey, BigKeyResult } from './big-key.js';
import { escapeKeyName } from './display-text.js';
import type { ExpireScanResult } from './expire-report.js';
import type { HotKey } from './hot-key.js';
import { utf8Cut } from './kept-name.js';
import type { ReportedName } from './reported-name.js';
import type { AnalysisOutcome, TaskOutcome } from './task.js';
import type { TaskKind } from './task-status.js';

/** Keys kept per list in a task's findings: the most `metrics.hot_keys` / `metrics.big_keys` may ask for. */
export const FINDINGS_MAX_KEYS = 100;
/** The longest key label value, in bytes (UTF-8). */
export const LABEL_KEY_BYTES = 256;
/** Namespaces kept in a big key task's findings. */
export const FINDINGS_MAX_NAMESPACES = 10;
/** Hex digits of the hash that ends a cut label. */
const LABEL_HASH_HEX = 16;

/** A key as a label: its display name, database and shard ('' outside a cluster). */
export interface FindingKey {
  readonly key: string;
  readonly db: number;
  readonly shard: string;
}

export interface HotFindings {
  readonly kind: 'hot';
  /** Hottest first. */
  readonly keys: readonly (FindingKey & { readonly freq: number; readonly estQps: number | null })[];
  /** Keys of the result whose counter is at 255: their rate is at least the estimate. */
  readonly saturated: number;
}

export interface BigFindings {
  readonly kind: 'big';
  /** Biggest first (by memory where measured, else by size within each unit). */
  readonly keys: readonly (FindingKey & { readonly type: string; readonly size: number; readonly unit: 'byte' | 'count'; readonly memoryBytes: number | null })[];
  readonly types: readonly { readonly type: string; readonly keys: number; readonly bigKeys: number; readonly totalSize: number; readonly unit: 'byte' | 'count'; readonly memoryBytes: number | null }[];
  /** The biggest namespaces (FINDINGS_MAX_NAMESPACES), by memory where every key was measured, else by size. */
  readonly namespaces: readonly { readonly namespace: string; readonly keys: number; readonly share: number }[];
  readonly namespacesBy: 'memory' | 'size';
}

export interface ExpireFindings {
  readonly kind: 'expire';
  readonly withExpiry: number;
  readonly withoutExpiry: number;
  /** Expired keys the scan made the primaries reclaim. */
  readonly reclaimed: number;
}

/** An offline analysis reports only its time to monitoring (keyheat_last_success_timestamp_seconds). */
export interface OfflineFindings {
  readonly kind: 'offline';
}

export type Findings = HotFindings | BigFindings | ExpireFindings | OfflineFindings;

/** An instance's latest successful task of a kind. */
export interface LatestTask {
  readonly instanceId: string;
  readonly kind: TaskKind;
  readonly taskId: string;
  /** ISO 8601. */
  readonly finishedAt: string;
}

export interface RegisteredInstance {
  readonly id: string;
  readonly name: string;
  readonly projectId: string;
}

/** What a scrape reads first: every instance, and the latest successful task of each kind of those that have one. */
export interface FindingsSnapshot {
  readonly instances: readonly RegisteredInstance[];
  readonly latest: readonly LatestTask[];
}

/** Where the findings come from (the store, storage/findings-records.ts). */
export interface FindingsSource {
  latest(): Promise<FindingsSnapshot>;
  /**
   * The findings of these tasks: null for one whose findings cannot be computed (its result was
   * over retention.max_result_bytes); absent for one that has none stored yet beyond what one
   * call computes (a task that succeeded before keyheat stored them: a later call gets it).
   */
  findings(taskIds: readonly string[]): Promise<ReadonlyMap<string, Findings | null>>;
}

/** The findings of a successful task's outcome. */
export function findingsOf(outcome: TaskOutcome): Findings {
  switch (outcome.kind) {
    case 'big':
      return bigFindings(outcome.result);
    case 'expire':
      return expireFindings(outcome.result);
    case 'offline':
      return { kind: 'offline' };
    default:
      return hotFindings(outcome);
  }
}

/** The kind a stored findings value is of (a kind stored by an older keyheat reads as none). */
export function parseFindings(json: string, kind: TaskKind): Findings | null {
  try {
    const value = JSON.parse(json) as { kind?: unknown };
    return value !== null && typeof value === 'object' && value.kind === kind ? (value as Findings) : null;
  } catch {
    return null;
  }
}

function hotFindings(outcome: AnalysisOutcome): HotFindings {
  return {
    kind: 'hot',
    keys: outcome.keys.slice(0, FINDINGS_MAX_KEYS).map((key: HotKey) => ({ ...findingKey(key), freq: key.freq, estQps: key.estQps ?? null })),
    saturated: outcome.keys.filter((key) => key.freq >= 255).length,
  };
}

function bigFindings(result: BigKeyResult): BigFindings {
  const bigger = (a: BigKey, b: BigKey): number => (b.memoryBytes ?? -1) - (a.memoryBytes ?? -1) || b.size - a.size;
  return {
    kind: 'big',
    keys: [...result.keys]
      .sort(bigger)
      .slice(0, FINDINGS_MAX_KEYS)
      .map((key) => ({ ...findingKey(key), type: key.type, size: key.size, unit: key.unit, memoryBytes: key.memoryBytes ?? null })),
    types: result.types.map((t) => ({ type: t.type, keys: t.keys, bigKeys: t.bigKeys, totalSize: t.totalSize, unit: t.unit, memoryBytes: t.memoryBytes ?? null })),
    namespaces: result.prefixes.slice(0, FINDINGS_MAX_NAMESPACES).map((p) => ({ namespace: keyLabel({ name: p.prefix, ...(p.prefixBase64 === undefined ? {} : { nameBase64: p.prefixBase64 }) }), keys: p.keys, share: p.share })),
    namespacesBy: result.prefixesBy,
  };
}

function expireFindings(result: ExpireScanResult): ExpireFindings {
  return { kind: 'expire', withExpiry: result.ttl.totals.withExpiry, withoutExpiry: result.ttl.totals.withoutExpiry, reclaimed: result.num };
}

function findingKey(key: ReportedName & { readonly db: number; readonly shard?: string }): FindingKey {
  return { key: keyLabel(key), db: key.db, shard: key.shard ?? '' };
}

/**
 * A key name as a label value: its display form (escapeKeyName: a name that was not UTF-8 is
 * redis-cli's escaping of its bytes), at most LABEL_KEY_BYTES bytes. A longer one, or one the
 * analysis kept only the start of, is cut and ends with "…#" and the first hex digits of the
 * SHA-1 of the whole name, so that two long names that start alike stay two series.
 */
export function keyLabel(name: ReportedName): string {
  const display = escapeKeyName(name.name, name.nameBase64 !== undefined);
  const bytes = Buffer.from(display, 'utf8');
  if (name.truncated !== true && bytes.length <= LABEL_KEY_BYTES) return display;
  const whole = name.nameSha1 ?? createHash('sha1').update(name.nameBase64 === undefined ? Buffer.from(name.name, 'utf8') : Buffer.from(name.nameBase64, 'base64')).digest('hex');
  const suffix = `…#${whole.slice(0, LABEL_HASH_HEX)}`;
  const room = LABEL_KEY_BYTES - Buffer.byteLength(suffix);
  return `${bytes.subarray(0, utf8Cut(bytes, room)).toString('utf8')}${suffix}`;
}
