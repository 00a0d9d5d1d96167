/**
 * The incident lifecycle end to end: MariaDB, fixture sites, two real veriflier servers and a
 * WPCOM receiver, all on 127.0.0.1, with a monitor running in-process at 1 s intervals.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { sql } from "drizzle-orm";
import { checkSite } from "../../src/check/check.ts";
import type { Verifier as VerifierConfig } from "../../src/config/schema.ts";
import { silentLogger } from "../../src/log.ts";
import { verifierFromConfig } from "../../src/monitor/verifiers.ts";
import { createVeriflierServer, type VeriflierServer } from "../../src/veriflier/server.ts";
import { useTestDatabase } from "../support/db.ts";
import { type SiteFixture, startSiteFixture } from "../support/sites.ts";
import { buildOrchestrator } from "./harness.ts";
import {
  auditTypes,
  clearTables,
  eventOf,
  rows,
  seedSites,
  siteStatusOf,
  startWpcomReceiver,
  transitionsOf,
  type WpcomReceiver,
  waitFor,
} from "./support.ts";

const t = useTestDatabase();
let sites: SiteFixture;
let wpcom: WpcomReceiver;
const servers: VeriflierServer[] = [];
const verifierConfigs: VerifierConfig[] = [];

beforeAll(async () => {
  sites = await startSiteFixture({ addresses: 2 });
  wpcom = startWpcomReceiver();
  for (const name of ["v1", "v2"]) {
    const server = createVeriflierServer({
      token: `tok-${name}`,
      port: 0,
      hostname: "127.0.0.1",
      checkConcurrency: 8,
      reportedHost: name,
      logger: silentLogger,
      // A real check, except that sites named "fa*" look fine from the verifiers' side.
      checkSite: async (req) => {
        const r = await checkSite(req);
        return req.url.includes("/s/fa") ? { ...r, success: true, httpCode: 200, errorCode: 0 } : r;
      },
    });
    servers.push(server);
    verifierConfigs.push({ name, host: "127.0.0.1", port: server.port, auth_token: `tok-${name}` });
  }
});

afterAll(async () => {
  wpcom.stop();
  await Promise.all(servers.map((s) => s.stop(100)));
  await sites.stop();
});

const notificationsFor = (blogId: number) => wpcom.received.filter((n) => n.blog_id === blogId);

describe("incident lifecycle", () => {
  test("down, retried, confirmed by two verifiers, one notification, recovery, projection; false alarm; maintenance; cooldown", async () => {
    await clearTables(t.db);
    sites.set("down", { kind: "status", status: 500 });
    sites.set("fa", { kind: "status", status: 503 });
    sites.set("maint", { kind: "status", status: 500 });
    sites.set("cool", { kind: "status", status: 500 });
    const now = Date.now();
    await seedSites(t.db, [
      { blogId: 11, url: sites.url("down") },
      { blogId: 12, url: sites.url("fa") },
      {
        blogId: 13,
        url: sites.url("maint"),
        maintenanceStart: new Date(now - 3600_000),
        maintenanceEnd: new Date(now + 3600_000),
      },
      {
        blogId: 14,
        url: sites.url("cool"),
        alertCooldownMinutes: 30,
        lastAlertSentAt: new Date(now - 5 * 60_000),
      },
    ]);
    const h = buildOrchestrator(t.db, {
      wpcomUrl: wpcom.url,
      verifiers: verifierConfigs.map(verifierFromConfig),
      config: { PEER_OFFLINE_LIMIT: 2, NUM_OF_CHECKS: 3, LEGACY_STATUS_PROJECTION_ENABLE: true },
    });
    await h.orch.start();
    try {
      // Down: three local failures, two verifiers agree, WPCOM told once.
      const down = await waitFor("down notification", () => notificationsFor(11)[0], { timeoutMs: 15_000 });
      expect(down.status_id).toBe(2);
      expect(down.monitor_url).toBe(sites.url("down"));
      expect(down.status_type).toBe("server");
      expect(down.checks.map((c) => `${c.type}:${c.host}:${c.status}:${c.code}`).sort()).toEqual([
        "1:test-host:0:500",
        "2:v1:0:500",
        "2:v2:0:500",
      ]);
      expect(wpcom.authHeaders[0]).toBe("Bearer test-token");
      const ev = (await eventOf(t.db, 11))!;
      expect(ev).toMatchObject({ state: "Down", severity: 4, ended_at: null });
      expect(await transitionsOf(t.db, ev.id)).toEqual(["opened:Seems Down", "verifier_confirmed:Down"]);
      expect(await siteStatusOf(t.db, 11)).toBe(2);
      const audit = await auditTypes(t.db, 11);
      expect(audit.filter((a) => a === "retry_dispatched")).toHaveLength(2);
      expect(audit.filter((a) => a === "veriflier_sent")).toHaveLength(3);
      expect(audit.filter((a) => a === "wpcom_sent")).toHaveLength(1);
      expect(h.metrics.count("detection.down.confirmed.count")).toBeGreaterThanOrEqual(1);
      expect(
        h.metrics.count("verifier.host.127_0_0_1_" + verifierConfigs[0]!.port + ".vote.confirm_down.count"),
      ).toBeGreaterThanOrEqual(1);

      // False alarm: the verifiers see "fa" up.
      await waitFor(
        "false alarm closed",
        async () => (await eventOf(t.db, 12))?.resolution_reason === "false_alarm",
      );
      const fa = (await eventOf(t.db, 12))!;
      expect(await transitionsOf(t.db, fa.id)).toEqual(["opened:Seems Down", "false_alarm:Resolved"]);
      const [fp] = await rows<{ n: number }>(
        t.db,
        sql`SELECT COUNT(*) AS n FROM jetmon_false_positives WHERE blog_id = 12`,
      );
      expect(Number(fp!.n)).toBeGreaterThanOrEqual(1);
      expect(h.metrics.count("detection.verifier.false_alarm.count")).toBeGreaterThanOrEqual(1);

      // Maintenance: confirmed Down, notification suppressed and audited.
      await waitFor("maintenance site down", async () => (await eventOf(t.db, 13))?.state === "Down");
      await waitFor("maintenance audited", async () =>
        (await auditTypes(t.db, 13)).includes("maintenance_active"),
      );
      // Cooldown: confirmed Down, notification suppressed and audited.
      await waitFor("cooldown site down", async () => (await eventOf(t.db, 14))?.state === "Down");
      await waitFor("cooldown audited", async () =>
        (await auditTypes(t.db, 14)).includes("alert_suppressed"),
      );

      // A persisting outage sends nothing more (each step: test/monitor/incidents/lifecycle.test.ts):
      // wait for two more failed checks of every site rather than for a span of time.
      const failures = h.metrics.count("detection.failure.server.count");
      await waitFor(
        "two more rounds of failures",
        () => h.metrics.count("detection.failure.server.count") >= failures + 8,
      );
      expect(notificationsFor(11)).toHaveLength(1);
      expect(notificationsFor(12)).toHaveLength(0);
      expect(notificationsFor(13)).toHaveLength(0);
      expect(notificationsFor(14)).toHaveLength(0);

      // Recovery: closed from the open event, WPCOM told "running", projection back to 1.
      sites.set("down", { kind: "ok" });
      const up = await waitFor("recovery notification", () => notificationsFor(11)[1]);
      expect(up.status_id).toBe(1);
      expect(up.status_type).toBe("success");
      const closed = (await eventOf(t.db, 11))!;
      expect(closed.resolution_reason).toBe("verifier_cleared");
      expect(await transitionsOf(t.db, closed.id)).toEqual([
        "opened:Seems Down",
        "verifier_confirmed:Down",
        "verifier_cleared:Resolved",
      ]);
      expect(await siteStatusOf(t.db, 11)).toBe(1);
      const [alert] = await rows<{ at: Date | null }>(
        t.db,
        sql`SELECT last_alert_sent_at AS at FROM jetpack_monitor_sites WHERE blog_id = 11`,
      );
      expect(alert!.at).not.toBeNull();
      expect(h.orch.figures().retryQueueSize).toBeLessThanOrEqual(1);
    } finally {
      await h.drain();
    }
  }, 40_000);

  test("projection off: events still open, confirm and close; site_status untouched", async () => {
    await clearTables(t.db);
    sites.set("noproj", { kind: "status", status: 500 });
    await seedSites(t.db, [{ blogId: 21, url: sites.url("noproj") }]);
    const h = buildOrchestrator(t.db, {
      wpcomUrl: wpcom.url,
      verifiers: verifierConfigs.map(verifierFromConfig),
      config: { LEGACY_STATUS_PROJECTION_ENABLE: false, NUM_OF_CHECKS: 2 },
    });
    await h.orch.start();
    try {
      await waitFor("down", async () => (await eventOf(t.db, 21))?.state === "Down");
      expect(await siteStatusOf(t.db, 21)).toBe(1);
      sites.set("noproj", { kind: "ok" });
      await waitFor(
        "closed",
        async () => (await eventOf(t.db, 21))?.resolution_reason === "verifier_cleared",
      );
      expect(await siteStatusOf(t.db, 21)).toBe(1);
      await waitFor("recovery sent", () => notificationsFor(21).some((n) => n.status_id === 1));
    } finally {
      await h.drain();
    }
  }, 20_000);

  test("no verifiers configured: confirmed at once after NUM_OF_CHECKS", async () => {
    await clearTables(t.db);
    sites.set("nover", { kind: "status", status: 502 });
    await seedSites(t.db, [{ blogId: 31, url: sites.url("nover") }]);
    const h = buildOrchestrator(t.db, { wpcomUrl: wpcom.url, verifiers: [], config: { NUM_OF_CHECKS: 2 } });
    await h.orch.start();
    try {
      await waitFor("down", async () => (await eventOf(t.db, 31))?.state === "Down");
      const n = await waitFor("notified", () => notificationsFor(31)[0]);
      expect(n.checks).toHaveLength(1);
      expect(h.metrics.count("detection.verifier.no_clients.count")).toBe(1);
    } finally {
      await h.drain();
    }
  }, 20_000);

  test("every verifier unreachable: the site stays Seems Down, no false positive", async () => {
    await clearTables(t.db);
    sites.set("unver", { kind: "status", status: 500 });
    await seedSites(t.db, [{ blogId: 41, url: sites.url("unver") }]);
    const dead = verifierFromConfig({ name: "dead", host: "127.0.0.1", port: 9, auth_token: "x" });
    const h = buildOrchestrator(t.db, {
      wpcomUrl: wpcom.url,
      verifiers: [dead],
      config: { NUM_OF_CHECKS: 2 },
    });
    await h.orch.start();
    try {
      await waitFor("escalated twice", () => h.metrics.count("verifier.rpc.error.count") >= 2);
      const ev = (await eventOf(t.db, 41))!;
      expect(ev.state).toBe("Seems Down");
      expect(ev.ended_at).toBeNull();
      const [fp] = await rows<{ n: number }>(
        t.db,
        sql`SELECT COUNT(*) AS n FROM jetmon_false_positives WHERE blog_id = 41`,
      );
      expect(Number(fp!.n)).toBe(0);
      expect(notificationsFor(41)).toHaveLength(0);
      // The local probe clears it.
      sites.set("unver", { kind: "ok" });
      await waitFor(
        "probe cleared",
        async () => (await eventOf(t.db, 41))?.resolution_reason === "probe_cleared",
      );
      expect(notificationsFor(41)).toHaveLength(0);
    } finally {
      await h.drain();
    }
  }, 20_000);

  test("an open Down event from before a restart is closed by the next success", async () => {
    await clearTables(t.db);
    sites.set("restart", { kind: "ok" });
    await seedSites(t.db, [{ blogId: 51, url: sites.url("restart"), siteStatus: 2 }]);
    await t.db.execute(
      sql`INSERT INTO jetmon_events (blog_id, check_type, severity, state) VALUES (51, 'http', 4, 'Down')`,
    );
    const h = buildOrchestrator(t.db, { wpcomUrl: wpcom.url });
    await h.orch.start();
    try {
      await waitFor(
        "closed",
        async () => (await eventOf(t.db, 51))?.resolution_reason === "verifier_cleared",
      );
      expect(await siteStatusOf(t.db, 51)).toBe(1);
      await waitFor("recovery sent", () => notificationsFor(51).some((n) => n.status_id === 1));
    } finally {
      await h.drain();
    }
  }, 20_000);
});
