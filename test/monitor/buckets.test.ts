import { describe, expect, test } from "bun:test";
import { sql } from "drizzle-orm";
import { run, selectRows } from "../../src/db/sql.ts";
import { silentLogger } from "../../src/log.ts";
import { BucketOwner, type OwnershipConfig, ownershipLabel } from "../../src/monitor/buckets.ts";
import { formatRanges } from "../../src/monitor/waterfill.ts";
import { useTestDatabase } from "../support/db.ts";

const t = useTestDatabase();

const cfg = (o: Partial<OwnershipConfig> = {}): OwnershipConfig => ({
  BUCKET_TOTAL: 10,
  BUCKET_TARGET: 10,
  BUCKET_HEARTBEAT_GRACE_SEC: 60,
  pinned: null,
  ...o,
});

interface Row {
  host_id: string;
  bucket_min: number;
  bucket_max: number;
  status: string;
  age: number;
}
const rows = () =>
  selectRows<Row>(
    t.db,
    sql`SELECT host_id, bucket_min, bucket_max, status, TIMESTAMPDIFF(SECOND, last_heartbeat, NOW()) AS age
        FROM jetmon_hosts ORDER BY host_id`,
  );
/** Buckets that two rows of jetmon_hosts hold at once. */
const overlaps = async () => {
  const seen = new Map<number, string>();
  const twice: string[] = [];
  for (const r of await rows()) {
    for (let b = Number(r.bucket_min); b <= Number(r.bucket_max); b++) {
      const other = seen.get(b);
      if (other) twice.push(`${b}:${other}+${r.host_id}`);
      seen.set(b, r.host_id);
    }
  }
  return twice;
};
const clear = () => run(t.db, sql`DELETE FROM jetmon_hosts`);
const owner = (id: string) => new BucketOwner(t.db, id, silentLogger);

