import { describe, expect, test } from "bun:test";
import { sql } from "drizzle-orm";
import type { SnapshotInput } from "../../src/fleethealth/snapshot.ts";
import { listSnapshots, markStopped, upsertSnapshot } from "../../src/fleethealth/store.ts";
import { useTestDatabase } from "../support/db.ts";

const t = useTestDatabase();

async function rawRow(id: string): Promise<Record<string, unknown> | undefined> {
  const [rows] = await t.pool.query(
    "SELECT *, CAST(dependency_health AS CHAR) AS deps_text FROM jetmon_process_health WHERE process_id = ?",
    [id],
  );
  return (rows as Record<string, unknown>[])[0];
}

async function presentRow(id: string): Promise<Record<string, unknown>> {
  const row = await rawRow(id);
  if (row === undefined) throw new Error(`no jetmon_process_health row ${id}`);
  return row;
}

const monitor: SnapshotInput = {
  host_id: "host-a",
  process_type: "monitor",
  pid: 123,
  version: "abc123",
  build_date: "2026-04-30T10:00:00Z",
  go_version: "bun 1.4.5",
  state: "running",
  health_status: "green",
  started_at: new Date("2026-04-30T10:00:00Z"),
  updated_at: new Date("2026-04-30T10:01:00Z"),
  bucket_min: 0,
  bucket_max: 99,
  bucket_ownership: "pinned range=0-99",
  api_port: 8090,
  dashboard_port: 8080,
  delivery_workers_enabled: true,
  delivery_owner_host: "host-a",
  worker_count: 12,
  active_checks: 3,
  queue_depth: 4,
  retry_queue_size: 5,
  wpcom_circuit_open: false,
  wpcom_queue_depth: 2,
  go_sys_mem_mb: 88,
  rss_mem_mb: 99,
  dependency_health: [{ name: "mysql", status: "green", checked_at: "2026-04-30T10:01:00Z" }],
};

describe("upsertSnapshot", () => {
  test("writes every column (reference TestUpsertSnapshot)", async () => {
    await upsertSnapshot(t.db, monitor);
    const r = await presentRow("host-a:monitor");
    expect(r).toMatchObject({
      process_id: "host-a:monitor",
      host_id: "host-a",
      process_type: "monitor",
      pid: 123,
      version: "abc123",
      build_date: "2026-04-30T10:00:00Z",
      go_version: "bun 1.4.5",
      state: "running",
      health_status: "green",
      bucket_min: 0,
      bucket_max: 99,
      bucket_ownership: "pinned range=0-99",
      api_port: 8090,
      dashboard_port: 8080,
      delivery_workers_enabled: 1,
      delivery_owner_host: "host-a",
      worker_count: 12,
      active_checks: 3,
      queue_depth: 4,
      retry_queue_size: 5,
      wpcom_circuit_open: 0,
      wpcom_queue_depth: 2,
      go_sys_mem_mb: 88,
      rss_mem_mb: 99,
    });
    expect((r.started_at as Date).toISOString()).toBe("2026-04-30T10:00:00.000Z");
    expect((r.updated_at as Date).toISOString()).toBe("2026-04-30T10:01:00.000Z");
    expect(JSON.parse(r.deps_text as string)).toEqual([
      { name: "mysql", status: "green", checked_at: "2026-04-30T10:01:00Z" },
    ]);
  });

  test("a second write replaces the row and keeps created_at", async () => {
    const before = await presentRow("host-a:monitor");
    await upsertSnapshot(t.db, {
      ...monitor,
      worker_count: 7,
      bucket_min: null,
      api_port: null,
      state: "idle",
    });
    const after = await presentRow("host-a:monitor");
    expect(after.worker_count).toBe(7);
    expect(after.bucket_min).toBeNull();
    expect(after.api_port).toBeNull();
    expect(after.state).toBe("idle");
    expect((after.created_at as Date).getTime()).toBe((before.created_at as Date).getTime());
  });

  test("nil db", async () => {
    await expect(upsertSnapshot(null, monitor)).rejects.toThrow("database pool is not initialized");
  });

  test("validation happens before any SQL", async () => {
    await expect(upsertSnapshot(t.db, { process_type: "monitor" })).rejects.toThrow("host id is required");
    await expect(upsertSnapshot(t.db, { ...monitor, host_id: "bad", state: "starting" })).rejects.toThrow(
      'invalid process state "starting"',
    );
    await expect(upsertSnapshot(t.db, { ...monitor, host_id: "bad", health_status: "blue" })).rejects.toThrow(
      'invalid health status "blue"',
    );
    expect(await rawRow("bad:monitor")).toBeUndefined();
  });

  test("an exec failure is wrapped", async () => {
    await expect(upsertSnapshot(t.db, { ...monitor, host_id: "x".repeat(300) })).rejects.toThrow(
      /^upsert process health: /,
    );
  });
});

