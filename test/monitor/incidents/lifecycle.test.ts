/**
 * Each step of the incident lifecycle, driven directly: fabricated check results into an
 * Incidents with fake verifiers and WPCOM, a manual clock, and the real event store on MariaDB.
 * No sockets, no sleeps; each case names the step it proves (Go: orchestrator_test.go).
 */
import { describe, expect, test } from "bun:test";
import { sql } from "drizzle-orm";
import { CheckError } from "../../../src/check/errors.ts";
import { createDb } from "../../../src/db/client.ts";
import { createPool } from "../../../src/db/pool.ts";
import { closeEvent } from "../../../src/events/index.ts";
import { getEvent, listTransitions } from "../../../src/events/queries.ts";
import { utcMs } from "../../../src/monitor/sites.ts";
import { useTestDatabase } from "../../support/db.ts";
import { auditTypes, eventOf, rows, siteStatusOf, transitionsOf } from "../support.ts";
import { failTimes, failure, fakeVerifier, type Rig, rig, site, success, T0, type Vote } from "./fixture.ts";

const t = useTestDatabase();
let blog = 1000;
const nextBlog = () => ++blog;

const falsePositives = async (blogId: number) => {
  const [r] = await rows<{ n: number }>(
    t.db,
    sql`SELECT COUNT(*) AS n FROM jetmon_false_positives WHERE blog_id = ${blogId}`,
  );
  return Number(r?.n);
};

/** A database handle whose pool is closed: every statement fails as with MySQL away. */
async function brokenDb() {
  const pool = createPool({ ...t.settings });
  await pool.end();
  return createDb(pool);
}

/** Fails the site until it is confirmed Down (NUM_OF_CHECKS failures). */
async function confirmDown(r: Rig, blogId: number, over = {}) {
  const s = await site(t.db, blogId, over);
  await failTimes(r, s, r.cfg.NUM_OF_CHECKS);
  return s;
}

