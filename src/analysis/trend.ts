/**
 * What changed since the previous analysis of the same instance: which reported keys are new,
 * which dropped out, and each key's counter then. Keys are the same key when their database
 * and exact name bytes match (for long names: the hash of the whole name).
 */
import type { HotKey } from '../domain/hot-key.js';
import type { Trend } from '../domain/insights.js';
import { reportedIdentity, reportedNameFields } from '../domain/reported-name.js';

export interface PreviousAnalysis {
  readonly id: string;
  readonly keys: readonly HotKey[];
}

const identity = reportedIdentity;

/** The keys with their previous counter, and the trend; both as-is when there is no previous analysis. */
export function compareWithPrevious(keys: readonly HotKey[], previous: PreviousAnalysis | null): { keys: HotKey[]; trend: Trend | null } {
  if (previous === null) return { keys: keys.map((key) => ({ ...key, previousFreq: null })), trend: null };
  const before = new Map(previous.keys.map((key) => [identity(key), key]));
  const now = new Set(keys.map(identity));
  return {
    keys: keys.map((key) => ({ ...key, previousFreq: before.get(identity(key))?.freq ?? null })),
    trend: {
      comparedWith: previous.id,
      new: keys.filter((key) => !before.has(identity(key))).map((key) => key.name),
      gone: previous.keys
        .filter((key) => !now.has(identity(key)))
        .map((key) => ({ ...reportedNameFields(key), db: key.db, freq: key.freq })),
    },
  };
}
