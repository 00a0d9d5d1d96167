import { eq } from "drizzle-orm";
import { sites } from "../db/schema.ts";
import { dbTime, type Tx } from "../db/sql.ts";
import { CheckType, LegacyStatus, State } from "./vocabulary.ts";

/**
 * The legacy `site_status` implied by an event (docs/reference/monitor-core.md §1.6): only `http` events
 * project; `Down` -> 2, `Seems Down` -> 0, anything else (a closed event included) -> 1.
 * Returns null for check types that never touch the legacy columns (e.g. tls_expiry).
 */
export function legacyStatusFor(
  checkType: string,
  state: State | null,
  closed: boolean,
): LegacyStatus | null {
  if (checkType !== CheckType.Http) return null;
  if (closed) return LegacyStatus.Running;
  if (state === State.Down) return LegacyStatus.ConfirmedDown;
  if (state === State.SeemsDown) return LegacyStatus.Down;
  return LegacyStatus.Running;
}

/** `UPDATE jetpack_monitor_sites SET site_status=?, last_status_change=? WHERE blog_id=?`. */
export async function writeLegacyStatus(
  tx: Tx,
  blogId: number,
  status: LegacyStatus,
  changedAt: Date,
): Promise<void> {
  await tx
    .update(sites)
    .set({ siteStatus: status, lastStatusChange: dbTime(changedAt) })
    .where(eq(sites.blogId, blogId));
}
