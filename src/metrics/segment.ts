/** Turning free text into StatsD-safe name segments (docs/reference/monitor-core.md §1.18, §7.1). */

/**
 * Lowercases, maps each run of characters outside [a-z0-9] to one `_`, trims `_` from both
 * ends; empty becomes `unknown`. `"US-West:7803"` -> `us_west_7803`.
 */
export function metricSegment(s: string): string {
  const out = s
    .trim()
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "_")
    .replace(/^_+|_+$/g, "");
  return out || "unknown";
}

/** The hostname part of the prefix: `.` and `-` become `_` (`my-host.example` -> `my_host_example`). */
export function sanitizeHostname(hostname: string): string {
  return hostname.replace(/[.-]/g, "_");
}

/** `com.jetpack.jetmon.<sanitised hostname>.` — with the trailing dot hot-shots needs. */
export function metricPrefix(hostname: string): string {
  return `com.jetpack.jetmon.${sanitizeHostname(hostname)}.`;
}

/** WPCOM status id -> metric segment: 0 down, 1 running, 2 confirmed_down, else unknown. */
export function wpcomStatusSegment(statusId: number): string {
  switch (statusId) {
    case 0:
      return "down";
    case 1:
      return "running";
    case 2:
      return "confirmed_down";
    default:
      return "unknown";
  }
}
