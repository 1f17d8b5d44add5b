/** A key seen during a scan that may end up in the result. */
export interface Candidate {
  readonly freq: number;
  readonly db: number;
  /** `ip:port` of the node that holds it (always set; reported only for cluster instances). */
  readonly node: string;
  /** Own copy of the name bytes, never a view of a socket buffer. */
  readonly name: Buffer;
  /** Type and size when the read that found the key also told them (a snapshot); else a probe reads them. */
  readonly detail?: KeyDetail;
}

export interface KeyDetail {
  readonly type: string;
  readonly size: number;
  readonly unit: 'byte' | 'count';
}

/**
 * Hotter first; ties broken by db, node and name bytes, so the result does not depend on the
 * order in which SCAN or the nodes delivered keys.
 */
export function isHotter(a: Candidate, b: Candidate): boolean {
  if (a.freq !== b.freq) return a.freq > b.freq;
  if (a.db !== b.db) return a.db < b.db;
  if (a.node !== b.node) return a.node < b.node;
  return Buffer.compare(a.name, b.name) < 0;
}
