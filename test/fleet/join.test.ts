/**
 * A host joins dynamic ownership through the real claim code on a real MariaDB (issue 14): the
 * claim protocol never writes a bucket a live peer holds, so a join shows no overlap at all. The
 * settling rule for overlaps seen from older peers is table-tested in settling.test.ts.
 */
import { describe, expect, test } from "bun:test";
import { createFleetRoutes } from "../../src/fleet/routes.ts";
import type { FleetSnapshot } from "../../src/fleet/types.ts";
import { upsertSnapshot } from "../../src/fleethealth/store.ts";
import { silentLogger } from "../../src/log.ts";
import { BucketOwner } from "../../src/monitor/buckets.ts";
import { useTestDatabase } from "../support/db.ts";

const t = useTestDatabase();
const GRACE = 60;
const cfg = { BUCKET_TOTAL: 10, BUCKET_TARGET: 10, BUCKET_HEARTBEAT_GRACE_SEC: GRACE, pinned: null };

async function fleet(): Promise<FleetSnapshot> {
  const app = createFleetRoutes({
    db: t.db,
    options: { bucketTotal: 10, heartbeatGraceSec: GRACE, retainStoppedHours: 24, cacheTtlMs: -1 },
    log: silentLogger,
  });
  return (await app.handle(new Request("http://localhost/api/fleet"))).json() as Promise<FleetSnapshot>;
}

const publish = (host: string, startedAt: Date) =>
  upsertSnapshot(t.db, {
    host_id: host,
    process_type: "monitor",
    state: "running",
    health_status: "green",
    bucket_ownership: "dynamic jetmon_hosts",
    started_at: startedAt,
    updated_at: new Date(),
  });

describe("a host joining dynamic ownership", () => {
  test("the joiner claims nothing a live peer holds: never an overlap, green before and after the handover", async () => {
    const a = new BucketOwner(t.db, "host-a", silentLogger);
    const b = new BucketOwner(t.db, "host-b", silentLogger);
    expect((await a.claim(cfg)).range).toEqual({ min: 0, max: 9 });
    await publish("host-a", new Date(Date.now() - 3600_000));
    expect((await fleet()).bucket_coverage.status).toBe("green");

    // host-b's share (5-9) is still held by host-a: it stores an empty range and waits.
    expect((await b.claim(cfg)).range).toEqual({ min: 0, max: -1 });
    await publish("host-b", new Date());
    let f = await fleet();
    expect(f.bucket_coverage.status).toBe("green");
    expect(f.summary.red_issue_count).toBe(0);

    // host-a gives 5-9 up at its next claim; host-b takes them at its next.
    expect((await a.claim(cfg)).range).toEqual({ min: 0, max: 4 });
    expect((await b.claim(cfg)).range).toEqual({ min: 5, max: 9 });
    f = await fleet();
    expect(f.bucket_coverage.status).toBe("green");
    expect(f.bucket_coverage).not.toHaveProperty("settling");
  });
});
