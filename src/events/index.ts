/** The incident module: events + transitions + the legacy site_status projection, and audit rows. */

export type { Executor, Tx } from "../db/sql.ts";
export { inTransaction } from "../db/sql.ts";
export { type AuditEntry, type FalsePositive, recordFalsePositive, writeAudit } from "./audit.ts";
export {
  closeRecoveredEvent,
  type RecoveryInput,
  type RecoveryResult,
  reconcileTlsExpiryEvent,
  TLS_DEGRADED_DAYS,
  TLS_WARN_DAYS,
  type TlsExpiryAction,
  type TlsExpiryResult,
  tlsDaysUntil,
  tlsExpiryTier,
} from "./lifecycle.ts";
export { legacyStatusFor } from "./projection.ts";
export { findOpenEvent, getEvent, listTransitions, openEventsForBlogs } from "./queries.ts";
export {
  type ChangeResult,
  type CloseInput,
  type CloseResult,
  closeEvent,
  type EventChange,
  EventClosedError,
  EventNotFoundError,
  linkCause,
  type OpenEventInput,
  type OpenEventResult,
  openEvent,
  updateEvent,
} from "./store.ts";
export type {
  EventIdentity,
  EventRow,
  LegacyProjection,
  OpenEvent,
  ProjectionOptions,
  TransitionRow,
} from "./types.ts";
export * from "./vocabulary.ts";