describe("failure path", () => {
  test("the first failure opens a Seems Down event, projects site_status 0 and asks for a retry", async () => {
    const r = rig(t.db);
    const s = await site(t.db, nextBlog());
    const out = await r.incidents.handle(s, failure(s, T0));
    expect(out.retrySoon).toBe(true);
    const ev = (await eventOf(t.db, s.blogId))!;
    expect(ev).toMatchObject({ state: "Seems Down", severity: 3, ended_at: null });
    expect(await transitionsOf(t.db, ev.id)).toEqual(["opened:Seems Down"]);
    expect(await siteStatusOf(t.db, s.blogId)).toBe(0);
    expect(await auditTypes(t.db, s.blogId)).toEqual(["retry_dispatched"]);
    expect(r.metrics.count("detection.failure.server.count")).toBe(1);
    expect(r.metrics.count("detection.seems_down.open.count")).toBe(1);
    expect(r.incidents.retries.get(s.blogId)?.failCount).toBe(1);
    expect(r.verifiers[0]!.requests).toHaveLength(0);
  });

  test("later failures below NUM_OF_CHECKS reuse the event and audit each retry", async () => {
    const r = rig(t.db);
    const s = await site(t.db, nextBlog());
    expect(await failTimes(r, s, 2)).toBe(true);
    const ev = (await eventOf(t.db, s.blogId))!;
    expect(await transitionsOf(t.db, ev.id)).toEqual(["opened:Seems Down"]);
    const [detail] = await rows<{ detail: string }>(
      t.db,
      sql`SELECT detail FROM jetmon_audit_log WHERE blog_id = ${s.blogId} ORDER BY id DESC LIMIT 1`,
    );
    expect(detail!.detail).toBe("retry 2 of 3");
    expect(r.metrics.count("detection.seems_down.open.count")).toBe(1);
    expect(r.verifiers[0]!.requests).toHaveLength(0);
  });

  test.each([
    ["HTTP 500", "server", 500, CheckError.None],
    ["HTTP 503", "server", 503, CheckError.None],
    ["HTTP 403", "blocked", 403, CheckError.None],
    ["HTTP 404", "client", 404, CheckError.None],
    ["a timeout", "intermittent", 0, CheckError.Timeout],
    ["a refused connection", "intermittent", 0, CheckError.Connect],
    ["a TLS failure", "https", 0, CheckError.SSL],
    ["a redirect refused by policy", "redirect", 302, CheckError.Redirect],
  ] as const)("a failure from %s counts as class %s", async (_what, cls, code, err) => {
    const r = rig(t.db);
    const s = await site(t.db, nextBlog());
    await r.incidents.handle(s, failure(s, T0, code, err));
    expect(r.metrics.count(`detection.failure.${cls}.count`)).toBe(1);
    expect(r.metrics.count(`detection.seems_down.open.${cls}.count`)).toBe(1);
  });

  test("an event already confirmed Down: further failures change nothing and send nothing", async () => {
    const r = rig(t.db);
    const s = await confirmDown(r, nextBlog());
    expect(r.wpcom.sent).toHaveLength(1);
    const ev = (await eventOf(t.db, s.blogId))!;
    const auditBefore = await auditTypes(t.db, s.blogId);
    for (let i = 0; i < 3; i++) {
      r.clock.now += 60_000;
      expect((await r.incidents.handle(s, failure(s, r.clock.now))).retrySoon).toBe(false);
    }
    expect(r.wpcom.sent).toHaveLength(1);
    expect(await transitionsOf(t.db, ev.id)).toEqual(["opened:Seems Down", "verifier_confirmed:Down"]);
    expect(await auditTypes(t.db, s.blogId)).toEqual(auditBefore);
    expect(r.incidents.retries.get(s.blogId)).toBeUndefined();
  });

  test("a Down event opened by another host is adopted: no retries, no escalation", async () => {
    const r = rig(t.db);
    const s = await site(t.db, nextBlog(), { siteStatus: 2 });
    await t.db.execute(
      sql`INSERT INTO jetmon_events (blog_id, check_type, severity, state) VALUES (${s.blogId}, 'http', 4, 'Down')`,
    );
    expect((await r.incidents.handle(s, failure(s, T0))).retrySoon).toBe(false);
    expect(r.incidents.retries.get(s.blogId)).toBeUndefined();
    expect(r.verifiers[0]!.requests).toHaveLength(0);
    expect(r.wpcom.sent).toHaveLength(0);
  });

  test("the event cannot be opened (MySQL away): retry soon, logged, nothing remembered", async () => {
    const db = await brokenDb();
    const r = rig(t.db);
    const broken = rig(db);
    const s = await site(t.db, nextBlog());
    expect((await broken.incidents.handle(s, failure(s, T0))).retrySoon).toBe(true);
    expect(broken.logs.msgs()).toContain("open seems-down event failed");
    expect(await eventOf(t.db, s.blogId)).toBeUndefined();
    // The healthy rig on the same site then opens it as usual.
    await r.incidents.handle(s, failure(s, T0));
    expect((await eventOf(t.db, s.blogId))?.state).toBe("Seems Down");
  });
});