describe("markStopped", () => {
  test("sets stopped/amber at the given time (reference TestMarkStopped)", async () => {
    await upsertSnapshot(t.db, { host_id: "host-a", process_type: "deliverer", health_status: "green" });
    await markStopped(t.db, " host-a:deliverer ", Date.parse("2026-04-30T10:02:00Z"));
    const r = await presentRow("host-a:deliverer");
    expect(r.state).toBe("stopped");
    expect(r.health_status).toBe("amber");
    expect((r.updated_at as Date).toISOString()).toBe("2026-04-30T10:02:00.000Z");
  });

  test("a missing row is a silent no-op", async () => {
    await markStopped(t.db, "nobody:monitor");
    expect(await rawRow("nobody:monitor")).toBeUndefined();
  });

  test("errors", async () => {
    await expect(markStopped(null, "a:b")).rejects.toThrow("database pool is not initialized");
    await expect(markStopped(t.db, "  ")).rejects.toThrow("process id is required");
  });
});

describe("listSnapshots", () => {
  test("round-trips, ordered by type, host, id (reference TestListSnapshots)", async () => {
    await upsertSnapshot(t.db, {
      ...monitor,
      host_id: "host-b",
      health_status: "amber",
      wpcom_circuit_open: true,
    });
    const all = await listSnapshots(t.db);
    expect(all.map((s) => s.process_id)).toEqual(["host-a:deliverer", "host-a:monitor", "host-b:monitor"]);
    const b = all[2];
    expect(b?.health_status).toBe("amber");
    expect(b?.bucket_min).toBe(0);
    expect(b?.api_port).toBe(8090);
    expect(b?.delivery_workers_enabled).toBe(true);
    expect(b?.wpcom_circuit_open).toBe(true);
    expect(b?.go_sys_mem_mb).toBe(88);
    expect(b?.rss_mem_mb).toBe(99);
    expect(b?.dependency_health).toEqual([
      { name: "mysql", status: "green", checked_at: "2026-04-30T10:01:00Z" },
    ]);
    expect(b?.started_at?.toISOString()).toBe("2026-04-30T10:00:00.000Z");
    expect(b?.created_at).toBeInstanceOf(Date);
    expect(all[0]?.dependency_health).toEqual([]);
  });

  test("NULL and JSON null dependency columns decode as empty; NULL started_at stays null", async () => {
    await t.db.execute(
      sql`UPDATE jetmon_process_health SET dependency_health = NULL, started_at = NULL WHERE process_id = 'host-a:deliverer'`,
    );
    await t.db.execute(
      sql`UPDATE jetmon_process_health SET dependency_health = 'null' WHERE process_id = 'host-a:monitor'`,
    );
    const all = await listSnapshots(t.db);
    expect(all[0]?.dependency_health).toEqual([]);
    expect(all[0]?.started_at).toBeNull();
    expect(all[1]?.dependency_health).toEqual([]);
  });

  test("a malformed dependency column names the process", async () => {
    await t.db.execute(
      sql`UPDATE jetmon_process_health SET dependency_health = '[{"name":1}]' WHERE process_id = 'host-b:monitor'`,
    );
    await expect(listSnapshots(t.db)).rejects.toThrow(/^decode dependency health for host-b:monitor: /);
  });

  test("query errors are wrapped; nil db", async () => {
    await expect(listSnapshots(null)).rejects.toThrow("database pool is not initialized");
    const { createDb } = await import("../../src/db/client.ts");
    const { createPool } = await import("../../src/db/pool.ts");
    const pool = createPool({ ...t.settings, database: "jt_does_not_exist_anywhere" });
    try {
      await expect(listSnapshots(createDb(pool))).rejects.toThrow(/^query process health: /);
    } finally {
      await pool.end();
    }
  });
});
