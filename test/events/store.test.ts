import { beforeAll, beforeEach, describe, expect, test } from "bun:test";
import { eq, sql } from "drizzle-orm";
import { events, eventTransitions, sites } from "../../src/db/schema.ts";
import { getEvent, listTransitions } from "../../src/events/queries.ts";
import {
  closeEvent,
  EventClosedError,
  EventNotFoundError,
  linkCause,
  openEvent,
  updateEvent,
} from "../../src/events/store.ts";
import { CheckType, Reason, ResolutionReason, Severity, State } from "../../src/events/vocabulary.ts";
import { useTestDatabase } from "../support/db.ts";

const t = useTestDatabase();
const at = new Date("2024-05-01T12:34:56.789Z");
const atSeconds = new Date("2024-05-01T12:34:56Z");
const on = { project: { enabled: true, changedAt: at } };
const off = { project: { enabled: false, changedAt: at } };
const earlier = new Date("2020-01-01T00:00:00Z");

let nextBlog = 1000;
/** A fresh blog with a legacy site row (status 1, an old last_status_change). */
async function newBlog(): Promise<number> {
  const blogId = nextBlog++;
  await t.db.insert(sites).values({
    blogId,
    monitorUrl: `https://b${blogId}.example`,
    monitorActive: 1,
    lastStatusChange: earlier,
  });
  return blogId;
}
async function site(blogId: number) {
  const [row] = await t.db
    .select({ status: sites.siteStatus, changed: sites.lastStatusChange })
    .from(sites)
    .where(eq(sites.blogId, blogId));
  return row!;
}
async function transitionCount(): Promise<number> {
  const [row] = await t.db.select({ n: sql<number>`COUNT(*)` }).from(eventTransitions);
  return Number(row!.n);
}
const seemsDown = (blogId: number, source = "mon-1") => ({
  blogId,
  checkType: CheckType.Http,
  severity: Severity.SeemsDown,
  state: State.SeemsDown,
  source,
  metadata: { http_code: 500, error_code: 0, rtt_ms: 12, url: "https://x" },
});

