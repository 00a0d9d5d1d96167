import type { Config } from "./schema.ts";

/**
 * Seconds between two checks of a healthy site, per docs/configuration.md "How often a site
 * is checked". `checkIntervalMinutes` is the site's check_interval column (NULL or 0 counts as 1).
 */
export function siteIntervalSec(
  c: Pick<Config, "CHECK_INTERVAL_SEC" | "USE_VARIABLE_CHECK_INTERVALS" | "MIN_TIME_BETWEEN_ROUNDS_SEC">,
  checkIntervalMinutes: number | null,
): number {
  if (c.CHECK_INTERVAL_SEC > 0) return c.CHECK_INTERVAL_SEC;
  if (!c.USE_VARIABLE_CHECK_INTERVALS) return c.MIN_TIME_BETWEEN_ROUNDS_SEC;
  return Math.max(Math.max(checkIntervalMinutes ?? 1, 1) * 60, c.MIN_TIME_BETWEEN_ROUNDS_SEC);
}
