import type { Reason, ResolutionReason, Severity, State } from "./vocabulary.ts";

/**
 * The legacy `jetpack_monitor_sites` projection (LEGACY_STATUS_PROJECTION_ENABLE). When
 * `enabled`, the mutation also writes `site_status` and `last_status_change = changedAt`
 * (whole seconds, UTC) in its transaction.
 */
export interface LegacyProjection {
  enabled: boolean;
  changedAt: Date;
}

export interface ProjectionOptions {
  project?: LegacyProjection;
}

/** `(blog_id, endpoint_id, check_type, discriminator)`: at most one open event per identity. */
export interface EventIdentity {
  blogId: number;
  /** 0 or absent is stored as NULL. */
  endpointId?: number | null;
  checkType: string;
  /** "" or absent is stored as NULL. */
  discriminator?: string | null;
}

/** An open event as the monitor needs it. */
export interface OpenEvent {
  id: number;
  blogId: number;
  endpointId: number | null;
  checkType: string;
  discriminator: string | null;
  severity: Severity;
  state: State;
  startedAt: Date;
}

/** A full `jetmon_events` row. */
export interface EventRow extends OpenEvent {
  endedAt: Date | null;
  resolutionReason: ResolutionReason | null;
  causeEventId: number | null;
  metadata: unknown;
  updatedAt: Date;
}

/** A `jetmon_event_transitions` row. */
export interface TransitionRow {
  id: number;
  eventId: number;
  blogId: number;
  severityBefore: Severity | null;
  severityAfter: Severity | null;
  stateBefore: State | null;
  stateAfter: State | null;
  reason: Reason;
  source: string;
  metadata: unknown;
  changedAt: Date;
}
