/**
 * Test timer sources (src/timers.ts): `manualTimers` moves only when the test calls
 * `advance`, so "nothing more happens" is proven without sleeping; `scaledTimers` runs the
 * clock and every timer N times faster than the wall, for end-to-end runs against real sockets.
 */
import type { TimerHandle, TimerSource } from "../../src/timers.ts";

interface Pending {
  id: number;
  at: number;
  fn: () => void;
  every: number | null;
}

export interface ManualTimers extends TimerSource {
  /** Moves the clock forward by `ms`, firing every timer that falls due, in time order. */
  advance(ms: number): void;
  /** Timers armed and not yet fired or cleared. */
  readonly pending: number;
}

export function manualTimers(start = 1_700_000_000_000): ManualTimers {
  let clock = start;
  let seq = 0;
  const timers = new Map<number, Pending>();
  const arm = (fn: () => void, ms: number, every: number | null): TimerHandle => {
    const id = ++seq;
    timers.set(id, { id, at: clock + Math.max(0, ms), fn, every });
    return { id } as TimerHandle;
  };
  const clear = (h: TimerHandle | null | undefined) => {
    const id = (h as { id?: number } | null | undefined)?.id;
    if (id !== undefined) timers.delete(id);
  };
  return {
    now: () => clock,
    setTimeout: (fn, ms) => arm(fn, ms, null),
    setInterval: (fn, ms) => arm(fn, ms, Math.max(1, ms)),
    clearTimeout: clear,
    clearInterval: clear,
    advance(ms: number) {
      const until = clock + ms;
      for (;;) {
        let next: Pending | undefined;
        for (const t of timers.values()) if (t.at <= until && (!next || t.at < next.at)) next = t;
        if (!next) break;
        clock = Math.max(clock, next.at);
        if (next.every === null) timers.delete(next.id);
        else next.at += next.every;
        next.fn();
      }
      clock = until;
    },
    get pending() {
      return timers.size;
    },
  };
}

/** The wall clock and timers, `factor` times faster; its clock starts at the wall's now. */
export function scaledTimers(factor: number): TimerSource {
  const origin = Date.now();
  const wall = (ms: number) => Math.max(0, ms / factor);
  return {
    now: () => origin + (Date.now() - origin) * factor,
    setTimeout: (fn, ms) => setTimeout(fn, wall(ms)),
    setInterval: (fn, ms) => setInterval(fn, wall(ms)),
    clearTimeout: (h) => clearTimeout(h as ReturnType<typeof setTimeout> | undefined),
    clearInterval: (h) => clearInterval(h as ReturnType<typeof setInterval> | undefined),
  };
}
