/**
 * Binary min-heap of (key, value) pairs. The scheduler keeps one entry per
 * scheduled check and skips stale entries on pop (lazy deletion), which is
 * cheaper than decrease-key with 100,000 sites.
 */
export class MinHeap<T> {
  private entries: { key: number; value: T }[] = [];

  get size(): number {
    return this.entries.length;
  }

  push(key: number, value: T): void {
    const entry = { key, value };
    this.entries.push(entry);
    this.up(this.entries.length - 1, entry);
  }

  peekKey(): number | undefined {
    return this.entries[0]?.key;
  }

  peek(): T | undefined {
    return this.entries[0]?.value;
  }

  pop(): T | undefined {
    const top = this.entries[0];
    const last = this.entries.pop();
    if (top === undefined || last === undefined) return undefined;
    if (this.entries.length > 0) this.down(0, last);
    return top.value;
  }

  clear(): void {
    this.entries = [];
  }

  /** Moves `entry`, bound for slot `i`, up past every larger parent. */
  private up(i: number, entry: { key: number; value: T }): void {
    const heap = this.entries;
    while (i > 0) {
      const p = (i - 1) >> 1;
      const parent = heap[p];
      if (parent === undefined || parent.key <= entry.key) break;
      heap[i] = parent;
      i = p;
    }
    heap[i] = entry;
  }

  /** Moves `entry`, bound for slot `i`, down past every smaller child. */
  private down(i: number, entry: { key: number; value: T }): void {
    const heap = this.entries;
    for (;;) {
      let c = 2 * i + 1;
      let child = heap[c];
      if (child === undefined) break;
      const right = heap[c + 1];
      if (right !== undefined && right.key < child.key) {
        c += 1;
        child = right;
      }
      if (child.key >= entry.key) break;
      heap[i] = child;
      i = c;
    }
    heap[i] = entry;
  }
}
