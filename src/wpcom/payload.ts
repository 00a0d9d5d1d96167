import { rfc3339 } from "../time.ts";

/**
 * The WPCOM status-change body (docs/reference/monitor-core.md §6.2, §1.13). Field names and order are
 * the wire contract; `checks` lists the local check first, then one entry per verifier reply.
 */

/** 1 = the local monitor, 2 = a verifier. */
export type WpcomCheckType = 1 | 2;

export interface WpcomCheck {
  type: WpcomCheckType;
  host: string;
  /** 1 if that check succeeded, else 0. */
  status: 0 | 1;
  /** Round-trip time in whole milliseconds. */
  rtt: number;
  code: number;
}

export interface WpcomNotification {
  blog_id: number;
  monitor_url: string;
  /** 1 = running, 2 = confirmed down. Seems Down (0) is never sent. */
  status_id: 1 | 2;
  /** RFC 3339 UTC with whole seconds, e.g. 2024-05-01T12:00:00Z. */
  last_check: string;
  last_status_change: string;
  /** The check's status type: success, https, intermittent, redirect, blocked, server, client. */
  status_type: string;
  checks: WpcomCheck[];
}

/** One check as the caller knows it. */
export interface CheckSummary {
  host: string;
  success: boolean;
  rttMs: number;
  httpCode: number;
}

export interface NotificationInput {
  blogId: number;
  monitorUrl: string;
  statusId: 1 | 2;
  lastCheck: Date;
  lastStatusChange: Date;
  statusType: string;
  local: CheckSummary;
  verifiers?: readonly CheckSummary[];
}

/** RFC 3339 in UTC with whole seconds and a `Z` suffix (Go's time.RFC3339 on a UTC time). */
export function rfc3339Seconds(d: Date): string {
  return rfc3339(d.getTime());
}

function check(type: WpcomCheckType, c: CheckSummary): WpcomCheck {
  return { type, host: c.host, status: c.success ? 1 : 0, rtt: Math.trunc(c.rttMs), code: c.httpCode };
}

export function buildNotification(i: NotificationInput): WpcomNotification {
  return {
    blog_id: i.blogId,
    monitor_url: i.monitorUrl,
    status_id: i.statusId,
    last_check: rfc3339Seconds(i.lastCheck),
    last_status_change: rfc3339Seconds(i.lastStatusChange),
    status_type: i.statusType,
    checks: [check(1, i.local), ...(i.verifiers ?? []).map((v) => check(2, v))],
  };
}
