/**
 * Binary min-heap of (key, tag, value) triples in parallel arrays: keys in a Float64Array,
 * tags in a Uint32Array, values in a plain array. A push allocates nothing (the arrays grow
 * by doubling), so a scheduler that pushes once per check makes no garbage per check. The
 * scheduler keeps one entry per scheduled check, tags it with the slot's token, and skips
 * stale entries on pop (lazy deletion), which is cheaper than decrease-key.
 */
export class MinHeap<T> {
  private keys = new Float64Array(16);
  private tags = new Uint32Array(16);
  private values: (T | undefined)[] = [];
  private n = 0;

  get size(): number {
    return this.n;
  }

  push(key: number, value: T, tag = 0): void {
    if (this.n === this.keys.length) this.grow();
    this.up(this.n++, key, tag, value);
  }

  peekKey(): number | undefined {
    return this.n > 0 ? this.keys[0] : undefined;
  }

  /** The tag the top entry was pushed with (0 when empty). */
  peekTag(): number {
    return this.n > 0 ? (this.tags[0] ?? 0) : 0;
  }

  peek(): T | undefined {
    return this.n > 0 ? this.values[0] : undefined;
  }

  pop(): T | undefined {
    if (this.n === 0) return undefined;
    const top = this.values[0];
    const last = --this.n;
    const key = this.keys[last] ?? 0;
    const tag = this.tags[last] ?? 0;
    const value = this.values[last];
    this.values[last] = undefined;
    if (last > 0) this.down(0, key, tag, value);
    return top;
  }

  clear(): void {
    this.n = 0;
    this.values = [];
    if (this.keys.length > 16) {
      this.keys = new Float64Array(16);
      this.tags = new Uint32Array(16);
    }
  }

  private grow(): void {
    const keys = new Float64Array(this.keys.length * 2);
    keys.set(this.keys);
    this.keys = keys;
    const tags = new Uint32Array(this.tags.length * 2);
    tags.set(this.tags);
    this.tags = tags;
  }

  private put(i: number, key: number, tag: number, value: T | undefined): void {
    this.keys[i] = key;
    this.tags[i] = tag;
    this.values[i] = value;
  }

  /** Moves the entry bound for slot `i` up past every larger parent. */
  private up(i: number, key: number, tag: number, value: T | undefined): void {
    const keys = this.keys;
    while (i > 0) {
      const p = (i - 1) >> 1;
      const pk = keys[p] ?? 0;
      if (pk <= key) break;
      this.put(i, pk, this.tags[p] ?? 0, this.values[p]);
      i = p;
    }
    this.put(i, key, tag, value);
  }

  /** Moves the entry bound for slot `i` down past every smaller child. */
  private down(i: number, key: number, tag: number, value: T | undefined): void {
    const keys = this.keys;
    const n = this.n;
    for (;;) {
      let c = 2 * i + 1;
      if (c >= n) break;
      let ck = keys[c] ?? 0;
      if (c + 1 < n) {
        const rk = keys[c + 1] ?? 0;
        if (rk < ck) {
          c += 1;
          ck = rk;
        }
      }
      if (ck >= key) break;
      this.put(i, ck, this.tags[c] ?? 0, this.values[c]);
      i = c;
    }
    this.put(i, key, tag, value);
  }
}
