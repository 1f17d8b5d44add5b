/**
 * A bounded top-K by a strict order. Memory is O(k) whatever the number of offers: the
 * analysis never holds the keyspace, only the k best candidates seen so far.
 *
 * `isBetter(a, b)` must be a strict total order (ties broken deterministically) so that the
 * same input always yields the same result whatever the arrival order.
 *
 * With `identity`, an item offered again (SCAN may return a key twice; in a cluster a migrated
 * key may be seen on two nodes) replaces its earlier offer only if it is better, and is never
 * kept twice.
 */
export class TopK<T> {
  private readonly heap: T[] = [];
  private readonly positions: Map<string, number> | null;

  constructor(
    private readonly capacity: number,
    private readonly isBetter: (a: T, b: T) => boolean,
    private readonly identity?: (item: T) => string,
  ) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`top-K capacity must be >= 1, got ${capacity}`);
    this.positions = identity === undefined ? null : new Map();
  }

  get size(): number {
    return this.heap.length;
  }

  /** The worst item kept, once the heap is full; anything not better than it is dropped. */
  worstKept(): T | undefined {
    return this.heap.length === this.capacity ? this.heap[0] : undefined;
  }

  /** Returns true when the item was kept. */
  offer(item: T): boolean {
    const heap = this.heap;
    const id = this.identity?.(item);
    if (id !== undefined) {
      const at = this.positions?.get(id);
      if (at !== undefined) {
        if (!this.isBetter(item, heap[at] as T)) return false;
        heap[at] = item;
        this.siftDown(at); // better means farther from the root (the worst)
        return true;
      }
    }
    if (heap.length < this.capacity) {
      heap.push(item);
      this.place(heap.length - 1);
      this.siftUp(heap.length - 1);
      return true;
    }
    const worst = heap[0] as T;
    if (!this.isBetter(item, worst)) return false;
    if (this.identity !== undefined) this.positions?.delete(this.identity(worst));
    heap[0] = item;
    this.place(0);
    this.siftDown(0);
    return true;
  }

  /** Whether `item` (of identity `id`) is still kept. */
  has(id: string, item: T): boolean {
    const at = this.positions?.get(id);
    return at !== undefined && this.heap[at] === item;
  }

  /** Replaces the kept item matching `predicate` by `item`, which ranks the same (more detail of it). */
  replaceWhere(predicate: (item: T) => boolean, item: T): boolean {
    const at = this.heap.findIndex(predicate);
    if (at < 0) return false;
    this.heap[at] = item;
    this.place(at);
    return true;
  }

  /** Drops every kept item matching `predicate` (the offers of a node that has to be read again). */
  removeWhere(predicate: (item: T) => boolean): number {
    const kept = this.heap.filter((item) => !predicate(item));
    const removed = this.heap.length - kept.length;
    if (removed === 0) return 0;
    this.heap.length = 0;
    this.positions?.clear();
    for (const item of kept) {
      this.heap.push(item);
      this.place(this.heap.length - 1);
      this.siftUp(this.heap.length - 1);
    }
    return removed;
  }

  /** Best first. Does not change the heap. */
  sorted(): T[] {
    return [...this.heap].sort((a, b) => (this.isBetter(a, b) ? -1 : this.isBetter(b, a) ? 1 : 0));
  }

  // Min-heap on "betterness": the root is the worst item kept.
  private siftUp(index: number): void {
    let i = index;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.isBetter(this.heap[parent] as T, this.heap[i] as T)) break;
      this.swap(i, parent);
      i = parent;
    }
  }

  private siftDown(index: number): void {
    const heap = this.heap;
    let i = index;
    for (;;) {
      const left = 2 * i + 1;
      const right = left + 1;
      let worst = i;
      if (left < heap.length && this.isBetter(heap[worst] as T, heap[left] as T)) worst = left;
      if (right < heap.length && this.isBetter(heap[worst] as T, heap[right] as T)) worst = right;
      if (worst === i) return;
      this.swap(i, worst);
      i = worst;
    }
  }

  private swap(a: number, b: number): void {
    const heap = this.heap;
    const tmp = heap[a] as T;
    heap[a] = heap[b] as T;
    heap[b] = tmp;
    this.place(a);
    this.place(b);
  }

  private place(index: number): void {
    if (this.positions !== null && this.identity !== undefined) this.positions.set(this.identity(this.heap[index] as T), index);
  }
}
