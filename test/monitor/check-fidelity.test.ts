/**
 * Issue 12 in process: forbidden content, truncated bodies and deprecated TLS through the real
 * orchestrator, event store and fixture, plus the advisory rule as a table. The compiled-binary
 * versions of these live in test/cli/check-fidelity.test.ts.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { sql } from "drizzle-orm";
import { CheckError } from "../../src/check/errors.ts";
import type { CheckResult } from "../../src/check/types.ts";
import { forbiddenRules, loadSites } from "../../src/monitor/sites.ts";
import { type TlsAdvice, tlsDeprecatedAdvice } from "../../src/monitor/tls-deprecated.ts";
import { useTestDatabase } from "../support/db.ts";
import { type SiteFixture, startSiteFixture } from "../support/sites.ts";
import { buildOrchestrator } from "./harness.ts";
import {
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

beforeAll(async () => {
  sites = await startSiteFixture({ addresses: 1 });
  wpcom = startWpcomReceiver();
});
afterAll(async () => {
  wpcom.stop();
  await sites.stop();
});

async function metadataOf(blogId: number, checkType: string): Promise<Record<string, unknown>> {
  const [r] = await rows<{ metadata: unknown }>(
    t.db,
    sql`SELECT metadata FROM jetmon_events WHERE blog_id = ${blogId} AND check_type = ${checkType} ORDER BY id DESC LIMIT 1`,
  );
  const m = r?.metadata;
  return (typeof m === "string" ? JSON.parse(m) : m) as Record<string, unknown>;
}

describe("tlsDeprecatedAdvice", () => {
  const cases: Array<[boolean, string | undefined, TlsAdvice]> = [
    [false, "TLSv1", "open"],
    [false, "TLSv1.1", "open"],
    [true, "TLSv1.1", "none"],
    [true, "TLSv1.2", "close"],
    [true, "TLSv1.3", "close"],
    [false, "TLSv1.3", "none"],
    // No negotiated version (connect failure, plain HTTP): says nothing either way.
    [true, undefined, "none"],
    [false, undefined, "none"],
  ];
  for (const [open, version, want] of cases) {
    test(`open=${open} version=${version} -> ${want}`, () => {
      expect(tlsDeprecatedAdvice(open, { tlsVersion: version })).toBe(want);
    });
  }
});

describe("forbiddenRules", () => {
  test.each([
    [null, null, []],
    ["hacked", null, ["hacked"]],
    ["", '["a","b"]', ["a", "b"]],
    ["a", ["a", "b", "", 7, null, "c"], ["a", "b", "c"]],
    ["x", "not json", ["x"]],
    [null, '{"a":1}', []],
  ] as const)("forbidden_keyword=%p forbidden_keywords=%p -> %p", (single, list, want) => {
    expect(forbiddenRules(single, list)).toEqual([...want]);
  });
});

describe("through the orchestrator", () => {
  test("forbidden content opens an http event with the Keyword code and the matched rule", async () => {
    await clearTables(t.db);
    sites.set("fk-one", { kind: "ok", body: "<p>shop</p><b>HACKED BY crew</b>" });
    sites.set("fk-list", { kind: "ok", body: "<p>shop</p><a href=//casino.example>win</a>" });
    sites.set("fk-clean", { kind: "ok", body: "<p>shop</p>" });
    await seedSites(t.db, [
      { blogId: 81, url: sites.url("fk-one") },
      { blogId: 82, url: sites.url("fk-list") },
      { blogId: 83, url: sites.url("fk-clean") },
    ]);
    await t.db.execute(
      sql`UPDATE jetpack_monitor_sites SET forbidden_keyword = 'HACKED BY' WHERE blog_id = 81`,
    );
    await t.db.execute(
      sql`UPDATE jetpack_monitor_sites SET forbidden_keywords = '["ransom", "casino.example"]' WHERE blog_id IN (82, 83)`,
    );
    const [loaded] = await loadSites(t.db, { min: 2, max: 2 });
    expect(loaded?.settings.forbidden).toEqual(["ransom", "casino.example"]);
    const h = buildOrchestrator(t.db, { wpcomUrl: wpcom.url, config: { NUM_OF_CHECKS: 3 } });
    await h.orch.start();
    try {
      await waitFor("both events", async () => (await eventOf(t.db, 81)) && (await eventOf(t.db, 82)));
      expect(await metadataOf(81, "http")).toMatchObject({
        error_code: CheckError.Keyword,
        http_code: 200,
        forbidden_keyword: "HACKED BY",
        error_detail: "forbidden keyword found",
      });
      expect(await metadataOf(82, "http")).toMatchObject({
        error_code: CheckError.Keyword,
        forbidden_keyword: "casino.example",
      });
      expect(await eventOf(t.db, 83)).toBeUndefined();
      await h.orch.flush();
      const history = await rows<{ blog_id: number; error_code: number; request_method: string }>(
        t.db,
        sql`SELECT blog_id, error_code, request_method FROM jetmon_check_history WHERE blog_id IN (81, 83) ORDER BY id`,
      );
      expect(history.find((r) => r.blog_id === 81)).toMatchObject({ error_code: 5, request_method: "GET" });
      expect(history.find((r) => r.blog_id === 83)).toMatchObject({ error_code: 0, request_method: "GET" });
    } finally {
      await h.orch.drain(Date.now() + 5000);
    }
  }, 20_000);

  test("a truncated body opens an http event whose metadata says TruncatedBody with the 200", async () => {
    await clearTables(t.db);
    sites.set("cut", { kind: "short", body: "<html>".padEnd(100, "x"), short: 50 });
    await seedSites(t.db, [{ blogId: 91, url: sites.url("cut") }]);
    const h = buildOrchestrator(t.db, { wpcomUrl: wpcom.url, config: { NUM_OF_CHECKS: 3 } });
    await h.orch.start();
    try {
      await waitFor("event", () => eventOf(t.db, 91));
      expect(await metadataOf(91, "http")).toMatchObject({
        error_code: CheckError.TruncatedBody,
        http_code: 200,
        error_detail: "ECONNRESET",
      });
    } finally {
      await h.orch.drain(Date.now() + 5000);
    }
  }, 20_000);

  test("deprecated TLS: a Warning advisory that is never downtime and closes at TLS 1.2+", async () => {
    await clearTables(t.db);
    await seedSites(t.db, [{ blogId: 95, url: "https://127.0.0.1:1/s/old" }]);
    const h = buildOrchestrator(t.db, { wpcomUrl: wpcom.url, config: { NUM_OF_CHECKS: 1 } });
    const [site] = await loadSites(t.db, { min: 5, max: 5 });
    const result = (tlsVersion: string, cipher: string): CheckResult => ({
      blogId: 95,
      url: site!.url,
      httpCode: 200,
      errorCode: tlsVersion === "TLSv1.1" ? CheckError.TLSDeprecated : CheckError.None,
      success: true,
      rttMs: 5,
      dnsMs: 0,
      tcpMs: 0,
      tlsMs: 0,
      ttfbMs: 0,
      sslExpiry: new Date(Date.now() + 300 * 86_400_000),
      tlsVersion,
      tlsCipher: cipher,
      checkedAt: new Date(),
    });
    const before = wpcom.received.length;
    expect(await h.orch.incidents.handle(site!, result("TLSv1.1", "ECDHE-RSA-AES128-SHA"))).toEqual({
      retrySoon: false,
    });
    const ev = (await eventOf(t.db, 95, "tls_deprecated"))!;
    expect(ev).toMatchObject({ state: "Warning", severity: 1, ended_at: null });
    expect(await metadataOf(95, "tls_deprecated")).toMatchObject({
      tls_version: "TLSv1.1",
      tls_cipher: "ECDHE-RSA-AES128-SHA",
    });
    await h.orch.incidents.handle(site!, result("TLSv1.1", "ECDHE-RSA-AES128-SHA"));
    expect(await transitionsOf(t.db, ev.id)).toEqual(["opened:Warning"]);
    // Never downtime: no http event, no retry, legacy status untouched, nothing to WPCOM.
    expect(await eventOf(t.db, 95, "http")).toBeUndefined();
    expect(h.orch.incidents.retries.size).toBe(0);
    expect(await siteStatusOf(t.db, 95)).toBe(1);
    expect(wpcom.received.length).toBe(before);

    await h.orch.incidents.handle(site!, result("TLSv1.3", "TLS_AES_128_GCM_SHA256"));
    const closed = (await eventOf(t.db, 95, "tls_deprecated"))!;
    expect(closed.ended_at).not.toBeNull();
    expect(closed.resolution_reason).toBe("probe_cleared");
    expect(await transitionsOf(t.db, ev.id)).toEqual(["opened:Warning", "probe_cleared:Resolved"]);
    await h.orch.incidents.handle(site!, result("TLSv1.3", "TLS_AES_128_GCM_SHA256"));
    const [n] = await rows<{ n: number }>(
      t.db,
      sql`SELECT COUNT(*) AS n FROM jetmon_events WHERE blog_id = 95`,
    );
    expect(Number(n!.n)).toBe(1);
  });
});
