/**
 * The per-contact hourly send cap (`max_per_hour`, docs/reference/deliverer.md §4.5): a sliding one-hour window
 * of send times kept in this process. 0 means unlimited. Only sends that are really made
 * spend from it.
 */
import type { Clock } from "../time.ts";

const HOUR_MS = 3_600_000;

export class RateWindow {
  private readonly sends = new Map<number, number[]>();

  constructor(private readonly now: Clock) {}

  /** Records a send for the contact and returns true, or returns false when the cap is reached. */
  admit(contactId: number, maxPerHour: number): boolean {
    if (maxPerHour <= 0) return true;
    const now = this.now();
    const kept = (this.sends.get(contactId) ?? []).filter((t) => t > now - HOUR_MS);
    if (kept.length >= maxPerHour) {
      this.sends.set(contactId, kept);
      return false;
    }
    kept.push(now);
    this.sends.set(contactId, kept);
    return true;
  }
}
