/**
 * Space-Saving (Metwally, Agrawal, El Abbadi, 2005), weighted: the heaviest keys of a stream in
 * `capacity` counters, whatever the number of distinct keys.
 *
 * Guarantees, with W the total weight offered: every key heavier than W / capacity is kept; a
 * kept key's weight is overestimated by at most its `error` (itself at most W / capacity), so
 * `weight - error` is a lower bound and `weight` an upper bound. A key offered while the summary
 * is full takes the place of the lightest one and inherits its weight as error.
 *
 * Memory: `capacity` entries, each a key and three numbers. Each offer is O(log capacity).
 */
export interface Counted<K> {
  readonly key: K;
  /** Upper bound of the key's total weight. */
  readonly weight: number;
  /** How much of `weight` may belong to keys it replaced. */
  readonly error: number;
  /** How many offers were made for it (also an upper bound, by the same error logic). */
  readonly count: number;
}

interface Entry<K> {
  key: K;
  weight: number;
  error: number;
  count: number;
}

export class SpaceSaving<K> {
  /** Min-heap on weight: the root is the lightest entry, the one to replace. */
  private readonly heap: Entry<K>[] = [];
  private readonly index = new Map<K, number>();
  private total = 0;

  constructor(private readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`capacity must be >= 1, got ${capacity}`);
  }

  /** Total weight offered so far. */
  get totalWeight(): number {
    return this.total;
  }

  /** The largest error any kept key can carry: total weight / capacity. */
  get errorBound(): number {
    return this.total / this.capacity;
  }

  /** Returns the key this offer dropped to make room, if any (a caller keeping data per kept key drops it too). */
  offer(key: K, weight: number): K | undefined {
    this.total += weight;
    const at = this.index.get(key);
    if (at !== undefined) {
      const entry = this.heap[at] as Entry<K>;
      entry.weight += weight;
      entry.count += 1;
      this.siftDown(at);
      return undefined;
    }
    if (this.heap.length < this.capacity) {
      this.heap.push({ key, weight, error: 0, count: 1 });
      this.index.set(key, this.heap.length - 1);
      this.siftUp(this.heap.length - 1);
      return undefined;
    }
    const lightest = this.heap[0] as Entry<K>;
    this.index.delete(lightest.key);
    this.heap[0] = { key, weight: lightest.weight + weight, error: lightest.weight, count: lightest.count + 1 };
    this.index.set(key, 0);
    this.siftDown(0);
    return lightest.key;
  }

  /** The `n` heaviest, heaviest first. */
  top(n: number): Counted<K>[] {
    return [...this.heap]
      .sort((a, b) => b.weight - a.weight)
      .slice(0, n)
      .map(({ key, weight, error, count }) => ({ key, weight, error, count }));
  }

  private siftUp(index: number): void {
    let i = index;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if ((this.heap[parent] as Entry<K>).weight <= (this.heap[i] as Entry<K>).weight) return;
      this.swap(i, parent);
      i = parent;
    }
  }

  private siftDown(index: number): void {
    let i = index;
    for (;;) {
      const left = 2 * i + 1;
      const right = left + 1;
      let smallest = i;
      if (left < this.heap.length && (this.heap[left] as Entry<K>).weight < (this.heap[smallest] as Entry<K>).weight) smallest = left;
      if (right < this.heap.length && (this.heap[right] as Entry<K>).weight < (this.heap[smallest] as Entry<K>).weight) smallest = right;
      if (smallest === i) return;
      this.swap(i, smallest);
      i = smallest;
    }
  }

  private swap(a: number, b: number): void {
    const tmp = this.heap[a] as Entry<K>;
    this.heap[a] = this.heap[b] as Entry<K>;
    this.heap[b] = tmp;
    this.index.set((this.heap[a] as Entry<K>).key, a);
    this.index.set(tmp.key, b);
  }
}
