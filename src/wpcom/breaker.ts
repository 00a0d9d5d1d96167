/**
 * The WPCOM circuit breaker as a pure state machine (no clock, no I/O): the client feeds it
 * send outcomes and asks it, at a given time, whether a send may be attempted.
 *
 *   closed --(failureThreshold consecutive failures)--> open
 *   open --(more than halfOpenAfterMs since opening)--> half-open   (derived from time)
 *   half-open --success--> closed        half-open --failure--> open (timer restarts)
 *   closed --success--> closed with the failure count reset
 */

export interface BreakerConfig {
  failureThreshold: number;
  halfOpenAfterMs: number;
}

export type BreakerPhase = "closed" | "open" | "half-open";

export interface BreakerState {
  consecutiveFailures: number;
  /** Epoch ms when the circuit last opened; null while closed. */
  openedAt: number | null;
}

export type SendOutcome = "success" | "failure";

export const closedBreaker: BreakerState = Object.freeze({ consecutiveFailures: 0, openedAt: null });

/** The phase at `now`. Half-open starts strictly after halfOpenAfterMs (as upstream's "> 60 s"). */
export function breakerPhase(s: BreakerState, now: number, cfg: BreakerConfig): BreakerPhase {
  if (s.openedAt === null) return "closed";
  return now - s.openedAt > cfg.halfOpenAfterMs ? "half-open" : "open";
}

/** Whether a notification may be sent at `now` (closed, or the half-open trial). */
export function breakerAllowsSend(s: BreakerState, now: number, cfg: BreakerConfig): boolean {
  return breakerPhase(s, now, cfg) !== "open";
}

/** The state after a send that finished at `now` with `outcome`. */
export function nextBreaker(
  s: BreakerState,
  outcome: SendOutcome,
  now: number,
  cfg: BreakerConfig,
): BreakerState {
  if (outcome === "success") return closedBreaker;
  const consecutiveFailures = s.consecutiveFailures + 1;
  switch (breakerPhase(s, now, cfg)) {
    case "half-open":
      return { consecutiveFailures, openedAt: now };
    case "open":
      // A send that started before the circuit opened and failed afterwards: keep the timer.
      return { consecutiveFailures, openedAt: s.openedAt };
    case "closed":
      return { consecutiveFailures, openedAt: consecutiveFailures >= cfg.failureThreshold ? now : null };
  }
}
