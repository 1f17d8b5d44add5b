import type { NodeProgress } from '../domain/task.js';

/** Per-node scan progress of one analysis, reported after every page. */
export class ProgressBoard {
  private readonly nodes = new Map<string, { scannedKeys: number; expectedKeys: number }>();

  constructor(private readonly onProgress?: (nodes: readonly NodeProgress[]) => void) {}

  /** A node's scan (re)starts: a rescan after a failover starts again from zero. */
  start(node: string, expectedKeys: number): void {
    this.nodes.set(node, { scannedKeys: 0, expectedKeys });
    this.report();
  }

  add(node: string, keys: number): void {
    const entry = this.nodes.get(node);
    if (entry === undefined) return;
    entry.scannedKeys += keys;
    this.report();
  }

  scannedOf(node: string): number {
    return this.nodes.get(node)?.scannedKeys ?? 0;
  }

  snapshot(): NodeProgress[] {
    return [...this.nodes].map(([node, entry]) => ({ node, ...entry }));
  }

  private report(): void {
    this.onProgress?.(this.snapshot());
  }
}
