/** A key seen during a scan that may end up in the result. */
import { compareKept, type KeptName } from '../domain/kept-name.js';

export interface Candidate extends KeptName {
  readonly freq: number;
  readonly db: number;
  /** `ip:port` of the node that holds it (always set; reported only for cluster instances). */
  readonly node: string;
  /** The key it is, in its database (domain/kept-name.ts keptIdentity): computed once, when kept. */
  readonly id: string;
  /** Type and size when the read that found the key also told them (a snapshot, or a probe when a long name was kept); else a probe reads them. */
  readonly detail?: KeyDetail;
}

export interface KeyDetail {
  readonly type: string;
  readonly size: number;
  readonly unit: 'byte' | 'count';
}

/** What isHotter compares: a candidate, or a key offered before it is kept. */
export type Ranked = Pick<Candidate, 'freq' | 'db' | 'node' | 'name' | 'nameSha1'>;

/**
 * Hotter first; ties broken by db, node and name (bytes, then hash), so the result does not
 * depend on the order in which SCAN or the nodes delivered keys.
 */
export function isHotter(a: Ranked, b: Ranked): boolean {
  return outranks(a.freq, a.db, a.node, a, b);
}

/** isHotter for a key not kept yet: its name a view whose hash is computed only if a tie needs it. */
export function outranks(freq: number, db: number, node: string, name: KeptName, b: Ranked): boolean {
  if (freq !== b.freq) return freq > b.freq;
  if (db !== b.db) return db < b.db;
  if (node !== b.node) return node < b.node;
  return compareKept(name, b) < 0;
}
