import { describe, expect, test } from "bun:test";
import { sql } from "drizzle-orm";
import { silentLogger } from "../../src/log.ts";
import { type CheckRecord, pruneHistory, ResultWriter, sqlDateTime } from "../../src/monitor/writer.ts";
import { useTestDatabase } from "../support/db.ts";
import { capturingLogger, clearTables, rows, seedSites } from "./support.ts";

const t = useTestDatabase();

const rec = (siteId: number, blogId: number, at: Date, o: Partial<CheckRecord> = {}): CheckRecord => ({
  siteId,
  blogId,
  checkedAt: at,
  httpCode: 200,
  errorCode: 0,
  rttMs: 12.7,
  dnsMs: 1,
  tcpMs: 2,
  tlsMs: 0,
  ttfbMs: 9,
  ...o,
});

async function siteIds(): Promise<Map<number, number>> {
  const r = await rows<{ id: number; blog_id: number }>(
    t.db,
    sql`SELECT jetpack_monitor_site_id AS id, blog_id FROM jetpack_monitor_sites`,
  );
  return new Map(r.map((x) => [Number(x.blog_id), Number(x.id)]));
}

describe("ResultWriter", () => {
  test("writes history in batches and the latest last_checked_at per site; ssl expiry only when given", async () => {
    await clearTables(t.db);
    await seedSites(t.db, [
      { blogId: 1, url: "http://a" },
      { blogId: 2, url: "http://b" },
    ]);
    const ids = await siteIds();
    const w = new ResultWriter({ db: t.db, log: silentLogger, batchSize: 3 });
    const base = Date.parse("2026-05-01T10:00:00.900Z");
    w.add(rec(ids.get(1)!, 1, new Date(base)));
    w.add(rec(ids.get(1)!, 1, new Date(base + 5000)));
    w.add(
      rec(ids.get(2)!, 2, new Date(base + 1000), { sslExpiryDate: "2027-01-31", httpCode: 0, errorCode: 2 }),
    );
    w.add(rec(ids.get(2)!, 2, new Date(base + 2000)));
    expect(w.pending).toBe(4);
    await w.flush();
    expect(w.pending).toBe(0);
    expect(w.totals).toEqual({ written: 4, dropped: 0 });
    const hist = await rows<{ blog_id: number; rtt_ms: number; error_code: number; checked_at: string }>(
      t.db,
      sql`SELECT blog_id, rtt_ms, error_code, checked_at FROM jetmon_check_history ORDER BY id`,
    );
    expect(hist).toHaveLength(4);
    expect(hist[0]!.rtt_ms).toBe(12);
    expect(String(hist[0]!.checked_at)).toStartWith("2026-05-01 10:00:00");
    const s = await rows<{ blog_id: number; last: string; ssl_date: string | null }>(
      t.db,
      sql`SELECT blog_id, last_checked_at AS last, ssl_expiry_date AS ssl_date FROM jetpack_monitor_sites ORDER BY blog_id`,
    );
    expect(String(s[0]!.last)).toBe("2026-05-01 10:00:05");
    expect(String(s[1]!.last)).toBe("2026-05-01 10:00:02");
    expect(s[0]!.ssl_date).toBeNull();
    expect(String(s[1]!.ssl_date)).toStartWith("2027-01-31");
  });

  test("a row MySQL refuses (a poison row) is dropped loudly; the writer stays healthy", async () => {
    await clearTables(t.db);
    const dropped: number[] = [];
    const w = new ResultWriter({ db: t.db, log: silentLogger, onDropped: (n) => dropped.push(n) });
    // blog_id is BIGINT UNSIGNED: a negative id is refused in strict mode.
    w.add(rec(1, -5, new Date()));
    await w.flush();
    expect(w.healthy).toBe(true);
    expect(w.totals.dropped).toBe(1);
    expect(dropped).toEqual([1]);
  });

  test("one poison row in a batch is dropped alone, logged with its site; the rest is written", async () => {
    await clearTables(t.db);
    const cap = capturingLogger();
    const w = new ResultWriter({ db: t.db, log: cap.log, batchSize: 100 });
    const at = new Date("2026-05-01T10:00:00Z");
    for (let i = 1; i <= 9; i++) w.add(rec(100 + i, 10 + i, new Date(at.getTime() + i * 1000)));
    // http_code is SMALLINT: 99999 is out of range (1264), a row MySQL will never take.
    w.add(rec(777, 77, at, { httpCode: 99999 }));
    for (let i = 1; i <= 6; i++) w.add(rec(200 + i, 30 + i, new Date(at.getTime() + i * 1000)));
    await w.flush();
    expect(w.pending).toBe(0);
    expect(w.totals).toEqual({ written: 15, dropped: 1 });
    expect(w.healthy).toBe(true);
    const [n] = await rows<{ n: number }>(t.db, sql`SELECT COUNT(*) AS n FROM jetmon_check_history`);
    expect(Number(n!.n)).toBe(15);
    const line = cap.lines.find((l) => l.msg === "check result refused by mysql, row dropped");
    expect(line).toMatchObject({ site_id: 777, blog_id: 77, errno: 1264 });
  });

  test("a schema mismatch holds every result, stops flushing and calls onFatal once", async () => {
    await clearTables(t.db);
    const fatal: unknown[] = [];
    const w = new ResultWriter({ db: t.db, log: silentLogger, onFatal: (e) => fatal.push(e) });
    await t.db.execute(sql`RENAME TABLE jetmon_check_history TO jetmon_check_history_away`);
    try {
      w.add(rec(1, 1, new Date()));
      w.add(rec(2, 2, new Date()));
      await w.flush();
      await w.flush();
      expect(fatal).toHaveLength(1);
      expect(w.fatal).toBe(true);
      expect(w.healthy).toBe(false);
      expect(w.pending).toBe(2);
      expect(w.writeProblem).toMatch(/jetmon_check_history' doesn't exist/);
      expect(await w.stop(Date.now() + 5000)).toBe(false);
    } finally {
      await t.db.execute(sql`RENAME TABLE jetmon_check_history_away TO jetmon_check_history`);
    }
  });

  test("restored results that MySQL already holds are not written twice", async () => {
    await clearTables(t.db);
    await seedSites(t.db, [{ blogId: 41, url: "http://a" }]);
    const id = (await siteIds()).get(41)!;
    const at = new Date("2026-05-01T10:00:00Z");
    const first = new ResultWriter({ db: t.db, log: silentLogger });
    const same = [rec(id, 41, at), rec(id, 41, at), rec(id, 41, new Date(at.getTime() + 1000))];
    for (const r of same) first.add(r);
    await first.flush();
    // Two of the three are in MySQL already (a commit whose answer was lost), plus one new row.
    const w = new ResultWriter({ db: t.db, log: silentLogger });
    w.restore([...same, rec(id, 41, at, { rttMs: 99 })]);
    w.add(rec(id, 41, new Date(at.getTime() + 2000)));
    await w.flush();
    const [n] = await rows<{ n: number }>(t.db, sql`SELECT COUNT(*) AS n FROM jetmon_check_history`);
    expect(Number(n!.n)).toBe(5);
  });

  test("full at maxHeld; takeHeld empties the hold", () => {
    let max = 3;
    const w = new ResultWriter({ db: t.db, log: silentLogger, maxHeld: () => max });
    w.add(rec(1, 1, new Date()));
    w.add(rec(1, 1, new Date()));
    expect(w.full).toBe(false);
    w.add(rec(1, 1, new Date()));
    expect(w.full).toBe(true);
    max = 10;
    expect(w.full).toBe(false);
    expect(w.takeHeld()).toHaveLength(3);
    expect(w.pending).toBe(0);
  });

  test("results in the write under way still count as held (the hold cannot open mid-write)", async () => {
    await clearTables(t.db);
    const w = new ResultWriter({ db: t.db, log: silentLogger, maxHeld: () => 2 });
    w.add(rec(1, 1, new Date()));
    w.add(rec(2, 2, new Date()));
    const writing = w.flush();
    expect(w.pending).toBe(2);
    expect(w.full).toBe(true);
    await writing;
    expect(w.pending).toBe(0);
    expect(w.full).toBe(false);
  });

  test("stop() flushes what is left", async () => {
    await clearTables(t.db);
    const w = new ResultWriter({ db: t.db, log: silentLogger });
    w.start(60_000);
    w.add(rec(1, 9, new Date()));
    expect(await w.stop(Date.now() + 2000)).toBe(true);
    const [n] = await rows<{ n: number }>(t.db, sql`SELECT COUNT(*) AS n FROM jetmon_check_history`);
    expect(Number(n!.n)).toBe(1);
  });

  test("sqlDateTime truncates to the second in UTC", () => {
    expect(sqlDateTime(new Date("2026-05-01T10:00:00.999Z"))).toBe("2026-05-01 10:00:00");
  });
});