describe("escalation and the vote", () => {
  test("NUM_OF_CHECKS failures escalate to every verifier with the site's request and the RPC headroom", async () => {
    const r = rig(t.db, { config: { NET_COMMS_TIMEOUT: 10 } });
    const s = await site(t.db, nextBlog(), { timeoutSeconds: 7 });
    await failTimes(r, s, 3);
    for (const v of r.verifiers) {
      expect(v.requests).toHaveLength(1);
      const { req, timeoutMs } = v.requests[0]!;
      expect(req).toMatchObject({ blogId: s.blogId, url: s.url, timeoutSeconds: 7 });
      expect(req.requestId).toMatch(/^[0-9a-f]{32}$/);
      expect(timeoutMs).toBe(7000 + 5000);
    }
    expect(r.verifiers[0]!.requests[0]!.req.requestId).toBe(r.verifiers[1]!.requests[0]!.req.requestId);
    expect(r.metrics.count("detection.verifier.escalation.count")).toBe(1);
    const audit = await rows<{ source: string; detail: string; metadata: string }>(
      t.db,
      sql`SELECT source, detail, metadata FROM jetmon_audit_log WHERE blog_id = ${s.blogId} AND event_type = 'veriflier_sent' ORDER BY id`,
    );
    expect(audit.map((a) => a.detail)).toEqual([
      "escalating to 2 verifliers",
      "veriflier reply",
      "veriflier reply",
    ]);
    expect(audit[0]!.source).toBe("test-host");
    expect(
      audit
        .slice(1)
        .map((a) => a.source)
        .sort(),
    ).toEqual(["v1.test:7803", "v2.test:7803"]);
  });

  test("two verifiers confirm: Down, projected, one downtime notification with every check", async () => {
    const r = rig(t.db);
    const s = await confirmDown(r, nextBlog());
    const ev = (await eventOf(t.db, s.blogId))!;
    expect(ev).toMatchObject({ state: "Down", severity: 4, ended_at: null });
    expect(await transitionsOf(t.db, ev.id)).toEqual(["opened:Seems Down", "verifier_confirmed:Down"]);
    expect(await siteStatusOf(t.db, s.blogId)).toBe(2);
    expect(r.wpcom.sent).toHaveLength(1);
    const n = r.wpcom.sent[0]!;
    expect(n).toMatchObject({ blog_id: s.blogId, status_id: 2, monitor_url: s.url, status_type: "server" });
    expect(n.checks.map((c) => `${c.type}:${c.host}:${c.status}:${c.code}`).sort()).toEqual([
      "1:test-host:0:500",
      "2:v1:0:500",
      "2:v2:0:500",
    ]);
    const audit = await auditTypes(t.db, s.blogId);
    expect(audit.filter((a) => a === "retry_dispatched")).toHaveLength(2);
    expect(audit.filter((a) => a === "veriflier_sent")).toHaveLength(3);
    expect(audit.filter((a) => a === "wpcom_sent")).toHaveLength(1);
    expect(r.metrics.count("detection.down.confirmed.count")).toBe(1);
    expect(r.metrics.count("detection.down.confirmed.server.count")).toBe(1);
    expect(r.metrics.count("detection.verifier.quorum_met.count")).toBe(1);
    expect(r.metrics.count("verifier.host.v1_test_7803.vote.confirm_down.count")).toBe(1);
    expect(r.metrics.count("wpcom.notification.attempt.count")).toBe(1);
    expect(r.metrics.gauges.get("detection.verifier.quorum.count")).toBe(2);
    expect(r.metrics.gauges.get("detection.verifier.healthy.count")).toBe(2);
    expect(r.incidents.retries.get(s.blogId)).toBeUndefined();
    expect(r.logs.msgs()).toContain("site confirmed down");
  });

  const votes: [string, Vote[], number, "Down" | "false_alarm" | "Seems Down"][] = [
    ["both up", ["up", "up"], 2, "false_alarm"],
    ["one of two down, limit 2", ["down", "up"], 2, "false_alarm"],
    ["one of two down, limit 1", ["down", "up"], 1, "Down"],
    ["one down, one unreachable, limit 2 (quorum shrinks to the healthy)", ["down", "error"], 2, "Down"],
    ["one up, one unreachable", ["up", "error"], 2, "false_alarm"],
    ["all unreachable", ["error", "error"], 2, "Seems Down"],
    ["three of three down, limit 3", ["down", "down", "down"], 3, "Down"],
    ["two of three down, limit 3", ["down", "down", "up"], 3, "false_alarm"],
  ];
  test.each(votes)("vote: %s", async (_what, vs, limit, want) => {
    const verifiers = vs.map((v, i) => fakeVerifier(`v${i + 1}`, v));
    const r = rig(t.db, { verifiers, config: { PEER_OFFLINE_LIMIT: limit } });
    const s = await confirmDown(r, nextBlog());
    const ev = (await eventOf(t.db, s.blogId))!;
    if (want === "false_alarm") expect(ev.resolution_reason).toBe("false_alarm");
    else expect(ev.state).toBe(want);
    expect(r.wpcom.sent).toHaveLength(want === "Down" ? 1 : 0);
    expect(r.metrics.count("verifier.rpc.error.count")).toBe(vs.filter((v) => v === "error").length);
    expect(r.metrics.count("verifier.rpc.success.count")).toBe(vs.filter((v) => v !== "error").length);
  });

  test("verifiers disagree: false alarm closes the event, records a false positive, notifies nobody", async () => {
    const r = rig(t.db, { verifiers: [fakeVerifier("v1", "up"), fakeVerifier("v2", "up")] });
    const s = await confirmDown(r, nextBlog());
    const ev = (await eventOf(t.db, s.blogId))!;
    expect(ev.resolution_reason).toBe("false_alarm");
    expect(ev.ended_at).not.toBeNull();
    expect(await transitionsOf(t.db, ev.id)).toEqual(["opened:Seems Down", "false_alarm:Resolved"]);
    expect(await falsePositives(s.blogId)).toBe(1);
    expect(await siteStatusOf(t.db, s.blogId)).toBe(1);
    expect(r.wpcom.sent).toHaveLength(0);
    expect(r.metrics.count("detection.verifier.false_alarm.count")).toBe(1);
    expect(r.metrics.count("detection.verifier.false_alarm.server.count")).toBe(1);
    expect(r.incidents.retries.get(s.blogId)).toBeUndefined();
    // The next failure starts a fresh incident.
    await r.incidents.handle(s, failure(s, r.clock.now + 60_000));
    const next = (await eventOf(t.db, s.blogId))!;
    expect(next.id).not.toBe(ev.id);
    expect(next.state).toBe("Seems Down");
  });

  test("every verifier unreachable: stays Seems Down, retried, no false positive, escalates again", async () => {
    const r = rig(t.db, { verifiers: [fakeVerifier("dead", "error")] });
    const s = await site(t.db, nextBlog());
    expect(await failTimes(r, s, 3)).toBe(true);
    const ev = (await eventOf(t.db, s.blogId))!;
    expect(ev.state).toBe("Seems Down");
    expect(ev.ended_at).toBeNull();
    expect(await falsePositives(s.blogId)).toBe(0);
    expect(r.logs.msgs()).toContain("no verifier answered, site stays seems down");
    expect(r.logs.msgs()).toContain("verifier check failed");
    await failTimes(r, s, 1);
    expect(r.metrics.count("verifier.rpc.error.count")).toBe(2);
    expect(r.wpcom.sent).toHaveLength(0);
  });

  test("no verifiers configured: confirmed at once after NUM_OF_CHECKS, only the local check reported", async () => {
    const r = rig(t.db, { verifiers: [], config: { NUM_OF_CHECKS: 2 } });
    const s = await confirmDown(r, nextBlog());
    expect((await eventOf(t.db, s.blogId))?.state).toBe("Down");
    expect(r.wpcom.sent).toHaveLength(1);
    expect(r.wpcom.sent[0]!.checks).toHaveLength(1);
    expect(r.metrics.count("detection.verifier.no_clients.count")).toBe(1);
    expect(await auditTypes(t.db, s.blogId)).not.toContain("veriflier_sent");
  });

  test("NUM_OF_CHECKS 1: the first failure escalates", async () => {
    const r = rig(t.db, { config: { NUM_OF_CHECKS: 1 } });
    const s = await site(t.db, nextBlog());
    expect((await r.incidents.handle(s, failure(s, T0))).retrySoon).toBe(false);
    expect((await eventOf(t.db, s.blogId))?.state).toBe("Down");
    expect(await auditTypes(t.db, s.blogId)).not.toContain("retry_dispatched");
  });

  test("the event was closed elsewhere before confirmation: forgotten, and the next failure opens a new one", async () => {
    const r = rig(t.db);
    const s = await site(t.db, nextBlog());
    await failTimes(r, s, 2);
    const ev = (await eventOf(t.db, s.blogId))!;
    await closeEvent(t.db, ev.id, { reason: "manual_override", source: "operator" });
    expect(await failTimes(r, s, 1)).toBe(true);
    expect(r.logs.msgs()).toContain("confirm down failed: event no longer open");
    expect(r.wpcom.sent).toHaveLength(0);
    await failTimes(r, s, 1);
    const next = (await eventOf(t.db, s.blogId))!;
    expect(next.id).not.toBe(ev.id);
    expect(next.state).toBe("Seems Down");
  });
});

