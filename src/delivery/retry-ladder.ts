/**
 * The retry ladder shared by webhooks and alert contacts (docs/reference/deliverer.md §3.10): after the 1st
 * failed attempt wait 1 min, after the 2nd 5 min, then 30 min, 1 h, 6 h; the 6th failure
 * abandons the delivery. Nominally 7 h 36 min from first attempt to abandon.
 */
export const RETRY_DELAYS_MS: readonly [number, ...number[]] = [
  60_000, 300_000, 1_800_000, 3_600_000, 21_600_000,
];

/**
 * How long to wait after a failure, given the attempts made so far (the failed one included),
 * or null when the delivery is to be abandoned.
 */
export function nextRetryDelayMs(attemptsMade: number): number | null {
  if (!Number.isInteger(attemptsMade) || attemptsMade < 1) return RETRY_DELAYS_MS[0];
  return RETRY_DELAYS_MS[attemptsMade - 1] ?? null;
}
