/**
 * In-flight attempts per subscriber in this process (docs/reference/deliverer.md §3.8 PerWebhookCap): a
 * subscriber at its cap gets no new claims until one of its attempts finishes.
 */
export class Slots {
  private readonly counts = new Map<number, number>();

  constructor(readonly cap: number) {}

  /** How many more attempts may start for the subscriber. */
  free(id: number): number {
    return Math.max(0, this.cap - (this.counts.get(id) ?? 0));
  }

  acquire(id: number): boolean {
    const n = this.counts.get(id) ?? 0;
    if (n >= this.cap) return false;
    this.counts.set(id, n + 1);
    return true;
  }

  release(id: number): void {
    const n = (this.counts.get(id) ?? 0) - 1;
    if (n <= 0) this.counts.delete(id);
    else this.counts.set(id, n);
  }

  /** Subscribers with no free slot. */
  saturated(): number[] {
    return [...this.counts].filter(([, n]) => n >= this.cap).map(([id]) => id);
  }

  /** Subscribers currently tracked (for tests: a count of 0 leaves no key). */
  size(): number {
    return this.counts.size;
  }
}