describe("bucket ownership", () => {
  test("labels", () => {
    expect(ownershipLabel(null)).toBe("dynamic jetmon_hosts");
    expect(ownershipLabel({ min: 12, max: 34 })).toBe("pinned range=12-34");
  });

  test("pinned mode never touches jetmon_hosts", async () => {
    await clear();
    const o = await owner("host-p").claim(cfg({ pinned: { min: 12, max: 34 }, BUCKET_TOTAL: 100 }));
    expect(o).toMatchObject({
      mode: "pinned",
      range: { min: 12, max: 34 },
      label: "pinned range=12-34",
      uncovered: null,
    });
    expect(await rows()).toEqual([]);
  });

  test("one host with target < total covers part and reports the rest uncovered", async () => {
    await clear();
    const o = await owner("host-a").claim(cfg({ BUCKET_TARGET: 5 }));
    expect(o.range).toEqual({ min: 0, max: 4 });
    expect(formatRanges(o.uncovered!)).toBe("5-9");
    expect(await rows()).toMatchObject([
      { host_id: "host-a", bucket_min: 0, bucket_max: 4, status: "active" },
    ]);
  });

  test("two hosts split; each writes only its own row and never takes a bucket the other holds", async () => {
    await clear();
    const a = owner("host-a");
    const b = owner("host-b");
    expect((await a.claim(cfg())).range).toEqual({ min: 0, max: 9 });
    await run(
      t.db,
      sql`UPDATE jetmon_hosts SET last_heartbeat = NOW() - INTERVAL 30 SECOND WHERE host_id = 'host-a'`,
    );
    // host-b's share is 5-9, but host-a still holds it: host-b joins with nothing, blocked.
    const ob = await b.claim(cfg());
    expect(ob.range.max).toBeLessThan(ob.range.min);
    expect(ob.blocked).toBe(true);
    expect(ob.hosts).toBe(2);
    expect(ob.peerExpiresInMs).toBeLessThanOrEqual(30_000);
    const after = await rows();
    // host-a's row is untouched by host-b's claim: same range, heartbeat still 30 s old.
    expect(after[0]).toMatchObject({ host_id: "host-a", bucket_min: 0, bucket_max: 9 });
    expect(after[0]!.age).toBeGreaterThanOrEqual(29);
    expect(after[1]).toMatchObject({ host_id: "host-b", bucket_min: 1, bucket_max: 0 });
    // host-a gives 5-9 up at its next claim; then host-b takes them.
    const oa = await a.claim(cfg());
    expect(oa.range).toEqual({ min: 0, max: 4 });
    expect(oa.blocked).toBe(false);
    const ob2 = await b.claim(cfg());
    expect(ob2.range).toEqual({ min: 5, max: 9 });
    expect(ob2.blocked).toBe(false);
    expect(ob2.uncovered).toEqual([]);
    expect((await a.claim(cfg())).uncovered).toEqual([]);
  });

  test("a dead host expires after the grace and its buckets move", async () => {
    await clear();
    const a = owner("host-a");
    const b = owner("host-b");
    await a.claim(cfg());
    await b.claim(cfg());
    await a.claim(cfg());
    // host-a dies: its heartbeat ages past the grace while host-b keeps claiming.
    await run(
      t.db,
      sql`UPDATE jetmon_hosts SET last_heartbeat = NOW() - INTERVAL 61 SECOND WHERE host_id = 'host-a'`,
    );
    const ob = await b.claim(cfg());
    expect(ob.range).toEqual({ min: 0, max: 9 });
    expect(ob.uncovered).toEqual([]);
    expect((await rows()).map((r) => r.host_id)).toEqual(["host-b"]);
  });

  test.each([
    ["stopped", 1, ["host-b"]],
    ["stopping", 1, ["host-b"]],
    ["running", 1, ["host-a", "host-b"]],
    // A stop older than the peer's last bucket heartbeat is a previous run: the row is live.
    ["stopped", -5, ["host-a", "host-b"]],
  ] as Array<[string, number, string[]]>)(
    "a peer whose monitor row says %s (%ps after its heartbeat): rows left %p",
    async (state, after, left) => {
      await clear();
      await run(t.db, sql`DELETE FROM jetmon_process_health`);
      await owner("host-a").claim(cfg());
      const b = owner("host-b");
      await b.claim(cfg());
      await run(
        t.db,
        sql`UPDATE jetmon_hosts SET last_heartbeat = NOW() - INTERVAL 10 SECOND WHERE host_id = 'host-a'`,
      );
      await run(
        t.db,
        sql`INSERT INTO jetmon_process_health (process_id, host_id, process_type, pid, state, health_status, updated_at)
            VALUES ('host-a:monitor', 'host-a', 'monitor', 1, ${state}, 'amber', NOW() - INTERVAL ${10 - after} SECOND)`,
      );
      await b.claim(cfg());
      expect((await rows()).map((r) => r.host_id)).toEqual(left);
    },
  );

  test("a draining peer is left out of the water-fill", async () => {
    await clear();
    const a = owner("host-a");
    const b = owner("host-b");
    await a.claim(cfg());
    await b.claim(cfg());
    await a.markDraining();
    expect((await rows())[0]).toMatchObject({ host_id: "host-a", status: "draining" });
    expect((await b.claim(cfg())).range).toEqual({ min: 0, max: 9 });
    await a.release();
    expect((await rows()).map((r) => r.host_id)).toEqual(["host-b"]);
    await a.release(); // idempotent
  });

  test("concurrent first claims all succeed (lock conflicts are retried) and never overlap", async () => {
    await clear();
    const owners = ["h1", "h2", "h3", "h4"].map(owner);
    // Round 1 finds the members, round 2 gives up what is not one's share, round 3 takes the
    // freed share: each claim only takes buckets no peer holds.
    for (let round = 1; round <= 3; round++) {
      await Promise.all(owners.map((o) => o.claim(cfg())));
      expect(await overlaps()).toEqual([]);
    }
    const ranges = owners.map((o) => o.current()!.range);
    expect(formatRanges(ranges)).toBe("0-2,3-5,6-7,8-9");
    expect(owners.map((o) => o.current()!.blocked)).toEqual([false, false, false, false]);
  });

  test("more hosts than buckets: the extra host stores an empty range", async () => {
    await clear();
    const owners = ["a", "b", "c"].map(owner);
    for (let round = 1; round <= 3; round++) {
      for (const o of owners) await o.claim(cfg({ BUCKET_TOTAL: 2, BUCKET_TARGET: 2 }));
    }
    expect(owners[2]!.current()!.range.max).toBeLessThan(owners[2]!.current()!.range.min);
    expect((await rows()).find((r) => r.host_id === "c")).toMatchObject({ bucket_min: 1, bucket_max: 0 });
    expect(owners[0]!.current()!.uncovered).toEqual([]);
  });

  test("a host that restarts waits for its peers to give its share up, with no bucket owned twice", async () => {
    await clear();
    const [a, b, c, d] = ["host-a", "host-b", "host-c", "host-d"].map(owner) as [
      BucketOwner,
      BucketOwner,
      BucketOwner,
      BucketOwner,
    ];
    const big = cfg({ BUCKET_TOTAL: 1000, BUCKET_TARGET: 500 });
    for (let round = 1; round <= 3; round++) for (const o of [a, b, c, d]) await o.claim(big);
    expect(formatRanges([a, b, c, d].map((o) => o.current()!.range))).toBe("0-249,250-499,500-749,750-999");
    // host-b dies; its row passes the grace; the survivors split its buckets. The claim order is
    // the worst one: host-d asks for 667-999 while host-c still holds 500-749.
    await run(
      t.db,
      sql`UPDATE jetmon_hosts SET last_heartbeat = NOW() - INTERVAL 61 SECOND WHERE host_id = 'host-b'`,
    );
    const od = await d.claim(big);
    expect(od.range).toEqual({ min: 750, max: 999 });
    expect(od.blocked).toBe(true);
    expect(await overlaps()).toEqual([]);
    expect((await c.claim(big)).range).toEqual({ min: 334, max: 666 });
    expect((await a.claim(big)).range).toEqual({ min: 0, max: 333 });
    expect((await d.claim(big)).range).toEqual({ min: 667, max: 999 });
    expect(await overlaps()).toEqual([]);
    // host-b comes back: it joins empty (blocked), host-a and host-c shrink, then it takes 250-499.
    const back = owner("host-b");
    const ob = await back.claim(big);
    expect(ob.range.max).toBeLessThan(ob.range.min);
    expect(ob.blocked).toBe(true);
    for (const o of [a, c, d]) {
      await o.claim(big);
      expect(await overlaps()).toEqual([]);
    }
    expect((await back.claim(big)).range).toEqual({ min: 250, max: 499 });
    expect(await overlaps()).toEqual([]);
    for (const o of [a, c, d]) await o.claim(big);
    expect(formatRanges([a, back, c, d].map((o) => o.current()!.range))).toBe(
      "0-249,250-499,500-749,750-999",
    );
  });

  test("switching to pinned releases the dynamic row", async () => {
    await clear();
    const a = owner("host-a");
    await a.claim(cfg());
    expect(await rows()).toHaveLength(1);
    await a.claim(cfg({ pinned: { min: 0, max: 3 } }));
    expect(await rows()).toHaveLength(0);
  });
});
