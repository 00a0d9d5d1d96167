/** The incident module: events + transitions + the legacy site_status projection, and audit rows. */

export { type AuditEntry, recordFalsePositive, writeAudit } from "./audit.ts";
export {
  closeRecoveredEvent,
  reconcileTlsExpiryEvent,
  type TlsExpiryResult,
  tlsDaysUntil,
  tlsExpiryTier,
} from "./lifecycle.ts";
export { openEventsForBlogs } from "./queries.ts";
export {
  closeEvent,
  EventClosedError,
  EventNotFoundError,
  openEvent,
  updateEvent,
} from "./store.ts";
export type { LegacyProjection } from "./types.ts";
export * from "./vocabulary.ts";
