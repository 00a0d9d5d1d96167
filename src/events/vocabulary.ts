/**
 * The incident vocabulary: every string and number the event store, the orchestrator, the
 * deliverer and the dashboard agree on (docs/reference/monitor-core.md §3.1, §1.16). These values are
 * stored in MySQL and read by Go hosts in the same fleet, so they never change spelling.
 */

/** `jetmon_events.state` / `jetmon_event_transitions.state_*` (VARCHAR(32), not an ENUM). */
export const State = {
  Up: "Up",
  Warning: "Warning",
  Degraded: "Degraded",
  SeemsDown: "Seems Down",
  Down: "Down",
  Paused: "Paused",
  Maintenance: "Maintenance",
  Unknown: "Unknown",
  /** Only ever a transition's `state_after` on close; an event row keeps its last live state. */
  Resolved: "Resolved",
} as const;
export type State = (typeof State)[keyof typeof State];

/** `jetmon_events.severity` (TINYINT UNSIGNED); strictly increasing with badness. */
export const Severity = {
  Up: 0,
  Warning: 1,
  Degraded: 2,
  SeemsDown: 3,
  Down: 4,
} as const;
export type Severity = (typeof Severity)[keyof typeof Severity];

/** Reasons a transition closes an event; stored in `jetmon_events.resolution_reason` too. */
export const ResolutionReason = {
  VerifierCleared: "verifier_cleared",
  ProbeCleared: "probe_cleared",
  FalseAlarm: "false_alarm",
  ManualOverride: "manual_override",
  MaintenanceSwallowed: "maintenance_swallowed",
  Superseded: "superseded",
  AutoTimeout: "auto_timeout",
} as const;
export type ResolutionReason = (typeof ResolutionReason)[keyof typeof ResolutionReason];

/** `jetmon_event_transitions.reason`: every reason, closing ones included. */
export const Reason = {
  Opened: "opened",
  SeverityEscalation: "severity_escalation",
  SeverityDeescalation: "severity_deescalation",
  StateChange: "state_change",
  VerifierConfirmed: "verifier_confirmed",
  CauseLinked: "cause_linked",
  CauseUnlinked: "cause_unlinked",
  ...ResolutionReason,
} as const;
export type Reason = (typeof Reason)[keyof typeof Reason];

/** `jetmon_events.check_type` values the monitor writes. */
export const CheckType = {
  Http: "http",
  TlsExpiry: "tls_expiry",
  /** Advisory: the site negotiates TLS 1.0/1.1 (never downtime). */
  TlsDeprecated: "tls_deprecated",
} as const;
export type CheckType = (typeof CheckType)[keyof typeof CheckType];

/** Legacy v1 `jetpack_monitor_sites.site_status` and WPCOM `status_id`. */
export const LegacyStatus = {
  /** "Seems Down": local failures seen, not verifier-confirmed. Never sent to WPCOM. */
  Down: 0,
  Running: 1,
  ConfirmedDown: 2,
} as const;
export type LegacyStatus = (typeof LegacyStatus)[keyof typeof LegacyStatus];

/** `jetmon_audit_log.event_type` (docs/reference/monitor-core.md §1.16). */
export const AuditEventType = {
  RetryDispatched: "retry_dispatched",
  VeriflierSent: "veriflier_sent",
  MaintenanceActive: "maintenance_active",
  AlertSuppressed: "alert_suppressed",
  WpcomSent: "wpcom_sent",
  WpcomRetry: "wpcom_retry",
  ConfigChange: "config_change",
  ApiAccess: "api_access",
} as const;
export type AuditEventType = (typeof AuditEventType)[keyof typeof AuditEventType];

/**
 * Columns read back from MySQL: the store writes only these tables' values, so a stored string
 * is one of them (Go hosts write the same vocabulary). The one place a read is typed.
 */
export const stored = {
  state: (s: string): State => s as State,
  severity: (n: number): Severity => n as Severity,
  reason: (s: string): Reason => s as Reason,
  resolutionReason: (s: string): ResolutionReason => s as ResolutionReason,
} as const;

/** True for the reasons that end an event. */
export function isResolutionReason(reason: string): reason is ResolutionReason {
  return (Object.values(ResolutionReason) as string[]).includes(reason);
}
