/**
 * Binary min-heap of (key, value) pairs. The scheduler keeps one entry per
 * scheduled check and skips stale entries on pop (lazy deletion), which is
 * cheaper than decrease-key with 100,000 sites.
 */
export class MinHeap<T> {
  private keys: number[] = [];
  private values: T[] = [];

  get size(): number {
    return this.keys.length;
  }

  push(key: number, value: T): void {
    this.keys.push(key);
    this.values.push(value);
    this.up(this.keys.length - 1);
  }

  peekKey(): number | undefined {
    return this.keys[0];
  }

  peek(): T | undefined {
    return this.values[0];
  }

  pop(): T | undefined {
    const n = this.keys.length;
    if (n === 0) return undefined;
    const top = this.values[0];
    const lastKey = this.keys.pop()!;
    const lastValue = this.values.pop()!;
    if (n > 1) {
      this.keys[0] = lastKey;
      this.values[0] = lastValue;
      this.down(0);
    }
    return top;
  }

  clear(): void {
    this.keys = [];
    this.values = [];
  }

  private up(i: number): void {
    const k = this.keys[i];
    const v = this.values[i];
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (this.keys[p] <= k) break;
      this.keys[i] = this.keys[p];
      this.values[i] = this.values[p];
      i = p;
    }
    this.keys[i] = k;
    this.values[i] = v;
  }

  private down(i: number): void {
    const n = this.keys.length;
    const k = this.keys[i];
    const v = this.values[i];
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      const c = r < n && this.keys[r] < this.keys[l] ? r : l;
      if (this.keys[c] >= k) break;
      this.keys[i] = this.keys[c];
      this.values[i] = this.values[c];
      i = c;
    }
    this.keys[i] = k;
    this.values[i] = v;
  }
}