describe("recovery", () => {
  test("a confirmed outage recovers: verifier_cleared, projection 1, one recovery notification", async () => {
    const r = rig(t.db);
    const s = await confirmDown(r, nextBlog());
    r.clock.now += 5000;
    expect((await r.incidents.handle(s, success(s, r.clock.now))).retrySoon).toBe(false);
    const ev = (await eventOf(t.db, s.blogId))!;
    expect(ev.resolution_reason).toBe("verifier_cleared");
    expect(await transitionsOf(t.db, ev.id)).toEqual([
      "opened:Seems Down",
      "verifier_confirmed:Down",
      "verifier_cleared:Resolved",
    ]);
    expect(await siteStatusOf(t.db, s.blogId)).toBe(1);
    expect(s.siteStatus).toBe(1);
    expect(r.wpcom.sent).toHaveLength(2);
    expect(r.wpcom.sent[1]).toMatchObject({ status_id: 1, status_type: "success" });
    expect(r.wpcom.sent[1]!.checks).toHaveLength(1);
    expect(r.logs.msgs()).toContain("site recovered");
  });

  test("Seems Down clears on a good check: probe_cleared, no notification", async () => {
    const r = rig(t.db);
    const s = await site(t.db, nextBlog());
    await failTimes(r, s, 2);
    await r.incidents.handle(s, success(s, r.clock.now + 1000));
    const ev = (await eventOf(t.db, s.blogId))!;
    expect(ev.resolution_reason).toBe("probe_cleared");
    expect(r.wpcom.sent).toHaveLength(0);
    expect(r.metrics.count("detection.probe_cleared.count")).toBe(1);
    expect(r.metrics.count("detection.probe_cleared.server.count")).toBe(1);
    expect(r.incidents.retries.size).toBe(0);
  });

  test("an open Down event from before a restart (seeded) is closed by the next success and notified", async () => {
    const r = rig(t.db);
    const s = await site(t.db, nextBlog(), { siteStatus: 2 });
    await t.db.execute(
      sql`INSERT INTO jetmon_events (blog_id, check_type, severity, state) VALUES (${s.blogId}, 'http', 4, 'Down')`,
    );
    const ev = (await eventOf(t.db, s.blogId))!;
    r.incidents.seed([{ blogId: s.blogId, id: ev.id, checkType: "http", severity: 4, state: "Down" }]);
    await r.incidents.handle(s, success(s, T0));
    expect((await eventOf(t.db, s.blogId))?.resolution_reason).toBe("verifier_cleared");
    expect(await siteStatusOf(t.db, s.blogId)).toBe(1);
    expect(r.wpcom.sent.map((n) => n.status_id)).toEqual([1]);
  });

  test("no incident but site_status says down: the projection is repaired to 1", async () => {
    const r = rig(t.db);
    const s = await site(t.db, nextBlog(), { siteStatus: 2 });
    await r.incidents.handle(s, success(s, T0));
    expect(await siteStatusOf(t.db, s.blogId)).toBe(1);
    expect(s.siteStatus).toBe(1);
    expect(await eventOf(t.db, s.blogId)).toBeUndefined();
  });

  test("projection off: events open, confirm and close while site_status stays untouched", async () => {
    const r = rig(t.db, { config: { LEGACY_STATUS_PROJECTION_ENABLE: false } });
    const s = await confirmDown(r, nextBlog());
    expect((await eventOf(t.db, s.blogId))?.state).toBe("Down");
    expect(await siteStatusOf(t.db, s.blogId)).toBe(1);
    await r.incidents.handle(s, success(s, r.clock.now + 1000));
    expect((await eventOf(t.db, s.blogId))?.resolution_reason).toBe("verifier_cleared");
    expect(await siteStatusOf(t.db, s.blogId)).toBe(1);
    expect(r.wpcom.sent.map((n) => n.status_id)).toEqual([2, 1]);
  });

  test("projection off and no incident: a stale site_status is left alone", async () => {
    const r = rig(t.db, { config: { LEGACY_STATUS_PROJECTION_ENABLE: false } });
    const s = await site(t.db, nextBlog(), { siteStatus: 2 });
    await r.incidents.handle(s, success(s, T0));
    expect(await siteStatusOf(t.db, s.blogId)).toBe(2);
  });

  test("the close fails (MySQL away): the event and the retry count are kept for the next success", async () => {
    const r = rig(t.db);
    const s = await site(t.db, nextBlog());
    await failTimes(r, s, 2);
    const ev = (await eventOf(t.db, s.blogId))!;
    const broken = rig(await brokenDb());
    broken.incidents.seed([
      { blogId: s.blogId, id: ev.id, checkType: "http", severity: 3, state: "Seems Down" },
    ]);
    broken.incidents.retries.record(s.blogId, s.url, {
      httpCode: 500,
      errorCode: 0,
      rttMs: 40,
      statusType: "server",
      timestamp: new Date(T0),
    });
    await broken.incidents.handle(s, success(s, T0 + 5000));
    expect(broken.logs.msgs()).toContain("close recovered event failed");
    expect(broken.incidents.retries.get(s.blogId)?.failCount).toBe(1);
    expect((await eventOf(t.db, s.blogId))?.ended_at).toBeNull();
  });
});

