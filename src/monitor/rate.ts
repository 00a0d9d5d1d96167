/**
 * Completions per second over a sliding window of whole seconds, from per-second counters in
 * a ring (constant memory at any rate). The current, partial second is left out.
 */
export class RateWindow {
  private readonly counts: number[];
  private readonly seconds: number[];

  constructor(private readonly windowSec = 10) {
    this.counts = new Array(windowSec + 1).fill(0);
    this.seconds = new Array(windowSec + 1).fill(-1);
  }

  add(now: number, n = 1): void {
    const sec = Math.floor(now / 1000);
    const i = sec % this.counts.length;
    if (this.seconds[i] !== sec) {
      this.seconds[i] = sec;
      this.counts[i] = 0;
    }
    this.counts[i] += n;
  }

  /** Average per second over the last `windowSec` complete seconds. */
  perSecond(now: number): number {
    const current = Math.floor(now / 1000);
    let total = 0;
    for (let i = 0; i < this.counts.length; i++) {
      const sec = this.seconds[i]!;
      if (sec < current && sec >= current - this.windowSec) total += this.counts[i]!;
    }
    return total / this.windowSec;
  }
}
