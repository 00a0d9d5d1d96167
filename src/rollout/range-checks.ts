/**
 * The checks the pinned, rollback and dynamic gates run over a bucket range: no dynamic
 * `jetmon_hosts` row claims it, and its active sites and legacy projection drift are counted.
 * Each gate names its range (`pinned range`, `rollback range`, `dynamic range`) in the lines.
 */

import type { BucketRange } from "../config/validate.ts";
import { goQuote } from "../go-format.ts";
import { formatHostRows } from "./coverage.ts";
import { query } from "./gate-context.ts";
import { formatRange } from "./ranges.ts";
import { GateError, type Lines } from "./report.ts";
import type { RolloutStore } from "./store.ts";

/** `host` has no `jetmon_hosts` row, and no row overlaps `range`; `hostRowAdvice` follows a row found. */
export async function requireNoDynamicRows(
  lines: Lines,
  store: RolloutStore,
  host: string,
  range: BucketRange,
  rangeName: string,
  hostRowAdvice: string,
): Promise<void> {
  const r = formatRange(range);
  const exists = await query(`check jetmon_hosts row for ${goQuote(host)}`, () => store.hostRowExists(host));
  if (exists) throw new GateError(`host ${goQuote(host)} still has a jetmon_hosts row; ${hostRowAdvice}`);
  lines.pass(`jetmon_hosts row absent host=${goQuote(host)}`);
  const overlapping = await query(`list jetmon_hosts rows overlapping ${rangeName} ${r}`, () =>
    store.hostRowsOverlapping(range.min, range.max),
  );
  if (overlapping.length > 0) {
    throw new GateError(
      `jetmon_hosts has ${overlapping.length} row(s) overlapping ${rangeName} ${r}: ${formatHostRows(overlapping)}`,
    );
  }
  lines.pass("jetmon_hosts overlap=0");
}

export interface SitesAndDriftLabels {
  /** `pinned range`, `rollback range`, `dynamic range`. */
  rangeName: string;
  /** The key of the active-sites line, e.g. `active_sites_in_pinned_range`. */
  activeKey: string;
  /** What the warning asks when the range has no active site. */
  emptyAdvice: string;
  /** Appended to the drift failure after `; `, if any. */
  driftAdvice?: string;
}

/** Counts the range's active sites (a warning when none) and fails on legacy projection drift in it. */
export async function checkSitesAndDrift(
  lines: Lines,
  store: RolloutStore,
  range: BucketRange,
  l: SitesAndDriftLabels,
): Promise<void> {
  const r = formatRange(range);
  const active = await query(`count active sites in ${l.rangeName} ${r}`, () =>
    store.countActiveSites(range.min, range.max),
  );
  lines.info(`${l.activeKey}=${active}`);
  if (active === 0) lines.warn(`${l.activeKey}=0; ${l.emptyAdvice}`);
  const drift = await query(`count legacy projection drift in ${l.rangeName} ${r}`, () =>
    store.countProjectionDrift(range.min, range.max),
  );
  if (drift > 0) {
    const advice = l.driftAdvice ? `; ${l.driftAdvice}` : "";
    throw new GateError(`legacy projection drift=${drift} in ${l.rangeName} ${r}${advice}`);
  }
  lines.pass("legacy_projection_drift=0");
}
