/**
 * A check's single deadline: an AbortSignal that fires after `ms`, plus `timedOut` and
 * `remaining()`. Standalone deadlines use one setTimeout each. A DeadlineQueue serves many
 * with one shared interval: at thousands of checks a second, a timer armed and cleared per
 * check (plus its closure) was about a tenth of the check's JavaScript time (measured with
 * --cpu-prof). Queued deadlines fire up to one tick (20 ms) late.
 */
import { monotonicTimers, type TimerHandle, type TimerSource } from "../timers.ts";

export class Deadline {
  readonly signal: AbortSignal;
  timedOut = false;
  /** Set by clear(); a queue drops finished deadlines lazily. */
  done = false;
  readonly endsAt: number;
  private controller: AbortController | null;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private readonly clock: () => number;

  constructor(ms: number, queue?: DeadlineQueue) {
    const controller = new AbortController();
    this.controller = controller;
    this.signal = controller.signal;
    this.clock = queue ? () => queue.now() : () => performance.now();
    this.endsAt = this.clock() + ms;
    if (queue) queue.add(this, ms);
    else this.timer = setTimeout(expire, ms, this);
  }

  remaining(): number {
    return Math.max(0, this.endsAt - this.clock());
  }

  /** The check finished: never fire. */
  clear(): void {
    this.done = true;
    this.controller = null;
    if (this.timer) clearTimeout(this.timer);
  }

  /** Fires now (called by the timer or the queue). */
  expire(): void {
    if (this.done || !this.controller) return;
    this.timedOut = true;
    const controller = this.controller;
    this.controller = null;
    controller.abort(new DOMException("check timed out", "TimeoutError"));
  }
}

function expire(deadline: Deadline): void {
  deadline.expire();
}

/**
 * Deadlines grouped by duration: within one duration they expire in the order they were
 * made, so each group is a FIFO and one interval pops expired heads. Finished deadlines are
 * skipped as they reach the head.
 */
export class DeadlineQueue {
  private readonly groups = new Map<number, { items: Deadline[]; head: number }>();
  private timer: TimerHandle | null = null;
  private pending = 0;

  /** `timers` defaults to the system timers on the monotonic clock. */
  constructor(
    private readonly tickMs = 20,
    private readonly timers: TimerSource = monotonicTimers,
  ) {}

  /** The queue's clock (ms); deadlines made with this queue measure against it. */
  now(): number {
    return this.timers.now();
  }

  add(deadline: Deadline, ms: number): void {
    let group = this.groups.get(ms);
    if (!group) {
      group = { items: [], head: 0 };
      this.groups.set(ms, group);
    }
    // Drop finished heads now so the queue stays short while checks complete quickly.
    while (group.items[group.head]?.done) this.pop(group);
    group.items.push(deadline);
    this.pending++;
    if (!this.timer) {
      this.timer = this.timers.setInterval(() => this.tick(), this.tickMs);
      // Pending deadlines alone must not keep the process alive.
      this.timer.unref?.();
    }
  }

  /** Deadlines held (running or finished but not yet dropped). */
  get size(): number {
    return this.pending;
  }

  private tick(): void {
    const now = this.timers.now();
    for (const [ms, group] of this.groups) {
      for (;;) {
        const d = group.items[group.head];
        if (d === undefined || (!d.done && d.endsAt > now)) break;
        this.pop(group);
        d.expire();
      }
      if (group.head >= group.items.length) this.groups.delete(ms);
    }
    if (this.pending === 0 && this.timer) {
      this.timers.clearInterval(this.timer);
      this.timer = null;
    }
  }

  private pop(group: { items: Deadline[]; head: number }): void {
    group.items[group.head] = undefined as unknown as Deadline;
    group.head++;
    this.pending--;
    if (group.head > 1024 && group.head * 2 > group.items.length) {
      group.items = group.items.slice(group.head);
      group.head = 0;
    }
  }
}
