import { describe, expect, test } from "bun:test";
import { eq } from "drizzle-orm";
import { sites } from "../../src/db/schema.ts";
import {
  closeRecoveredEvent,
  reconcileTlsExpiryEvent,
  tlsDaysUntil,
  tlsExpiryTier,
} from "../../src/events/lifecycle.ts";
import { findOpenEvent, getEvent, listTransitions } from "../../src/events/queries.ts";
import { closeEvent, openEvent, updateEvent } from "../../src/events/store.ts";
import { CheckType, Reason, ResolutionReason, Severity, State } from "../../src/events/vocabulary.ts";
import { useTestDatabase } from "../support/db.ts";

const t = useTestDatabase();
const at = new Date("2024-06-01T08:00:00.250Z");
const on = { enabled: true, changedAt: at };
const off = { enabled: false, changedAt: at };
const earlier = new Date("2020-01-01T00:00:00Z");
let nextBlog = 1;

async function newBlog(status = 1): Promise<number> {
  const blogId = nextBlog++;
  await t.db
    .insert(sites)
    .values({ blogId, monitorActive: 1, siteStatus: status, lastStatusChange: earlier });
  return blogId;
}
async function site(blogId: number) {
  const [row] = await t.db
    .select({ status: sites.siteStatus, changed: sites.lastStatusChange })
    .from(sites)
    .where(eq(sites.blogId, blogId));
  return row!;
}
const seemsDown = (blogId: number) => ({
  blogId,
  checkType: CheckType.Http,
  severity: Severity.SeemsDown,
  state: State.SeemsDown,
});

describe("closeRecoveredEvent", () => {
  test("Seems Down closes as probe_cleared; site_status 1", async () => {
    const blogId = await newBlog();
    const { eventId } = await openEvent(t.db, seemsDown(blogId), { project: on });
    const r = await closeRecoveredEvent(t.db, {
      blogId,
      knownEventId: eventId,
      source: "mon-1",
      project: on,
    });
    expect(r).toEqual({
      eventId,
      reason: "probe_cleared",
      state: "Seems Down",
      transitionId: expect.any(Number),
    });
    expect((await getEvent(t.db, eventId))!.resolutionReason).toBe("probe_cleared");
    expect((await listTransitions(t.db, eventId))[1]).toMatchObject({
      reason: "probe_cleared",
      source: "mon-1",
      stateAfter: "Resolved",
      metadata: null,
    });
    expect(await site(blogId)).toEqual({ status: 1, changed: new Date("2024-06-01T08:00:00Z") });
  });

  test("Down closes as verifier_cleared, found without a known id", async () => {
    const blogId = await newBlog();
    const { eventId } = await openEvent(t.db, seemsDown(blogId));
    await updateEvent(t.db, eventId, { severity: 4, state: State.Down, reason: Reason.VerifierConfirmed });
    const r = await closeRecoveredEvent(t.db, { blogId, project: on });
    expect(r).toMatchObject({ eventId, reason: "verifier_cleared", state: "Down" });
  });

  test("projection off still closes the event (DESIGN.md defect 3) and leaves site_status alone", async () => {
    const blogId = await newBlog();
    const { eventId } = await openEvent(t.db, seemsDown(blogId));
    const r = await closeRecoveredEvent(t.db, { blogId, knownEventId: eventId, project: off });
    expect(r?.reason).toBe("probe_cleared");
    expect(await findOpenEvent(t.db, blogId, "http")).toBeNull();
    expect(await site(blogId)).toEqual({ status: 1, changed: earlier });
  });

  test("a stale known id falls back to the open event; no open event only projects 1", async () => {
    const blogId = await newBlog();
    const old = await openEvent(t.db, seemsDown(blogId));
    await closeEvent(t.db, old.eventId, { reason: ResolutionReason.FalseAlarm });
    const current = await openEvent(t.db, seemsDown(blogId));
    const r = await closeRecoveredEvent(t.db, { blogId, knownEventId: old.eventId });
    expect(r?.eventId).toBe(current.eventId);

    const drifted = await newBlog(2);
    expect(await closeRecoveredEvent(t.db, { blogId: drifted, project: on })).toBeNull();
    expect((await site(drifted)).status).toBe(1);
  });

  test("another blog's known id is not closed", async () => {
    const a = await newBlog();
    const b = await newBlog();
    const ea = await openEvent(t.db, seemsDown(a));
    expect(await closeRecoveredEvent(t.db, { blogId: b, knownEventId: ea.eventId })).toBeNull();
    expect((await getEvent(t.db, ea.eventId))!.endedAt).toBeNull();
  });

  test("a tls_expiry event is not a recovery target", async () => {
    const blogId = await newBlog();
    await openEvent(t.db, { blogId, checkType: CheckType.TlsExpiry, severity: 1, state: State.Warning });
    expect(await closeRecoveredEvent(t.db, { blogId })).toBeNull();
    expect(await findOpenEvent(t.db, blogId, "tls_expiry")).not.toBeNull();
  });
});