describe("notifications", () => {
  test("maintenance window: confirmed Down, the notification suppressed and audited", async () => {
    const r = rig(t.db);
    const s = await confirmDown(r, nextBlog(), {
      maintenanceStart: T0 - 3600_000,
      maintenanceEnd: T0 + 3600_000,
    });
    expect((await eventOf(t.db, s.blogId))?.state).toBe("Down");
    expect(r.wpcom.sent).toHaveLength(0);
    const [a] = await rows<{ detail: string }>(
      t.db,
      sql`SELECT detail FROM jetmon_audit_log WHERE blog_id = ${s.blogId} AND event_type = 'maintenance_active'`,
    );
    expect(a!.detail).toBe("downtime suppressed during maintenance");
    // The recovery inside the window is suppressed too.
    await r.incidents.handle(s, success(s, r.clock.now + 1000));
    expect(r.wpcom.sent).toHaveLength(0);
    expect((await auditTypes(t.db, s.blogId)).filter((x) => x === "maintenance_active")).toHaveLength(2);
  });

  test("a maintenance window that has ended does not suppress", async () => {
    const r = rig(t.db);
    await confirmDown(r, nextBlog(), {
      maintenanceStart: T0 - 7200_000,
      maintenanceEnd: T0 - 3600_000,
    });
    expect(r.wpcom.sent).toHaveLength(1);
  });

  const cooldowns: [string, number | null, number, number | null, boolean][] = [
    ["site cooldown 30 min, last alert 5 min ago", 30, 0, 5, true],
    ["site cooldown 30 min, last alert 45 min ago", 30, 0, 45, false],
    ["no site cooldown, ALERT_COOLDOWN_MINUTES 30, last alert 5 min ago", null, 30, 5, true],
    ["site cooldown 0 overrides ALERT_COOLDOWN_MINUTES 30", 0, 30, 5, false],
    ["cooldown 30 min, never alerted", 30, 0, null, false],
  ];
  test.each(cooldowns)("cooldown: %s", async (_what, siteMin, cfgMin, agoMin, suppressed) => {
    const r = rig(t.db, { config: { ALERT_COOLDOWN_MINUTES: cfgMin } });
    const s = await confirmDown(r, nextBlog(), {
      alertCooldownMinutes: siteMin,
      lastAlertSentAt: agoMin === null ? null : T0 - agoMin * 60_000,
    });
    expect((await eventOf(t.db, s.blogId))?.state).toBe("Down");
    expect(r.wpcom.sent).toHaveLength(suppressed ? 0 : 1);
    expect((await auditTypes(t.db, s.blogId)).includes("alert_suppressed")).toBe(suppressed);
  });

  test("a delivered alert is remembered and written: the next one inside the cooldown is suppressed", async () => {
    const r = rig(t.db, { config: { ALERT_COOLDOWN_MINUTES: 30 } });
    const s = await confirmDown(r, nextBlog());
    expect(r.wpcom.sent).toHaveLength(1);
    r.clock.now = T0 + 10_500;
    await r.incidents.alertDelivered(r.wpcom.sent[0]!);
    expect(r.metrics.count("wpcom.notification.delivered.count")).toBe(1);
    const [row] = await rows<{ at: Date | string | null }>(
      t.db,
      sql`SELECT last_alert_sent_at AS at FROM jetpack_monitor_sites WHERE blog_id = ${s.blogId}`,
    );
    expect(utcMs(row!.at)).toBe(T0 + 10_000);
    // The recovery a minute later falls inside the cooldown the delivery started.
    r.clock.now += 60_000;
    await r.incidents.handle(s, success(s, r.clock.now));
    expect(r.wpcom.sent).toHaveLength(1);
    expect(await auditTypes(t.db, s.blogId)).toContain("alert_suppressed");
  });

  test("WPCOM unavailable: the notification is queued, counted and audited as a retry", async () => {
    const r = rig(t.db);
    r.wpcom.outcome = "queued";
    const s = await confirmDown(r, nextBlog());
    expect(r.wpcom.sent).toHaveLength(1);
    expect(r.metrics.count("wpcom.notification.queued.count")).toBe(1);
    expect(await auditTypes(t.db, s.blogId)).toContain("wpcom_retry");
    expect(r.logs.msgs()).toContain("wpcom notification queued");
  });

  test("WPCOM refuses for good: the notification is counted as dropped", async () => {
    const r = rig(t.db);
    r.wpcom.outcome = "dropped";
    const s = await confirmDown(r, nextBlog());
    expect(r.metrics.count("wpcom.notification.dropped.count")).toBe(1);
    expect(r.metrics.count("wpcom.notification.failed.count")).toBe(1);
    expect(await auditTypes(t.db, s.blogId)).not.toContain("wpcom_retry");
  });
});

