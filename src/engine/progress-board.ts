import type { NodePacing, NodeReport } from '../domain/hot-key.js';
import type { NodeProgress } from '../domain/task.js';

const UNMEASURED: NodePacing = { cpuShare: null, longestBlockUs: null, trafficSeen: false };

/** Per-node scan progress of one analysis, reported after every page, and what each scan cost its node. */
export class ProgressBoard {
  private readonly nodes = new Map<string, { scannedKeys: number; expectedKeys: number; pacing: NodePacing }>();

  constructor(private readonly onProgress?: (nodes: readonly NodeProgress[]) => void) {}

  /** A node's scan (re)starts: a rescan after a failover starts again from zero. */
  start(node: string, expectedKeys: number): void {
    this.nodes.set(node, { scannedKeys: 0, expectedKeys, pacing: UNMEASURED });
    this.report();
  }

  add(node: string, keys: number): void {
    const entry = this.nodes.get(node);
    if (entry === undefined) return;
    entry.scannedKeys += keys;
    this.report();
  }

  /** What the node's scan cost it (measured when its scan ended). */
  paced(node: string, pacing: NodePacing): void {
    const entry = this.nodes.get(node);
    if (entry !== undefined) entry.pacing = pacing;
  }

  scannedOf(node: string): number {
    return this.nodes.get(node)?.scannedKeys ?? 0;
  }

  snapshot(): NodeProgress[] {
    return [...this.nodes].map(([node, { scannedKeys, expectedKeys }]) => ({ node, scannedKeys, expectedKeys }));
  }

  reports(): NodeReport[] {
    return [...this.nodes].map(([node, { scannedKeys, expectedKeys, pacing }]) => ({ node, scannedKeys, expectedKeys, ...pacing }));
  }

  private report(): void {
    this.onProgress?.(this.snapshot());
  }
}
