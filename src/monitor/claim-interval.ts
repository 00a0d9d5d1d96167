/**
 * How often a dynamic-ownership monitor re-claims its buckets, and how long a join takes to
 * settle. A host that joins claims its water-fill share at once; each peer gives up the buckets
 * it no longer owns at its own next claim, so for up to one claim interval two hosts hold the
 * same buckets. The fleet view calls such an overlap "settling" (amber) for two claim intervals
 * after the joining monitor started, then red.
 */

/** BUCKET_HEARTBEAT_GRACE_SEC / 4, between 1 s and 30 s: four chances to heartbeat per grace. */
export function claimIntervalMs(graceSec: number): number {
  return Math.min(30_000, Math.max(1000, (graceSec * 1000) / 4));
}

/** Two claim intervals: the peers' next claim plus the joiner's own start-up. */
export function settleWindowMs(graceSec: number): number {
  return 2 * claimIntervalMs(graceSec);
}
