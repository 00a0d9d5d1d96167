/**
 * What every long-running mode (monitor, deliverer, veriflier) does as a process: listen for
 * SIGHUP and SIGINT/SIGTERM, absorb the signals that arrive once shutdown has begun, undo its
 * setup in reverse order, and give up on a shutdown step that outlasts the hard stop.
 */
import { errorText } from "../error-text.ts";
import type { Logger } from "../log.ts";
import { systemTimers, type TimerSource } from "../timers.ts";

/** Where signals come from; `process` in production, an EventEmitter in tests. */
export interface SignalSource {
  on(signal: NodeJS.Signals, handler: (signal: NodeJS.Signals) => void): unknown;
  off(signal: NodeJS.Signals, handler: (signal: NodeJS.Signals) => void): unknown;
}

export const STOP_SIGNALS: readonly NodeJS.Signals[] = ["SIGINT", "SIGTERM"];

export interface ProcessSignals {
  /** Resolves with the first SIGINT/SIGTERM, or the reason given to `stop`. */
  readonly stopped: Promise<string>;
  /** Starts the same shutdown a SIGTERM starts. */
  stop(reason?: string): void;
  /** Removes every handler, the absorbing ones included. Idempotent. */
  dispose(): void;
}

/**
 * Listens on `signals`: SIGHUP calls `onReload` when given (until shutdown begins), the first SIGINT or
 * SIGTERM resolves `stopped`, and every later one is logged and ignored, so a second signal
 * cannot kill a shutdown half-way.
 */
export function watchSignals(
  signals: SignalSource,
  opts: { log: Logger; onReload?: () => void },
): ProcessSignals {
  let resolve!: (reason: string) => void;
  const stopped = new Promise<string>((r) => {
    resolve = r;
  });
  let stopping = false;
  let disposed = false;
  const onHup = () => opts.onReload?.();
  const ignore = (sig: NodeJS.Signals) =>
    opts.log.warn({ signal: sig }, "shutdown in progress; signal ignored");
  // Without a reload, SIGHUP keeps its default meaning for the process.
  const hup: NodeJS.Signals[] = opts.onReload ? ["SIGHUP"] : [];
  const absorbed: NodeJS.Signals[] = [...STOP_SIGNALS, ...hup];
  const stop = (reason: string) => {
    if (stopping || disposed) return;
    stopping = true;
    for (const s of hup) signals.off(s, onHup);
    for (const s of STOP_SIGNALS) signals.off(s, onStop);
    for (const s of absorbed) signals.on(s, ignore);
    resolve(reason);
  };
  const onStop = (sig: NodeJS.Signals) => stop(sig);
  for (const s of hup) signals.on(s, onHup);
  for (const s of STOP_SIGNALS) signals.on(s, onStop);
  return {
    stopped,
    stop: (reason = "stop requested") => stop(reason),
    dispose() {
      if (disposed) return;
      disposed = true;
      if (stopping) {
        for (const s of absorbed) signals.off(s, ignore);
      } else {
        for (const s of hup) signals.off(s, onHup);
        for (const s of STOP_SIGNALS) signals.off(s, onStop);
      }
    },
  };
}

/** Setup to undo at exit: steps run last-pushed first, and a failing step never stops the rest. */
export class CleanupStack {
  private readonly steps: (() => unknown)[] = [];

  push(step: () => unknown): void {
    this.steps.push(step);
  }

  /** Runs and forgets every step; a second call runs only steps pushed since. */
  async run(): Promise<void> {
    while (this.steps.length > 0) {
      const step = this.steps.pop();
      try {
        await step?.();
      } catch {
        // Cleanup is best effort: the process is leaving either way.
      }
    }
  }
}

/**
 * Runs `work` for at most `ms` (the hard stop). Resolves true when it finished in time; false
 * when the bound passed first, after logging that the shutdown was forced. The work is not
 * cancelled, only no longer waited for, so the caller can still write what must be written.
 */
export async function withinHardStop(
  work: () => Promise<unknown>,
  ms: number,
  log: Logger,
  timers: TimerSource = systemTimers,
): Promise<boolean> {
  let timer: ReturnType<TimerSource["setTimeout"]> | undefined;
  const expired = new Promise<"expired">((r) => {
    timer = timers.setTimeout(() => r("expired"), ms);
  });
  const done = work().then(
    () => "done" as const,
    (err: unknown) => {
      log.error({ err: errorText(err) }, "shutdown step failed");
      return "done" as const;
    },
  );
  const first = await Promise.race([done, expired]);
  timers.clearTimeout(timer);
  if (first === "expired") log.error({ drain_timeout_ms: ms }, "shutdown timeout exceeded, forcing exit");
  return first === "done";
}
