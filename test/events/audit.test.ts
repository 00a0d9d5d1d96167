import { expect, test } from "bun:test";
import { asc, eq } from "drizzle-orm";
import { auditLog, falsePositives } from "../../src/db/schema.ts";
import { recordFalsePositive, writeAudit } from "../../src/events/audit.ts";
import { AuditEventType } from "../../src/events/vocabulary.ts";
import { useTestDatabase } from "../support/db.ts";

const t = useTestDatabase();

const rowsFor = (eventType: string) =>
  t.db
    .select({
      blogId: auditLog.blogId,
      eventId: auditLog.eventId,
      eventType: auditLog.eventType,
      source: auditLog.source,
      detail: auditLog.detail,
      metadata: auditLog.metadata,
    })
    .from(auditLog)
    .where(eq(auditLog.eventType, eventType))
    .orderBy(asc(auditLog.id));

test("writes one row with the §1.16 columns", async () => {
  await writeAudit(t.db, {
    eventType: AuditEventType.RetryDispatched,
    blogId: 42,
    eventId: 7,
    source: "mon-1",
    detail: "retry 1 of 3",
    metadata: { http_code: 500, error_code: 0, rtt_ms: 12, attempt: 1, of: 3, event_id: 7 },
  });
  expect(await rowsFor("retry_dispatched")).toEqual([
    {
      blogId: 42,
      eventId: 7,
      eventType: "retry_dispatched",
      source: "mon-1",
      detail: "retry 1 of 3",
      metadata: { http_code: 500, error_code: 0, rtt_ms: 12, attempt: 1, of: 3, event_id: 7 },
    },
  ]);
});

test("0 ids and empty detail become NULL, an empty source `local`; a list is one insert", async () => {
  await writeAudit(t.db, [
    { eventType: AuditEventType.WpcomSent, blogId: 0, eventId: 0, source: "", detail: "" },
    { eventType: AuditEventType.WpcomSent, blogId: 5, detail: "status=2 type=server" },
  ]);
  expect(await rowsFor("wpcom_sent")).toEqual([
    { blogId: null, eventId: null, eventType: "wpcom_sent", source: "local", detail: null, metadata: null },
    {
      blogId: 5,
      eventId: null,
      eventType: "wpcom_sent",
      source: "local",
      detail: "status=2 type=server",
      metadata: null,
    },
  ]);
  await writeAudit(t.db, []);
});

test("an entry without an event type is refused and nothing of the batch is written", async () => {
  await expect(
    writeAudit(t.db, [
      { eventType: AuditEventType.AlertSuppressed, blogId: 9, detail: "cooldown active" },
      { eventType: "" as never, blogId: 9 },
    ]),
  ).rejects.toThrow("audit: eventType is required (blog_id 9)");
  expect(await rowsFor("alert_suppressed")).toEqual([]);
});

test("recordFalsePositive inserts blog, http code, error code, rtt", async () => {
  await recordFalsePositive(t.db, { blogId: 654, httpCode: 500, errorCode: 3, rttMs: 120.9 });
  const rows = await t.db.select().from(falsePositives).where(eq(falsePositives.blogId, 654));
  expect(rows).toEqual([
    {
      id: expect.any(Number),
      blogId: 654,
      httpCode: 500,
      errorCode: 3,
      rttMs: 120,
      createdAt: expect.any(Date),
    },
  ]);
});
