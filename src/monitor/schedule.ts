import { MinHeap } from "./heap.ts";
import type { Site } from "./sites.ts";

/** A site in the schedule. `busy` from dispatch until its result has been handled. */
export interface Slot {
  site: Site;
  /** Epoch ms when the site is next due. */
  due: number;
  busy: boolean;
  removed: boolean;
  /** Start of the latest check this process knows of (ms), or 0. */
  lastCheckedAt: number;
  /** The sweep (round) in which the site was last checked. */
  sweep: number;
  /** Heap entries carry the token they were pushed with; a mismatch means stale. */
  token: number;
}

/** Upper bounds (ms) of the dispatch-lateness histogram's buckets; the last bucket is open. */
export const LATENESS_BOUNDS_MS = [
  1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10_000, 30_000, 60_000,
];

/** Tokens live in the heap's Uint32Array tags. */
const TOKEN_MASK = 0xffffffff;

export interface SyncResult {
  added: Site[];
  removed: Site[];
}

/**
 * The host's sites in memory, ordered by next due time (docs/design.md §6, scheduling and speed).
 * A site is due when its last check start + interval <= now; a site never checked is due at
 * once. Rescheduling pushes a new heap entry and bumps the slot's token, so stale entries are
 * skipped when they surface (no decrease-key).
 */
export class Schedule {
  private readonly slots = new Map<number, Slot>();
  private readonly heap = new MinHeap<Slot>();
  /** Dispatches per lateness bucket (now - due at takeDue) since the last takeLateness(). */
  private late = new Uint32Array(LATENESS_BOUNDS_MS.length + 1);

  constructor(private interval: (site: Site) => number) {}

  get size(): number {
    return this.slots.size;
  }

  get(siteId: number): Slot | undefined {
    return this.slots.get(siteId);
  }

  /**
   * Makes the schedule hold exactly `sites`: new ones are added (due from their
   * last_checked_at), gone ones removed, and existing ones take the fresh row (URL, keyword,
   * maintenance, ...) while keeping what this process knows better (its own last check time).
   * With `scope` (a refresh that re-read some bucket slices), only the scoped sites that are not
   * in `sites` leave; every other site stays as it is.
   */
  sync(sites: readonly Site[], now: number, sweep: number, scope?: readonly Site[]): SyncResult {
    const seen = new Set<number>();
    const added: Site[] = [];
    for (const site of sites) {
      seen.add(site.siteId);
      const slot = this.slots.get(site.siteId);
      if (!slot) {
        const last = site.lastCheckedAt ?? 0;
        const fresh: Slot = {
          site,
          due: 0,
          busy: false,
          removed: false,
          lastCheckedAt: last,
          sweep: sweep - 1,
          token: 0,
        };
        fresh.due = last > 0 ? last + this.interval(site) : now;
        this.slots.set(site.siteId, fresh);
        this.push(fresh);
        added.push(site);
        continue;
      }
      const prevInterval = this.interval(slot.site);
      // The row may lag this process's own writes; keep the later check time and alert time.
      const dbLast = site.lastCheckedAt ?? 0;
      slot.lastCheckedAt = Math.max(slot.lastCheckedAt, dbLast);
      if (slot.site.sslExpiryDate && !site.sslExpiryDate) site.sslExpiryDate = slot.site.sslExpiryDate;
      const alerted = slot.site.lastAlertSentAt;
      if (alerted !== null && (site.lastAlertSentAt === null || site.lastAlertSentAt < alerted)) {
        site.lastAlertSentAt = alerted;
      }
      slot.site = site;
      if (!slot.busy && this.interval(site) !== prevInterval) this.reschedule(slot, now);
    }
    const removed: Site[] = [];
    const leave = (id: number, slot: Slot) => {
      slot.removed = true;
      slot.token = (slot.token + 1) & TOKEN_MASK;
      this.slots.delete(id);
      removed.push(slot.site);
    };
    if (scope) {
      for (const site of scope) {
        const slot = this.slots.get(site.siteId);
        if (slot && !seen.has(site.siteId)) leave(site.siteId, slot);
      }
      return { added, removed };
    }
    for (const [id, slot] of this.slots) if (!seen.has(id)) leave(id, slot);
    return { added, removed };
  }

