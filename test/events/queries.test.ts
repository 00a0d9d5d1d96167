import { expect, test } from "bun:test";
import { findOpenEvent, getEvent, openEventsForBlogs } from "../../src/events/queries.ts";
import { closeEvent, openEvent } from "../../src/events/store.ts";
import { CheckType, ResolutionReason, Severity, State } from "../../src/events/vocabulary.ts";
import { useTestDatabase } from "../support/db.ts";

const t = useTestDatabase();

const http = (blogId: number, discriminator?: string) => ({
  blogId,
  checkType: CheckType.Http,
  severity: Severity.SeemsDown,
  state: State.SeemsDown,
  discriminator,
});

test("findOpenEvent: the oldest open event of the type; closed and other types ignored; null when none", async () => {
  expect(await findOpenEvent(t.db, 90042, "http")).toBeNull();
  const closed = await openEvent(t.db, http(90042));
  await closeEvent(t.db, closed.eventId, { reason: ResolutionReason.ProbeCleared });
  await openEvent(t.db, { blogId: 90042, checkType: CheckType.TlsExpiry, severity: 1, state: State.Warning });
  const first = await openEvent(t.db, http(90042, "a"));
  await openEvent(t.db, http(90042, "b"));
  const found = await findOpenEvent(t.db, 90042, "http");
  expect(found).toEqual({
    id: first.eventId,
    blogId: 90042,
    endpointId: null,
    checkType: "http",
    discriminator: "a",
    severity: 3,
    state: "Seems Down",
    startedAt: expect.any(Date),
  });
  expect((await findOpenEvent(t.db, 90042, "tls_expiry"))?.state).toBe("Warning");
  expect(await findOpenEvent(t.db, 90043, "http")).toBeNull();
});

test("openEventsForBlogs: many blogs in chunks, ordered by blog, only open, optional type filter", async () => {
  const withEvents = [5003, 100, 2500, 7];
  for (const b of withEvents) await openEvent(t.db, http(b));
  await openEvent(t.db, { blogId: 100, checkType: CheckType.TlsExpiry, severity: 2, state: State.Degraded });
  const gone = await openEvent(t.db, http(2501));
  await closeEvent(t.db, gone.eventId, { reason: ResolutionReason.FalseAlarm });

  // 6,000 ids: several chunks, duplicates tolerated.
  const ids = [...Array.from({ length: 6000 }, (_, i) => i + 1), 100, 7];
  const all = await openEventsForBlogs(t.db, ids);
  expect(all.map((e) => [e.blogId, e.checkType])).toEqual([
    [7, "http"],
    [100, "http"],
    [100, "tls_expiry"],
    [2500, "http"],
    [5003, "http"],
  ]);
  const httpOnly = await openEventsForBlogs(t.db, ids, "http");
  expect(httpOnly.map((e) => e.blogId)).toEqual([7, 100, 2500, 5003]);
  expect(await openEventsForBlogs(t.db, [])).toEqual([]);
});

test("getEvent returns a closed event with its resolution, null for a missing id", async () => {
  const { eventId } = await openEvent(t.db, http(900));
  await closeEvent(t.db, eventId, { reason: ResolutionReason.ManualOverride });
  expect(await getEvent(t.db, eventId)).toMatchObject({
    id: eventId,
    blogId: 900,
    resolutionReason: "manual_override",
    endedAt: expect.any(Date),
    causeEventId: null,
  });
  expect(await getEvent(t.db, 123_456_789)).toBeNull();
});
