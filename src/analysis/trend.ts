/**
 * What changed since the previous analysis of the same instance: which reported keys are new,
 * which dropped out, and each key's counter then. Keys are the same key when their database
 * and exact name bytes match.
 */
import type { HotKey } from '../domain/hot-key.js';
import type { Trend } from '../domain/insights.js';

export interface PreviousAnalysis {
  readonly id: string;
  readonly keys: readonly HotKey[];
}

function identity(key: Pick<HotKey, 'db' | 'name' | 'nameBase64'>): string {
  return `${key.db}\u0000${key.nameBase64 === undefined ? `u${key.name}` : `b${key.nameBase64}`}`;
}

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
        .map((key) => ({ name: key.name, ...(key.nameBase64 === undefined ? {} : { nameBase64: key.nameBase64 }), db: key.db, freq: key.freq })),
    },
  };
}