describe("openEvent", () => {
  test("inserts the event and its `opened` transition, exact columns", async () => {
    const blogId = await newBlog();
    const r = await openEvent(t.db, seemsDown(blogId));
    expect(r).toEqual({
      eventId: expect.any(Number),
      opened: true,
      severity: 3,
      state: "Seems Down",
      transitionId: expect.any(Number),
    });
    const [row] = await t.db.select().from(events).where(eq(events.id, r.eventId));
    expect(row).toMatchObject({
      blogId,
      endpointId: null,
      checkType: "http",
      discriminator: null,
      severity: 3,
      state: "Seems Down",
      endedAt: null,
      resolutionReason: null,
      causeEventId: null,
      metadata: { http_code: 500, error_code: 0, rtt_ms: 12, url: "https://x" },
      dedupKey: `${blogId}:0:http:`,
    });
    expect(await listTransitions(t.db, r.eventId)).toEqual([
      {
        id: r.transitionId!,
        eventId: r.eventId,
        blogId,
        severityBefore: null,
        severityAfter: 3,
        stateBefore: null,
        stateAfter: "Seems Down",
        reason: "opened",
        source: "mon-1",
        metadata: { http_code: 500, error_code: 0, rtt_ms: 12, url: "https://x" },
        changedAt: expect.any(Date),
      },
    ]);
    // Projection not requested: the legacy row is untouched.
    expect(await site(blogId)).toEqual({ status: 1, changed: earlier });
  });

  test("with the projection on, sets site_status 0 and last_status_change (whole seconds)", async () => {
    const blogId = await newBlog();
    await openEvent(t.db, seemsDown(blogId), on);
    expect(await site(blogId)).toEqual({ status: 0, changed: atSeconds });
  });

  test("projection off writes nothing to the legacy row", async () => {
    const blogId = await newBlog();
    await openEvent(t.db, seemsDown(blogId), off);
    expect(await site(blogId)).toEqual({ status: 1, changed: earlier });
  });

  test("a second open of the same identity de-dups: same id, current row values, nothing written", async () => {
    const blogId = await newBlog();
    const first = await openEvent(t.db, seemsDown(blogId));
    await updateEvent(t.db, first.eventId, { severity: 4, state: "Down", reason: Reason.VerifierConfirmed });
    const before = await transitionCount();
    await t.db.update(sites).set({ siteStatus: 2 }).where(eq(sites.blogId, blogId));

    const again = await openEvent(t.db, { ...seemsDown(blogId), metadata: { other: true } }, on);
    expect(again).toEqual({
      eventId: first.eventId,
      opened: false,
      severity: 4,
      state: "Down",
      transitionId: null,
    });
    expect(await transitionCount()).toBe(before);
    expect((await getEvent(t.db, first.eventId))!.metadata).toEqual(seemsDown(blogId).metadata);
    expect((await site(blogId)).status).toBe(2);
  });

  test("endpoint and discriminator are part of the identity; 0 and '' are NULL", async () => {
    const blogId = await newBlog();
    const a = await openEvent(t.db, { ...seemsDown(blogId), endpointId: 0, discriminator: "" });
    const b = await openEvent(t.db, { ...seemsDown(blogId), endpointId: 7 });
    const c = await openEvent(t.db, { ...seemsDown(blogId), discriminator: "eu" });
    expect(new Set([a.eventId, b.eventId, c.eventId]).size).toBe(3);
    expect([a.opened, b.opened, c.opened]).toEqual([true, true, true]);
    const rows = await t.db
      .select({ e: events.endpointId, d: events.discriminator, k: events.dedupKey })
      .from(events)
      .where(eq(events.blogId, blogId))
      .orderBy(events.id);
    expect(rows).toEqual([
      { e: null, d: null, k: `${blogId}:0:http:` },
      { e: 7, d: null, k: `${blogId}:7:http:` },
      { e: null, d: "eu", k: `${blogId}:0:http:eu` },
    ]);
  });

  test("an empty source is stored as `local`, absent metadata as NULL", async () => {
    const blogId = await newBlog();
    const r = await openEvent(t.db, {
      blogId,
      checkType: "http",
      severity: 3,
      state: State.SeemsDown,
      source: "",
    });
    const [tr] = await listTransitions(t.db, r.eventId);
    expect(tr).toMatchObject({ source: "local", metadata: null });
    expect((await getEvent(t.db, r.eventId))!.metadata).toBeNull();
    const [raw] = (await t.db.execute(
      sql`SELECT metadata IS NULL AS n FROM jetmon_events WHERE id = ${r.eventId}`,
    )) as unknown as [{ n: number }[]];
    expect(raw[0]!.n).toBe(1);
  });

  test.each([
    // Runtime guards for untyped callers: the values do not type-check.
    [{ checkType: "" }, "eventstore: Open requires CheckType"],
    [{ state: "" as State }, "eventstore: Open requires State"],
  ])("rejects invalid input %#", async (patch, message) => {
    const blogId = await newBlog();
    await expect(openEvent(t.db, { ...seemsDown(blogId), ...patch })).rejects.toThrow(message);
  });
});