  /**
   * Removes every site whose bucket is outside `range` at once (this host just gave those
   * buckets up), so none is dispatched again; a check in flight still completes.
   */
  dropOutside(range: { min: number; max: number }): Site[] {
    const removed: Site[] = [];
    for (const [id, slot] of this.slots) {
      const b = slot.site.bucketNo;
      if (b >= range.min && b <= range.max) continue;
      slot.removed = true;
      slot.token++;
      this.slots.delete(id);
      removed.push(slot.site);
    }
    return removed;
  }

  /** Recomputes every idle site's due time (after an interval setting changed). */
  rescheduleAll(interval: (site: Site) => number, now: number): void {
    this.interval = interval;
    this.heap.clear();
    for (const slot of this.slots.values()) {
      if (slot.busy) continue;
      this.reschedule(slot, now);
    }
  }

  intervalOf(site: Site): number {
    return this.interval(site);
  }

  /** Takes up to `max` due sites, most overdue first, and marks them busy. */
  takeDue(now: number, max: number): Slot[] {
    const out: Slot[] = [];
    while (out.length < max) {
      const key = this.heap.peekKey();
      if (key === undefined || key > now) break;
      const tag = this.heap.peekTag();
      const slot = this.heap.pop();
      if (slot === undefined) break;
      if (tag !== slot.token || slot.removed || slot.busy) continue;
      slot.busy = true;
      this.countLateness(now - key);
      out.push(slot);
    }
    return out;
  }

  /** Due time of the earliest live entry, or undefined when nothing is scheduled. */
  nextDue(): number | undefined {
    for (;;) {
      const slot = this.heap.peek();
      if (!slot) return undefined;
      if (this.heap.peekTag() === slot.token && !slot.removed && !slot.busy) return slot.due;
      this.heap.pop();
    }
  }

  /** The site's result has been handled; it is due again at `due`. */
  release(slot: Slot, due: number): void {
    slot.busy = false;
    if (slot.removed) return;
    slot.due = due;
    this.push(slot);
  }

  /** Idle sites already due: the backlog waiting for a free check slot. */
  overdue(now: number): number {
    let n = 0;
    for (const slot of this.slots.values()) if (!slot.busy && slot.due <= now) n++;
    return n;
  }

  private reschedule(slot: Slot, now: number): void {
    slot.due = slot.lastCheckedAt > 0 ? slot.lastCheckedAt + this.interval(slot.site) : now;
    this.push(slot);
  }

  /**
   * Dispatch lateness since the previous call (how long after its due time each site was
   * taken), as counts per LATENESS_BOUNDS_MS bucket plus p50/p99 (bucket upper bounds, ms).
   * Resets the counts.
   */
  takeLateness(): { count: number; p50: number; p99: number; buckets: number[] } {
    const buckets = Array.from(this.late);
    this.late.fill(0);
    const count = buckets.reduce((a, b) => a + b, 0);
    const at = (q: number): number => {
      let seen = 0;
      for (let i = 0; i < buckets.length; i++) {
        seen += buckets[i] ?? 0;
        if (seen >= q * count) return LATENESS_BOUNDS_MS[i] ?? Number.POSITIVE_INFINITY;
      }
      return 0;
    };
    return { count, p50: count ? at(0.5) : 0, p99: count ? at(0.99) : 0, buckets };
  }

  private countLateness(ms: number): void {
    let i = 0;
    while (i < LATENESS_BOUNDS_MS.length && ms > (LATENESS_BOUNDS_MS[i] ?? 0)) i++;
    this.late[i] = (this.late[i] ?? 0) + 1;
  }

  private push(slot: Slot): void {
    slot.token = (slot.token + 1) & TOKEN_MASK;
    this.heap.push(slot.due, slot, slot.token);
  }
}