describe("TLS expiry", () => {
  const day = 86_400_000;
  test("a certificate moves through the tiers: warning, degraded, renewed (closed); same tier writes nothing", async () => {
    const r = rig(t.db);
    const s = await site(t.db, nextBlog());
    const tls = async () => eventOf(t.db, s.blogId, "tls_expiry");
    await r.incidents.handle(s, success(s, T0, new Date(T0 + 20 * day + 3600_000)));
    const warn = (await tls())!;
    expect(warn).toMatchObject({ state: "Warning", severity: 1 });
    await r.incidents.handle(s, success(s, T0, new Date(T0 + 19 * day + 3600_000)));
    expect(await transitionsOf(t.db, warn.id)).toEqual(["opened:Warning"]);
    // The check that moved the tier: a 503 with the certificate 5 days out.
    const degraded = { ...failure(s, T0, 503), sslExpiry: new Date(T0 + 5 * day + 3600_000) };
    await r.incidents.handle(s, degraded);
    expect((await tls())?.state).toBe("Degraded");
    // Metadata carries the codes of the check that opened (event) or moved (transition) it.
    expect((await getEvent(t.db, warn.id))?.metadata).toEqual({
      days_until: 20,
      expires_at: new Date(T0 + 20 * day + 3600_000).toISOString().replace(".000Z", "Z"),
      error_code: CheckError.None,
      http_code: 200,
    });
    expect((await listTransitions(t.db, warn.id))[1]?.metadata).toMatchObject({
      days_until: 5,
      error_code: CheckError.None,
      http_code: 503,
    });
    await r.incidents.handle(s, success(s, T0, new Date(T0 + 90 * day)));
    expect((await tls())?.ended_at).not.toBeNull();
    expect(await transitionsOf(t.db, warn.id)).toEqual([
      "opened:Warning",
      "severity_escalation:Degraded",
      "verifier_cleared:Resolved",
    ]);
    // TLS events never touch the legacy status nor WPCOM.
    expect(await siteStatusOf(t.db, s.blogId)).toBe(1);
    expect(r.wpcom.sent).toHaveLength(0);
    expect(r.logs.msgs().filter((m) => m === "tls expiry event")).toHaveLength(3);
  });

  test("a TLS event write that fails is logged and tried again at the next check", async () => {
    const broken = rig(await brokenDb());
    const r = rig(t.db);
    const s = await site(t.db, nextBlog());
    const soon = new Date(T0 + 3 * day);
    await broken.incidents.handle(s, success(s, T0, soon));
    expect(broken.logs.msgs()).toContain("tls expiry event failed");
    await r.incidents.handle(s, success(s, T0, soon));
    expect((await eventOf(t.db, s.blogId, "tls_expiry"))?.state).toBe("Degraded");
  });
});

describe("memory", () => {
  test("forget drops a blog this host no longer checks", async () => {
    const r = rig(t.db);
    const s = await site(t.db, nextBlog());
    await failTimes(r, s, 1);
    expect(r.incidents.retries.size).toBe(1);
    r.incidents.forget(s.blogId);
    expect(r.incidents.retries.size).toBe(0);
    // Without memory of the event a success leaves it open: the host that seeds it closes it.
    await r.incidents.handle(s, success(s, T0 + 5000));
    expect((await eventOf(t.db, s.blogId))?.ended_at).toBeNull();
  });
});