describe("updateEvent", () => {
  test("promote Seems Down 3 -> Down 4 with verifier_confirmed; projects site_status 2", async () => {
    const blogId = await newBlog();
    const { eventId } = await openEvent(t.db, seemsDown(blogId), on);
    const meta = {
      verifier_results: [{ host: "v1", success: false, http_code: 500, rtt_ms: 40 }],
      verifier_confirmed: 1,
    };
    const r = await updateEvent(
      t.db,
      eventId,
      {
        severity: Severity.Down,
        state: State.Down,
        reason: Reason.VerifierConfirmed,
        source: "tester",
        metadata: meta,
      },
      on,
    );
    expect(r).toEqual({
      changed: true,
      transitionId: expect.any(Number),
      blogId,
      checkType: "http",
      severity: 4,
      state: "Down",
    });
    expect(await getEvent(t.db, eventId)).toMatchObject({ severity: 4, state: "Down", endedAt: null });
    const trs = await listTransitions(t.db, eventId);
    expect(trs[1]).toMatchObject({
      id: r.transitionId!,
      eventId,
      blogId,
      severityBefore: 3,
      severityAfter: 4,
      stateBefore: "Seems Down",
      stateAfter: "Down",
      reason: "verifier_confirmed",
      source: "tester",
      metadata: meta,
    });
    expect(await site(blogId)).toEqual({ status: 2, changed: atSeconds });
  });

  test("no change writes no transition, but the projection is re-asserted (reference §1.10)", async () => {
    const blogId = await newBlog();
    const { eventId } = await openEvent(t.db, seemsDown(blogId));
    await updateEvent(t.db, eventId, { severity: 4, state: "Down", reason: Reason.VerifierConfirmed });
    await t.db.update(sites).set({ siteStatus: 1 }).where(eq(sites.blogId, blogId));
    const before = await transitionCount();
    const r = await updateEvent(
      t.db,
      eventId,
      { severity: 4, state: "Down", reason: Reason.VerifierConfirmed },
      on,
    );
    expect(r).toMatchObject({ changed: false, transitionId: null, severity: 4, state: "Down" });
    expect(await transitionCount()).toBe(before);
    expect(await site(blogId)).toEqual({ status: 2, changed: atSeconds });
  });

  test("severity only: state_after carries the current state", async () => {
    const blogId = await newBlog();
    const { eventId } = await openEvent(t.db, {
      blogId,
      checkType: CheckType.TlsExpiry,
      severity: 1,
      state: "Warning",
    });
    await updateEvent(t.db, eventId, { severity: 2, reason: Reason.SeverityEscalation });
    const trs = await listTransitions(t.db, eventId);
    expect(trs[1]).toMatchObject({
      severityBefore: 1,
      severityAfter: 2,
      stateBefore: "Warning",
      stateAfter: "Warning",
    });
  });

  test("state only: severity_after carries the current severity", async () => {
    const blogId = await newBlog();
    const { eventId } = await openEvent(t.db, seemsDown(blogId));
    await updateEvent(t.db, eventId, { state: State.Unknown, reason: Reason.StateChange });
    const trs = await listTransitions(t.db, eventId);
    expect(trs[1]).toMatchObject({
      severityBefore: 3,
      severityAfter: 3,
      stateBefore: "Seems Down",
      stateAfter: "Unknown",
    });
  });

  test("a tls_expiry event never projects, even with the projection on", async () => {
    const blogId = await newBlog();
    const { eventId } = await openEvent(
      t.db,
      { blogId, checkType: CheckType.TlsExpiry, severity: 1, state: "Warning" },
      on,
    );
    await updateEvent(
      t.db,
      eventId,
      { severity: 2, state: "Degraded", reason: Reason.SeverityEscalation },
      on,
    );
    await closeEvent(t.db, eventId, { reason: ResolutionReason.VerifierCleared }, on);
    expect(await site(blogId)).toEqual({ status: 1, changed: earlier });
  });

  test.each([
    [{ reason: Reason.StateChange }, "eventstore: mutate requires severityAfter or stateAfter"],
    [
      { state: "" as State, reason: Reason.StateChange },
      "eventstore: mutate requires severityAfter or stateAfter",
    ],
    [{ severity: Severity.Down, reason: "" as Reason }, "eventstore: mutate requires reason"],
  ])("rejects invalid change %#", async (change, message) => {
    await expect(updateEvent(t.db, 1, change)).rejects.toThrow(message);
  });

  test("a missing event is EventNotFoundError; a closed one EventClosedError", async () => {
    await expect(
      updateEvent(t.db, 99_999_999, { severity: Severity.Down, reason: "x" as Reason }),
    ).rejects.toBeInstanceOf(EventNotFoundError);
    const blogId = await newBlog();
    const { eventId } = await openEvent(t.db, seemsDown(blogId));
    await closeEvent(t.db, eventId, { reason: ResolutionReason.ProbeCleared });
    const err = await updateEvent(t.db, eventId, { severity: Severity.Down, reason: "x" as Reason }).catch(
      (e) => e,
    );
    expect(err).toBeInstanceOf(EventClosedError);
    expect(err.message).toBe("eventstore: event is closed");
  });
});

