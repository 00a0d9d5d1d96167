import { describe, expect, it } from "bun:test";
import { createDashboardApp } from "../../src/dashboard/app.ts";
import { DashboardHub } from "../../src/dashboard/hub.ts";
import { silentLogger } from "../../src/log.ts";
import { useTestDatabase } from "../support/db.ts";

const t = useTestDatabase();

function app(withFleet: boolean) {
  return createDashboardApp({
    getState: () => null,
    getHealth: () => null,
    events: new DashboardHub(),
    log: silentLogger,
    ...(withFleet ? { fleet: { db: t.db, options: { bucketTotal: 1000, heartbeatGraceSec: 600 } } } : {}),
  });
}

describe("host dashboard serves the fleet dashboard", () => {
  it("links the host page to /fleet and serves the fleet page and JSON", async () => {
    const a = app(true);
    expect(await (await a.handle(new Request("http://localhost/"))).text()).toContain('<a href="/fleet">');
    const page = await a.handle(new Request("http://localhost/fleet"));
    expect(page.status).toBe(200);
    expect(page.headers.get("cache-control")).toBe("no-store");
    expect(await page.text()).toContain('href="/"');
    const api = await a.handle(new Request("http://localhost/api/fleet"));
    expect(api.status).toBe(200);
    const body = (await api.json()) as { summary: { status: string } };
    expect(["green", "amber", "red"]).toContain(body.summary.status);
  });

  it("rejects writes to the fleet paths with 405 and keeps unknown paths 404", async () => {
    const a = app(true);
    const post = await a.handle(new Request("http://localhost/api/fleet", { method: "POST" }));
    expect(post.status).toBe(405);
    expect(post.headers.get("allow")).toBe("GET, HEAD");
    expect((await a.handle(new Request("http://localhost/fleet/x"))).status).toBe(404);
  });

  it("without the fleet option the fleet paths are 404", async () => {
    expect((await app(false).handle(new Request("http://localhost/api/fleet"))).status).toBe(404);
  });
});
