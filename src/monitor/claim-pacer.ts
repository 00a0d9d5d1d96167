import type { TimerHandle, TimerSource } from "../timers.ts";
import type { Ownership } from "./buckets.ts";

/** A blocked host (a peer still holds part of its share) claims again this soon. */
export const BLOCKED_RETRY_MS = 1000;
/** Past a peer row's expiry: MySQL heartbeats have whole-second resolution. */
const EXPIRY_MARGIN_MS = 1000;

/**
 * When to claim again before the regular claim period, or null for no early claim:
 * - blocked: the peer giving buckets up does so at its own next claim, so retry shortly;
 * - a peer row passes the grace before the next regular claim: claim right after it does, so a
 *   dead host's buckets move at grace + 1 s after its last heartbeat, not up to a claim period
 *   later. Every live peer computes the same moment.
 */
export function earlyClaimDelay(o: Ownership, claimMs: number): number | null {
  if (o.mode !== "dynamic") return null;
  let best: number | null = o.blocked ? BLOCKED_RETRY_MS : null;
  if (o.peerExpiresInMs !== null) {
    const at = o.peerExpiresInMs + EXPIRY_MARGIN_MS;
    if (at < claimMs && (best === null || at < best)) best = at;
  }
  return best !== null && best < claimMs ? best : null;
}

/** Holds the one early-claim timer of a monitor (on the injectable timer source). */
export class ClaimPacer {
  private timer: TimerHandle | null = null;

  constructor(
    private readonly clock: TimerSource,
    private readonly claim: () => void,
  ) {}

  /** After each claim: (re)arms the early claim the new ownership calls for, or none. */
  after(o: Ownership, claimMs: number): void {
    this.stop();
    const delay = earlyClaimDelay(o, claimMs);
    if (delay === null) return;
    this.timer = this.clock.setTimeout(() => {
      this.timer = null;
      this.claim();
    }, delay);
  }

  stop(): void {
    if (this.timer) this.clock.clearTimeout(this.timer);
    this.timer = null;
  }
}