describe("closeEvent", () => {
  test("sets ended_at and resolution_reason, writes the Resolved transition, projects 1, frees the identity", async () => {
    const blogId = await newBlog();
    const { eventId } = await openEvent(t.db, seemsDown(blogId), on);
    await updateEvent(t.db, eventId, { severity: 4, state: "Down", reason: Reason.VerifierConfirmed }, on);
    const r = await closeEvent(
      t.db,
      eventId,
      { reason: ResolutionReason.VerifierCleared, source: "tester" },
      on,
    );
    expect(r).toEqual({
      transitionId: expect.any(Number),
      blogId,
      checkType: "http",
      severity: 4,
      state: "Down",
    });
    const ev = (await getEvent(t.db, eventId))!;
    expect(ev).toMatchObject({ severity: 4, state: "Down", resolutionReason: "verifier_cleared" });
    expect(ev.endedAt).toBeInstanceOf(Date);
    const [row] = await t.db.select({ k: events.dedupKey }).from(events).where(eq(events.id, eventId));
    expect(row!.k).toBeNull();
    const trs = await listTransitions(t.db, eventId);
    expect(trs.map((x) => x.reason)).toEqual(["opened", "verifier_confirmed", "verifier_cleared"]);
    expect(trs[2]).toMatchObject({
      severityBefore: 4,
      severityAfter: null,
      stateBefore: "Down",
      stateAfter: "Resolved",
      source: "tester",
      metadata: null,
    });
    expect(await site(blogId)).toEqual({ status: 1, changed: atSeconds });

    const reopened = await openEvent(t.db, seemsDown(blogId));
    expect(reopened.opened).toBe(true);
    expect(reopened.eventId).not.toBe(eventId);
  });

  test("false_alarm carries its metadata", async () => {
    const blogId = await newBlog();
    const { eventId } = await openEvent(t.db, seemsDown(blogId));
    const meta = { verifier_quorum: 2, verifier_healthy: 2, verifier_disagreed: 2, verifier_confirmed: 0 };
    await closeEvent(t.db, eventId, { reason: ResolutionReason.FalseAlarm, metadata: meta });
    expect((await listTransitions(t.db, eventId))[1]).toMatchObject({
      reason: "false_alarm",
      metadata: meta,
    });
  });

  test("closing twice is EventClosedError; an empty reason is refused", async () => {
    const blogId = await newBlog();
    const { eventId } = await openEvent(t.db, seemsDown(blogId));
    await closeEvent(t.db, eventId, { reason: ResolutionReason.ProbeCleared });
    await expect(closeEvent(t.db, eventId, { reason: ResolutionReason.ProbeCleared })).rejects.toBeInstanceOf(
      EventClosedError,
    );
    await expect(closeEvent(t.db, eventId, { reason: "" as never })).rejects.toThrow(
      "eventstore: Close requires resolutionReason",
    );
    await expect(closeEvent(t.db, 99_999_999, { reason: ResolutionReason.ProbeCleared })).rejects.toThrow(
      "eventstore: event not found",
    );
  });
});

describe("linkCause", () => {
  test("link, no-op relink, unlink: transitions keep severity/state and carry before/after", async () => {
    const blogId = await newBlog();
    const { eventId } = await openEvent(t.db, seemsDown(blogId));
    await updateEvent(t.db, eventId, { severity: 4, state: "Down", reason: Reason.VerifierConfirmed });
    expect(await linkCause(t.db, eventId, 123, "tester")).toBe(true);
    expect(await linkCause(t.db, eventId, 123, "tester")).toBe(false);
    expect((await getEvent(t.db, eventId))!.causeEventId).toBe(123);
    expect(await linkCause(t.db, eventId, 0)).toBe(true);
    expect((await getEvent(t.db, eventId))!.causeEventId).toBeNull();
    expect(await linkCause(t.db, eventId, null)).toBe(false);
    const trs = await listTransitions(t.db, eventId);
    expect(trs.slice(2)).toMatchObject([
      {
        severityBefore: 4,
        severityAfter: 4,
        stateBefore: "Down",
        stateAfter: "Down",
        reason: "cause_linked",
        source: "tester",
        metadata: { cause_event_id_before: null, cause_event_id_after: 123 },
      },
      {
        reason: "cause_unlinked",
        source: "local",
        metadata: { cause_event_id_before: 123, cause_event_id_after: null },
      },
    ]);
  });
});

