/**
 * The forbidden-content site fields over the API: rendered on get/list/create/patch, validated
 * at the boundary with named 422s (nothing written), stored in jetpack_monitor_sites, and
 * enforced by the monitor's check (Keyword). Also: a Go-migrated database without the columns.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { sql } from "drizzle-orm";
import { createKey } from "../../src/api/keys.ts";
import { createApiApp } from "../../src/api/server.ts";
import { MAX_FORBIDDEN_LENGTH } from "../../src/api/sites.ts";
import { checkSite } from "../../src/check/check.ts";
import { CheckError } from "../../src/check/errors.ts";
import { probeOptionalColumns } from "../../src/db/schema-state.ts";
import { run, selectRows } from "../../src/db/sql.ts";
import { silentLogger } from "../../src/log.ts";
import { checkRequestFor, loadSites, MAX_FORBIDDEN_RULES } from "../../src/monitor/sites.ts";
import { useTestDatabase } from "../support/db.ts";
import { type SiteFixture, startSiteFixture } from "../support/sites.ts";

const t = useTestDatabase();
let app: ReturnType<typeof createApiApp>["app"];
let write: string;
let fixture: SiteFixture;

beforeAll(async () => {
  app = createApiApp({ db: t.db, log: silentLogger }).app;
  write = (await createKey(t.db, { consumerName: "w", scope: "write", rateLimitPerMinute: 10_000 })).token;
  fixture = await startSiteFixture({ addresses: 1 });
  fixture.set("shop", { kind: "ok", body: "Welcome to the shop. Warning: Fatal error in plugin" });
  fixture.set("clean", { kind: "ok", body: "Welcome to the shop." });
});
afterAll(async () => fixture?.stop());

async function call(method: string, path: string, body?: unknown, via = app) {
  const res = await via.handle(
    new Request(`http://api.test${path}`, {
      method,
      headers: { authorization: `Bearer ${write}`, "content-type": "application/json" },
      body: body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body),
    }),
  );
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null };
}

const stored = async (blogId: number) =>
  (
    await selectRows<{ forbidden_keyword: string | null; forbidden_keywords: unknown }>(
      t.db,
      sql`SELECT forbidden_keyword, forbidden_keywords FROM jetpack_monitor_sites WHERE blog_id = ${blogId}`,
    )
  )[0];

const long = "x".repeat(MAX_FORBIDDEN_LENGTH + 1);
const many = (n: number) => Array.from({ length: n }, (_, i) => `rule-${i}`);

describe("forbidden_keyword and forbidden_keywords", () => {
  test("create, get, list and patch carry them; the columns hold them", async () => {
    const c = await call("POST", "/api/v1/sites", {
      blog_id: 500,
      monitor_url: fixture.url("shop"),
      check_keyword: "Welcome",
      forbidden_keyword: "Fatal error",
      forbidden_keywords: ["Database error", "hacked by"],
    });
    expect(c.status).toBe(201);
    expect(c.body).toMatchObject({
      forbidden_keyword: "Fatal error",
      forbidden_keywords: ["Database error", "hacked by"],
    });
    expect(await stored(500)).toMatchObject({ forbidden_keyword: "Fatal error" });
    const list = (await stored(500))!.forbidden_keywords;
    expect(typeof list === "string" ? JSON.parse(list) : list).toEqual(["Database error", "hacked by"]);
    const g = await call("GET", "/api/v1/sites/500");
    expect(g.body.forbidden_keywords).toEqual(["Database error", "hacked by"]);
    const l = await call("GET", "/api/v1/sites");
    expect(l.body.data.find((s: { blog_id: number }) => s.blog_id === 500).forbidden_keyword).toBe(
      "Fatal error",
    );
    const p = await call("PATCH", "/api/v1/sites/500", { forbidden_keywords: ["only this"] });
    expect(p.body).toMatchObject({ forbidden_keyword: "Fatal error", forbidden_keywords: ["only this"] });
  });

  test("a site without them renders null and []", async () => {
    const c = await call("POST", "/api/v1/sites", { blog_id: 501, monitor_url: fixture.url("clean") });
    expect(c.body).toMatchObject({ forbidden_keyword: null, forbidden_keywords: [] });
    expect(await stored(501)).toEqual({ forbidden_keyword: null, forbidden_keywords: null });
  });

  test("null and [] clear them", async () => {
    await call("PATCH", "/api/v1/sites/501", { forbidden_keyword: "a", forbidden_keywords: ["b"] });
    const p = await call("PATCH", "/api/v1/sites/501", { forbidden_keyword: null, forbidden_keywords: [] });
    expect(p.body).toMatchObject({ forbidden_keyword: null, forbidden_keywords: [] });
    expect(await stored(501)).toEqual({ forbidden_keyword: null, forbidden_keywords: null });
    await call("PATCH", "/api/v1/sites/501", { forbidden_keywords: ["b"] });
    await call("PATCH", "/api/v1/sites/501", { forbidden_keywords: null });
    expect((await stored(501))!.forbidden_keywords).toBeNull();
  });

  test.each([
    [{ forbidden_keyword: 5 }, "forbidden_keyword"],
    [{ forbidden_keyword: "" }, "forbidden_keyword"],
    [{ forbidden_keyword: long }, "forbidden_keyword"],
    [{ forbidden_keyword: ["a"] }, "forbidden_keyword"],
    [{ forbidden_keywords: "a" }, "forbidden_keywords"],
    [{ forbidden_keywords: [1] }, "forbidden_keywords"],
    [{ forbidden_keywords: [""] }, "forbidden_keywords"],
    [{ forbidden_keywords: [long] }, "forbidden_keywords"],
    [{ forbidden_keywords: many(MAX_FORBIDDEN_RULES + 1) }, "forbidden_keywords"],
    [{ forbidden_keywords: ["a", "a"] }, "forbidden_keywords"],
    [{ forbidden_keywords: { a: 1 } }, "forbidden_keywords"],
    [{ forbidden_keywords: [null] }, "forbidden_keywords"],
  ])("%j -> 422 invalid_field naming the field; nothing written", async (fields, field) => {
    const create = await call("POST", "/api/v1/sites", {
      blog_id: 510,
      monitor_url: fixture.url("clean"),
      ...fields,
    });
    expect([create.status, create.body.error.code]).toEqual([422, "invalid_field"]);
    expect(create.body.error.message).toStartWith(`${field} must be null or `);
    expect(await stored(510)).toBeUndefined();
    const before = await stored(500);
    const patch = await call("PATCH", "/api/v1/sites/500", fields);
    expect([patch.status, patch.body.error.code]).toEqual([422, "invalid_field"]);
    expect(await stored(500)).toEqual(before);
  });

  test("at most 50 distinct rules across both fields", async () => {
    const r = await call("POST", "/api/v1/sites", {
      blog_id: 511,
      monitor_url: fixture.url("clean"),
      forbidden_keyword: "single",
      forbidden_keywords: many(MAX_FORBIDDEN_RULES),
    });
    expect([r.status, r.body.error.code]).toEqual([422, "invalid_field"]);
    expect(await stored(511)).toBeUndefined();
    // The single rule repeated in the list is one rule.
    const ok = await call("POST", "/api/v1/sites", {
      blog_id: 511,
      monitor_url: fixture.url("clean"),
      forbidden_keyword: "rule-0",
      forbidden_keywords: many(MAX_FORBIDDEN_RULES),
    });
    expect(ok.status).toBe(201);
    // A patch is checked against what the row keeps.
    const p = await call("PATCH", "/api/v1/sites/511", { forbidden_keyword: "another" });
    expect([p.status, p.body.error.code]).toEqual([422, "invalid_field"]);
    expect((await stored(511))!.forbidden_keyword).toBe("rule-0");
  });

  test("a site created over the API with a forbidden keyword fails the monitor's check with Keyword", async () => {
    const c = await call("POST", "/api/v1/sites", {
      blog_id: 520,
      monitor_url: fixture.url("shop"),
      check_keyword: "Welcome",
      forbidden_keyword: "Fatal error",
    });
    expect(c.status).toBe(201);
    const [site] = (await loadSites(t.db, { min: 0, max: 0 }, await probeOptionalColumns(t.db))).filter(
      (s) => s.blogId === 520,
    );
    expect(site!.settings.forbidden).toEqual(["Fatal error"]);
    const res = await checkSite(checkRequestFor(site!, 10));
    expect(res.success).toBe(false);
    expect(res.errorCode).toBe(CheckError.Keyword);
    expect(res.forbiddenMatch).toBe("Fatal error");
    // The same page without a forbidden rule passes: the rule is what fails it.
    await call("PATCH", "/api/v1/sites/520", { forbidden_keyword: null });
    const [again] = (await loadSites(t.db, { min: 0, max: 0 })).filter((s) => s.blogId === 520);
    expect((await checkSite(checkRequestFor(again!, 10))).success).toBe(true);
    // A list entry fails it too.
    await call("PATCH", "/api/v1/sites/520", { forbidden_keywords: ["nope", "in plugin"] });
    const [third] = (await loadSites(t.db, { min: 0, max: 0 })).filter((s) => s.blogId === 520);
    expect((await checkSite(checkRequestFor(third!, 10))).forbiddenMatch).toBe("in plugin");
  });

  test("trigger-now applies the forbidden rules", async () => {
    await call("PATCH", "/api/v1/sites/520", { forbidden_keyword: "Fatal error" });
    const r = await call("POST", "/api/v1/sites/520/trigger-now");
    expect(r.status).toBe(200);
    expect(r.body.result).toMatchObject({
      success: false,
      http_code: 200,
      error_code: CheckError.Keyword,
      forbidden_keyword: "Fatal error",
    });
  });
});

describe("a Go-migrated database without the forbidden columns", () => {
  test("sites still render (null, []), and setting the fields is 422 naming the migration", async () => {
    await run(
      t.db,
      sql`ALTER TABLE jetpack_monitor_sites DROP COLUMN forbidden_keyword, DROP COLUMN forbidden_keywords`,
    );
    const fresh = createApiApp({ db: t.db, log: silentLogger }).app;
    const g = await call("GET", "/api/v1/sites/500", undefined, fresh);
    expect(g.status).toBe(200);
    expect(g.body).toMatchObject({ forbidden_keyword: null, forbidden_keywords: [] });
    expect((await call("GET", "/api/v1/sites", undefined, fresh)).status).toBe(200);
    const c = await call(
      "POST",
      "/api/v1/sites",
      { blog_id: 530, monitor_url: fixture.url("clean"), forbidden_keyword: "x" },
      fresh,
    );
    expect([c.status, c.body.error.code]).toEqual([422, "invalid_field"]);
    expect(c.body.error.message).toContain("jetmon2 migrate");
    const ok = await call(
      "POST",
      "/api/v1/sites",
      { blog_id: 530, monitor_url: fixture.url("clean") },
      fresh,
    );
    expect(ok.status).toBe(201);
  });
});