describe("pruneHistory", () => {
  test("deletes rows past the retention in batches; 0 keeps everything", async () => {
    await clearTables(t.db);
    const now = Date.now();
    const values = Array.from({ length: 25 }, (_, i) => {
      const old = i < 17;
      return sql`(1, 200, 0, 1, ${sqlDateTime(new Date(now - (old ? 80 : 1) * 3_600_000))})`;
    });
    await t.db.execute(
      sql`INSERT INTO jetmon_check_history (blog_id, http_code, error_code, rtt_ms, checked_at) VALUES ${sql.join(values, sql`, `)}`,
    );
    expect(await pruneHistory(t.db, 0)).toBe(0);
    expect(await pruneHistory(t.db, 72, { batchSize: 5 })).toBe(17);
    const [n] = await rows<{ n: number }>(t.db, sql`SELECT COUNT(*) AS n FROM jetmon_check_history`);
    expect(Number(n!.n)).toBe(8);
  });

  test("stops at the time budget", async () => {
    await clearTables(t.db);
    const values = Array.from({ length: 10 }, () => sql`(1, 200, 0, 1, '2020-01-01 00:00:00')`);
    await t.db.execute(
      sql`INSERT INTO jetmon_check_history (blog_id, http_code, error_code, rtt_ms, checked_at) VALUES ${sql.join(values, sql`, `)}`,
    );
    let clock = Date.now();
    const deleted = await pruneHistory(t.db, 1, {
      batchSize: 2,
      budgetMs: 10,
      now: () => {
        clock += 6;
        return clock;
      },
    });
    expect(deleted).toBeLessThan(10);
    expect(deleted).toBeGreaterThan(0);
  });
});