describe("atomicity: a failure anywhere leaves nothing half written", () => {
  beforeAll(async () => {
    // Real failures injected inside MariaDB: the transition insert fails for source 'fail-me',
    // the projection fails for blog 999999.
    await t.pool.query(
      `CREATE TRIGGER fail_transition BEFORE INSERT ON jetmon_event_transitions FOR EACH ROW
       BEGIN IF NEW.source = 'fail-me' THEN SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'injected transition failure'; END IF; END`,
    );
    await t.pool.query(
      `CREATE TRIGGER fail_projection BEFORE UPDATE ON jetpack_monitor_sites FOR EACH ROW
       BEGIN IF NEW.blog_id = 999999 THEN SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'injected projection failure'; END IF; END`,
    );
    await t.db.insert(sites).values({ blogId: 999999, monitorActive: 1, lastStatusChange: earlier });
  });
  let blogId: number;
  /** The error must be the injected one, not some other failure. */
  async function expectInjected(p: Promise<unknown>, what: "transition" | "projection") {
    const err = await p.then(
      () => null,
      (e: unknown) => e as Error & { cause?: unknown },
    );
    expect(err).not.toBeNull();
    expect(String(err!.cause ?? err)).toContain(`injected ${what} failure`);
  }
  beforeEach(async () => {
    blogId = await newBlog();
  });

  test("open: transition insert fails -> no event row", async () => {
    await expectInjected(openEvent(t.db, seemsDown(blogId, "fail-me"), on), "transition");
    expect(await t.db.select().from(events).where(eq(events.blogId, blogId))).toEqual([]);
    expect(await site(blogId)).toEqual({ status: 1, changed: earlier });
  });

  test("update: transition insert fails -> event row unchanged, no projection", async () => {
    const { eventId } = await openEvent(t.db, seemsDown(blogId), on);
    const before = await transitionCount();
    await expectInjected(
      updateEvent(
        t.db,
        eventId,
        { severity: 4, state: "Down", reason: Reason.VerifierConfirmed, source: "fail-me" },
        on,
      ),
      "transition",
    );
    expect(await getEvent(t.db, eventId)).toMatchObject({ severity: 3, state: "Seems Down", endedAt: null });
    expect(await transitionCount()).toBe(before);
    expect((await site(blogId)).status).toBe(0);
  });

  test("close: transition insert fails -> the event stays open", async () => {
    const { eventId } = await openEvent(t.db, seemsDown(blogId));
    await expectInjected(
      closeEvent(t.db, eventId, { reason: ResolutionReason.ProbeCleared, source: "fail-me" }, on),
      "transition",
    );
    expect(await getEvent(t.db, eventId)).toMatchObject({ endedAt: null, resolutionReason: null });
    expect(await site(blogId)).toEqual({ status: 1, changed: earlier });
  });

  test("projection fails -> event and transition rolled back", async () => {
    const { eventId } = await openEvent(t.db, seemsDown(999999));
    const before = await transitionCount();
    await expectInjected(
      updateEvent(t.db, eventId, { severity: 4, state: "Down", reason: Reason.VerifierConfirmed }, on),
      "projection",
    );
    expect(await getEvent(t.db, eventId)).toMatchObject({ severity: 3, state: "Seems Down" });
    expect(await transitionCount()).toBe(before);
    await expectInjected(
      closeEvent(t.db, eventId, { reason: ResolutionReason.ProbeCleared }, on),
      "projection",
    );
    expect((await getEvent(t.db, eventId))!.endedAt).toBeNull();
  });

  test("inside a caller's transaction, a later failure rolls the event back too", async () => {
    await expect(
      t.db.transaction(async (tx) => {
        await openEvent(tx, seemsDown(blogId), on);
        throw new Error("caller failed after the open");
      }),
    ).rejects.toThrow("caller failed after the open");
    expect(await t.db.select().from(events).where(eq(events.blogId, blogId))).toEqual([]);
    expect((await site(blogId)).status).toBe(1);
  });
});
