import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { sql } from "drizzle-orm";
import type { CheckResult } from "../../src/check/types.ts";
import { loadSites } from "../../src/monitor/sites.ts";
import { useTestDatabase } from "../support/db.ts";
import { type SiteFixture, startSiteFixture } from "../support/sites.ts";
import { buildOrchestrator } from "./harness.ts";
import {
  auditTypes,
  clearTables,
  eventOf,
  rows,
  seedSites,
  startWpcomReceiver,
  transitionsOf,
  type WpcomReceiver,
  waitFor,
} from "./support.ts";

const t = useTestDatabase();
let sites: SiteFixture;
let wpcom: WpcomReceiver;

beforeAll(async () => {
  sites = await startSiteFixture({ addresses: 1 });
  wpcom = startWpcomReceiver();
});
afterAll(async () => {
  wpcom.stop();
  await sites.stop();
});

describe("WPCOM circuit", () => {
  test("opens while WPCOM fails, queues the notification once, delivers it after recovery", async () => {
    await clearTables(t.db);
    wpcom.respondWith(500);
    sites.set("circ", { kind: "status", status: 500 });
    await seedSites(t.db, [{ blogId: 61, url: sites.url("circ") }]);
    const h = buildOrchestrator(t.db, {
      wpcomUrl: wpcom.url,
      config: { NUM_OF_CHECKS: 1 },
      halfOpenAfterMs: 800,
      timings: { wpcomFlushMs: 100 },
    });
    await h.orch.start();
    try {
      await waitFor("circuit open", () => h.orch.figures().wpcomCircuitOpen);
      const f = h.orch.figures();
      expect(f.wpcomQueueDepth).toBe(1);
      expect(await auditTypes(t.db, 61)).toContain("wpcom_retry");
      wpcom.respondWith(200);
      await waitFor("delivered", () => wpcom.received.some((n) => n.blog_id === 61));
      await waitFor(
        "circuit closed",
        () => !h.orch.figures().wpcomCircuitOpen && h.orch.figures().wpcomQueueDepth === 0,
      );
      await Bun.sleep(500);
      expect(wpcom.received.filter((n) => n.blog_id === 61)).toHaveLength(1);
      await waitFor("last alert recorded", async () => {
        const [r] = await rows<{ at: unknown }>(
          t.db,
          sql`SELECT last_alert_sent_at AS at FROM jetpack_monitor_sites WHERE blog_id = 61`,
        );
        return r?.at !== null;
      });
      expect(h.metrics.count("wpcom.notification.delivered.count")).toBe(1);
      expect(h.metrics.count("wpcom.notification.queued.count")).toBe(1);
    } finally {
      wpcom.respondWith(200);
      await h.drain();
    }
  }, 20_000);
});

describe("TLS expiry events", () => {
  test("open Warning, escalate to Degraded, close when renewed; only tier changes write", async () => {
    await clearTables(t.db);
    await seedSites(t.db, [{ blogId: 71, url: "https://127.0.0.1:1/s/tls" }]);
    const h = buildOrchestrator(t.db, { wpcomUrl: wpcom.url });
    const [site] = await loadSites(t.db, { min: 0, max: 9 });
    const day = 86_400_000;
    const result = (days: number): CheckResult => ({
      blogId: 71,
      url: site!.url,
      httpCode: 200,
      errorCode: 0,
      success: true,
      rttMs: 5,
      dnsMs: 0,
      tcpMs: 0,
      tlsMs: 0,
      ttfbMs: 0,
      sslExpiry: new Date(Date.now() + days * day + 3600_000),
      checkedAt: new Date(),
    });
    await h.orch.incidents.handle(site!, result(20));
    const ev = (await eventOf(t.db, 71, "tls_expiry"))!;
    expect(ev).toMatchObject({ state: "Warning", severity: 1 });
    await h.orch.incidents.handle(site!, result(19));
    await h.orch.incidents.handle(site!, result(5));
    expect(await transitionsOf(t.db, ev.id)).toEqual(["opened:Warning", "severity_escalation:Degraded"]);
    await h.orch.incidents.handle(site!, result(90));
    expect((await eventOf(t.db, 71, "tls_expiry"))!.ended_at).not.toBeNull();
    expect(await transitionsOf(t.db, ev.id)).toHaveLength(3);
    await h.orch.incidents.handle(site!, result(91));
    const [n] = await rows<{ n: number }>(
      t.db,
      sql`SELECT COUNT(*) AS n FROM jetmon_events WHERE blog_id = 71`,
    );
    expect(Number(n!.n)).toBe(1);
    // The http side is untouched by TLS tiers.
    expect(await eventOf(t.db, 71, "http")).toBeUndefined();
  });
});
