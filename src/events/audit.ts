import { auditLog, falsePositives } from "../db/schema.ts";
import type { Executor } from "../db/sql.ts";
import type { AuditEventType } from "./vocabulary.ts";

export interface AuditEntry {
  eventType: AuditEventType;
  /** 0 or absent is stored as NULL. */
  blogId?: number | null;
  /** 0 or absent is stored as NULL. */
  eventId?: number | null;
  /** "" or absent becomes `local`. */
  source?: string;
  /** "" or absent is stored as NULL. */
  detail?: string;
  /** Absent is stored as NULL. */
  metadata?: unknown;
}

/**
 * Inserts `jetmon_audit_log` rows (docs/reference/monitor-core.md §1.16), several in one statement.
 * Throws `audit: eventType is required` before writing anything if any entry lacks one.
 */
export async function writeAudit(db: Executor, entries: AuditEntry | readonly AuditEntry[]): Promise<void> {
  const list = Array.isArray(entries) ? (entries as readonly AuditEntry[]) : [entries as AuditEntry];
  if (list.length === 0) return;
  for (const e of list) {
    if (!e.eventType) throw new Error(`audit: eventType is required (blog_id ${e.blogId ?? "none"})`);
  }
  await db.insert(auditLog).values(
    list.map((e) => ({
      blogId: e.blogId || null,
      eventId: e.eventId || null,
      eventType: e.eventType,
      source: e.source || "local",
      detail: e.detail || null,
      metadata: e.metadata ?? null,
    })),
  );
}

export interface FalsePositive {
  blogId: number;
  httpCode: number;
  errorCode: number;
  rttMs: number;
}

/** A `jetmon_false_positives` row: the verifiers overruled a local failure. */
export async function recordFalsePositive(db: Executor, fp: FalsePositive): Promise<void> {
  await db.insert(falsePositives).values({
    blogId: fp.blogId,
    httpCode: fp.httpCode,
    errorCode: fp.errorCode,
    rttMs: Math.trunc(fp.rttMs),
  });
}
