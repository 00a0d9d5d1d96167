/**
 * A host joins dynamic ownership on a real MariaDB (issue 14). Through this version's claim code
 * the joiner stores the empty range until the peer's next claim: no overlap, nothing red. An
 * earlier version's joiner wrote its share over the peer's: that overlap is amber (settling)
 * while the join is recent, red from a monitor that started long ago.
 */
import { describe, expect, test } from "bun:test";
import { sql } from "drizzle-orm";
import { run } from "../../src/db/sql.ts";
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
  test("this version: the joiner claims nothing a live peer holds: never an overlap, green before and after the handover", async () => {
    await run(t.db, sql`DELETE FROM jetmon_hosts`);
    await run(t.db, sql`DELETE FROM jetmon_process_health`);
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

  test("an earlier version's join: settling while the peer still holds its buckets, green after the peer's next claim", async () => {
    await run(t.db, sql`DELETE FROM jetmon_hosts`);
    await run(t.db, sql`DELETE FROM jetmon_process_health`);
    const a = new BucketOwner(t.db, "host-a", silentLogger);
    expect((await a.claim(cfg)).range).toEqual({ min: 0, max: 9 });
    await publish("host-a", new Date(Date.now() - 3600_000));
    expect((await fleet()).bucket_coverage.status).toBe("green");

    // An earlier version's host-b wrote its water-fill share at once, over host-a's range.
    await run(
      t.db,
      sql`INSERT INTO jetmon_hosts (host_id, bucket_min, bucket_max, last_heartbeat, status) VALUES ('host-b', 5, 9, NOW(), 'active')`,
    );
    // Before b's first heartbeat row, and once b published it: amber, never red.
    let f = await fleet();
    expect(f.bucket_coverage).toMatchObject({ status: "amber", settling: true });
    expect(f.bucket_coverage.error).toContain(
      'host "host-b" has claimed buckets but published no running monitor yet',
    );
    await publish("host-b", new Date());
    f = await fleet();
    expect(f.bucket_coverage).toMatchObject({ status: "amber", settling: true });
    expect(f.bucket_coverage.error).toMatch(
      /^dynamic bucket coverage settling: host "host-b" joined \d+s ago; buckets 5-9 \(host-a,host-b\) are claimed twice until the peers' next claim \(settle window 30s\)$/,
    );
    expect(f.summary.red_issue_count).toBe(0);

    // The same overlap with a monitor that started long ago is not a join: red.
    await publish("host-b", new Date(Date.now() - 3600_000));
    f = await fleet();
    expect(f.bucket_coverage).toMatchObject({
      status: "red",
      error: 'dynamic bucket coverage overlaps before host "host-b" at bucket 5',
    });

    // host-a gives 5-9 up at its next claim (host-b's row is a live active peer holding them).
    expect((await a.claim(cfg)).range).toEqual({ min: 0, max: 4 });
    f = await fleet();
    expect(f.bucket_coverage.status).toBe("green");
    expect(f.bucket_coverage).not.toHaveProperty("settling");
  });
});
