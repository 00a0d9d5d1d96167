import { describe, expect, test } from "bun:test";
import { delivererSnapshot, mysqlHealth, statsdHealth } from "../../src/delivery/heartbeat.ts";
import { useTestDatabase } from "../support/db.ts";

const t = useTestDatabase();
const now = () => Date.UTC(2026, 3, 30, 10, 1, 0);
const green = [{ name: "mysql", status: "green", checked_at: "2026-04-30T10:01:00Z" }];
const snap = (o: Partial<Parameters<typeof delivererSnapshot>[0]>) =>
  delivererSnapshot({
    host: "deliverer-1",
    startedAt: now() - 60_000,
    now: now(),
    workersEnabled: true,
    ownerRaw: "deliverer-1",
    deps: green,
    ...o,
  });

describe("deliverer heartbeat", () => {
  test("owner matched, workers on, mysql green: a green deliverer row", () => {
    const s = snap({});
    expect(s).toMatchObject({
      process_id: "deliverer-1:deliverer",
      host_id: "deliverer-1",
      process_type: "deliverer",
      state: "running",
      health_status: "green",
      delivery_workers_enabled: true,
      delivery_owner_host: "deliverer-1",
      bucket_min: null,
      api_port: null,
      dashboard_port: null,
      bucket_ownership: "",
    });
    expect(s.dependency_health).toHaveLength(1);
  });
  test("workers with no owner are amber; an idle non-owner is green", () => {
    expect(snap({ ownerRaw: "" }).health_status).toBe("amber");
    expect(snap({ workersEnabled: false, ownerRaw: "other" })).toMatchObject({
      state: "idle",
      health_status: "green",
    });
  });
  test("a reloaded owner that no longer matches the running workers is amber", () => {
    expect(snap({ ownerRaw: "other" }).health_status).toBe("amber");
    expect(snap({ workersEnabled: false, ownerRaw: "deliverer-1" }).health_status).toBe("amber");
  });
  test("red dependencies win", () => {
    expect(snap({ deps: [{ name: "mysql", status: "red", checked_at: "x" }] }).health_status).toBe("red");
  });
  test("ping OK and statsd not ready: mysql green, statsd amber", async () => {
    const deps = [await mysqlHealth(t.db, now), statsdHealth(true, false, now)];
    expect(deps.map((d) => [d.name, d.status, d.last_error])).toEqual([
      ["mysql", "green", undefined],
      ["statsd", "amber", "statsd client is not initialized"],
    ]);
    expect(deps[0]!.checked_at).toBe("2026-04-30T10:01:00Z");
  });
  test("STATSD_ADDR empty is disabled, not amber, and the snapshot stays green", () => {
    const d = statsdHealth(false, false, now);
    expect([d.name, d.status, d.last_error]).toEqual([
      "statsd",
      "disabled",
      'STATSD_ADDR is "" (StatsD off)',
    ]);
    expect(statsdHealth(true, true, now).status).toBe("green");
    expect(snap({ deps: [{ name: "mysql", status: "green", checked_at: "x" }, d] }).health_status).toBe(
      "green",
    );
  });
  test("mysql down or missing is red with the error", async () => {
    const broken = { execute: () => Promise.reject(new Error("connect ECONNREFUSED")) };
    expect(await mysqlHealth(broken as never, now)).toMatchObject({
      name: "mysql",
      status: "red",
      last_error: "connect ECONNREFUSED",
    });
    expect(await mysqlHealth(null, now)).toMatchObject({
      status: "red",
      last_error: "database pool is not initialized",
    });
    const hung = { execute: () => new Promise(() => {}) };
    expect(await mysqlHealth(hung as never, now, 50)).toMatchObject({
      status: "red",
      last_error: "ping timed out after 50ms",
    });
  });
});
