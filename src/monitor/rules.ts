/**
 * Pure incident rules (docs/reference/monitor-core.md §1.9-§1.15, §1.18). No I/O and no clock:
 * callers pass `now` in epoch milliseconds.
 */

/** The site's timeout override (even 0), else the config's NET_COMMS_TIMEOUT. */
export function timeoutForSite(siteTimeoutSeconds: number | null, netCommsTimeout: number): number {
  return siteTimeoutSeconds ?? netCommsTimeout;
}

export interface IntervalConfig {
  CHECK_INTERVAL_SEC: number;
  USE_VARIABLE_CHECK_INTERVALS: boolean;
  MIN_TIME_BETWEEN_ROUNDS_SEC: number;
}

/**
 * How often a site is checked, in ms (docs/configuration.md): CHECK_INTERVAL_SEC > 0 wins for
 * every site; with USE_VARIABLE_CHECK_INTERVALS the site's check_interval minutes (at least 1),
 * never below MIN_TIME_BETWEEN_ROUNDS_SEC; otherwise MIN_TIME_BETWEEN_ROUNDS_SEC for all.
 */
export function intervalMs(checkIntervalMinutes: number | null, c: IntervalConfig): number {
  if (c.CHECK_INTERVAL_SEC > 0) return c.CHECK_INTERVAL_SEC * 1000;
  const floor = c.MIN_TIME_BETWEEN_ROUNDS_SEC * 1000;
  if (!c.USE_VARIABLE_CHECK_INTERVALS) return floor;
  return Math.max(Math.max(1, checkIntervalMinutes ?? 1) * 60_000, floor);
}

/** docs/reference/monitor-core.md §1.15: both bounds set and start < now < end (both exclusive; epoch ms). */
export function inMaintenance(start: number | null, end: number | null, now: number): boolean {
  if (start === null || end === null) return false;
  return start < now && now < end;
}

/** docs/reference/monitor-core.md §1.15: the site's alert_cooldown_minutes when not NULL (0 disables), else ALERT_COOLDOWN_MINUTES. */
export function cooldownMinutes(siteCooldown: number | null, configCooldown: number): number {
  return siteCooldown ?? configCooldown;
}

/** docs/reference/monitor-core.md §1.15: suppressed when cooldown > 0 and the last alert (non-zero) is less than cooldown minutes ago. */
export function cooldownSuppressed(
  lastAlertSentAt: number | null,
  cooldownMin: number,
  now: number,
): boolean {
  if (cooldownMin <= 0 || lastAlertSentAt === null) return false;
  const at = lastAlertSentAt;
  if (!Number.isFinite(at) || at <= 0) return false;
  return now - at < cooldownMin * 60_000;
}

/** docs/reference/monitor-core.md §1.9: quorum = max(1, min(PEER_OFFLINE_LIMIT, healthy replies)). */
export function quorum(peerOfflineLimit: number, healthy: number): number {
  return Math.max(1, Math.min(peerOfflineLimit, healthy));
}

export type EscalationVerdict =
  /** Enough verifiers saw it down, or none are configured: the site is Down. */
  | "confirmed"
  /** Verifiers answered and too few saw it down: close as false_alarm. */
  | "false_alarm"
  /**
   * Verifiers are configured but none answered. Upstream counts this as a false alarm, which
   * closes real outages while the verifiers are unreachable; here the event stays Seems Down and
   * the next failure escalates again.
   */
  | "unverified";

export function escalationVerdict(v: {
  configured: number;
  healthy: number;
  confirmations: number;
  peerOfflineLimit: number;
}): EscalationVerdict {
  if (v.configured === 0) return "confirmed";
  if (v.healthy === 0) return "unverified";
  return v.confirmations >= quorum(v.peerOfflineLimit, v.healthy) ? "confirmed" : "false_alarm";
}