describe("TLS expiry", () => {
  const now = new Date("2024-06-01T00:00:00Z");
  const inDays = (d: number, extraMs = 0) => new Date(now.getTime() + d * 86_400_000 + extraMs);

  test.each([
    [31, null],
    [30, { severity: 1, state: "Warning" }],
    [14, { severity: 1, state: "Warning" }],
    [8, { severity: 1, state: "Warning" }],
    [7, { severity: 2, state: "Degraded" }],
    [0, { severity: 2, state: "Degraded" }],
    [-3, { severity: 2, state: "Degraded" }],
  ])("tier for %p days", (days, want) => {
    // The literal strings pin the stored spelling; the result widens to compare with them.
    expect(tlsExpiryTier(days) as { severity: number; state: string } | null).toEqual(want);
  });

  test.each([
    [inDays(15, 30 * 60_000), 15],
    [inDays(30, 86_399_000), 30],
    [inDays(0, -3_600_000), 0],
    [inDays(-1, -1), -1],
  ])("tlsDaysUntil(%p) = %p (truncated toward zero)", (expiry, want) => {
    expect(tlsDaysUntil(expiry, now)).toBe(want);
  });

  test("opens Warning, escalates to Degraded, de-escalates, closes past 30 days; never projects", async () => {
    const blogId = await newBlog();
    const run = (d: number) =>
      reconcileTlsExpiryEvent(t.db, { blogId, expiresAt: inDays(d), now, source: "mon-1" });

    expect(await run(45)).toEqual({ days: 45, action: "none", eventId: null });
    const opened = await run(20);
    expect(opened).toEqual({ days: 20, action: "opened", eventId: expect.any(Number) });
    const id = opened.eventId!;
    expect(await getEvent(t.db, id)).toMatchObject({
      checkType: "tls_expiry",
      severity: 1,
      state: "Warning",
      metadata: { days_until: 20, expires_at: "2024-06-21T00:00:00Z" },
    });
    expect(await run(19)).toEqual({ days: 19, action: "unchanged", eventId: id });
    expect(await run(5)).toEqual({ days: 5, action: "escalated", eventId: id });
    expect(await run(10)).toEqual({ days: 10, action: "deescalated", eventId: id });
    expect(await run(40)).toEqual({ days: 40, action: "closed", eventId: id });

    const trs = await listTransitions(t.db, id);
    expect(
      trs.map((x) => [x.reason, x.severityBefore, x.severityAfter, x.stateBefore, x.stateAfter]),
    ).toEqual([
      ["opened", null, 1, null, "Warning"],
      ["severity_escalation", 1, 2, "Warning", "Degraded"],
      ["severity_deescalation", 2, 1, "Degraded", "Warning"],
      ["verifier_cleared", 1, null, "Warning", "Resolved"],
    ]);
    expect(trs[1]!.metadata).toEqual({ days_until: 5, expires_at: "2024-06-06T00:00:00Z" });
    // Metadata on the event row is frozen at open.
    expect((await getEvent(t.db, id))!.metadata).toEqual({
      days_until: 20,
      expires_at: "2024-06-21T00:00:00Z",
    });
    expect(await site(blogId)).toEqual({ status: 1, changed: earlier });
  });
});
