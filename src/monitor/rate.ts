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
    const sameSecond = this.seconds[i] === sec;
    this.seconds[i] = sec;
    this.counts[i] = (sameSecond ? (this.counts[i] ?? 0) : 0) + n;
  }

  /** Average per second over the last `windowSec` complete seconds. */
  perSecond(now: number): number {
    const current = Math.floor(now / 1000);
    let total = 0;
    this.seconds.forEach((sec, i) => {
      if (sec < current && sec >= current - this.windowSec) total += this.counts[i] ?? 0;
    });
    return total / this.windowSec;
  }
}
