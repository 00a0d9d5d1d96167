/**
 * A timer source: a clock plus setTimeout/setInterval, passed into the long-running units
 * (orchestrator, result writer, lifecycle publisher, deadline queue) so tests can drive time
 * instead of sleeping. Production uses `systemTimers`; test/support/timers.ts has a manual one
 * (time moves only when the test says) and a scaled one (time runs N times faster).
 */

/** What a timer call returns; Bun's and Node's timers fit, and so does any test object. */
export interface TimerHandle {
  unref?(): unknown;
}

export interface TimerSource {
  /** Epoch milliseconds. */
  now(): number;
  setTimeout(fn: () => void, ms: number): TimerHandle;
  clearTimeout(handle: TimerHandle | null | undefined): void;
  setInterval(fn: () => void, ms: number): TimerHandle;
  clearInterval(handle: TimerHandle | null | undefined): void;
}

type NativeTimer = ReturnType<typeof setTimeout>;

export const systemTimers: TimerSource = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (h) => clearTimeout(h as NativeTimer | undefined),
  setInterval: (fn, ms) => setInterval(fn, ms),
  clearInterval: (h) => clearInterval(h as NativeTimer | undefined),
};

/** The system timers with a monotonic clock (performance.now), for deadlines. */
export const monotonicTimers: TimerSource = { ...systemTimers, now: () => performance.now() };

/** Resolves after `ms` of the source's time. */
export function sleepOn(timers: TimerSource, ms: number): Promise<void> {
  return new Promise((resolve) => {
    timers.setTimeout(resolve, Math.max(0, ms));
  });
}
