import { describe, expect, test } from "bun:test";
import { sql } from "drizzle-orm";
import { silentLogger } from "../../src/log.ts";
import {
  decideHistory,
  HistoryFilter,
  type HistoryMode,
  type HistoryReason,
  historySettings,
  markOf,
  outcomeOf,
  unpackMark,
} from "../../src/monitor/history-mode.ts";
import { type CheckRecord, ResultWriter } from "../../src/monitor/writer.ts";
import { useTestDatabase } from "../support/db.ts";
import { clearTables, rows, seedSites } from "./support.ts";

const T0 = Date.parse("2026-05-01T10:00:00Z");
const min = (m: number) => new Date(T0 + m * 60_000);
const ok = { errorCode: 0, httpCode: 200 };
const down = { errorCode: 2, httpCode: 0 };

describe("decideHistory", () => {
  // [name, mode, previous result (code, minute written) or none, this result, minute, write, reason]
  const cases: [
    string,
    HistoryMode,
    [typeof ok, number] | null,
    typeof ok & { failed?: boolean },
    number,
    boolean,
    HistoryReason,
  ][] = [
    ["all writes a success", "all", null, ok, 0, true, "all"],
    ["all writes a repeat", "all", [ok, 0], ok, 1, true, "all"],
    ["off writes nothing", "off", null, down, 0, false, "off"],
    ["changes: the first result of a site", "changes", null, ok, 0, true, "first"],
    ["changes: the same success within the sample period", "changes", [ok, 0], ok, 14, false, "skip"],
    ["changes: the same success at the sample period", "changes", [ok, 0], ok, 15, true, "sample"],
    ["changes: a failure, always", "changes", [down, 0], down, 1, true, "failure"],
    ["changes: up -> down", "changes", [ok, 0], down, 1, true, "failure"],
    ["changes: down -> up", "changes", [down, 0], ok, 1, true, "change"],
    [
      "changes: another status class (200 -> 301)",
      "changes",
      [ok, 0],
      { errorCode: 0, httpCode: 301 },
      1,
      true,
      "change",
    ],
    [
      "changes: same class (200 -> 204)",
      "changes",
      [ok, 0],
      { errorCode: 0, httpCode: 204 },
      1,
      false,
      "skip",
    ],
    [
      "changes: another error code (advisory TLS 1.1)",
      "changes",
      [ok, 0],
      { errorCode: 7, httpCode: 200 },
      1,
      true,
      "change",
    ],
    [
      "changes: a 500 with no error code is a failure",
      "changes",
      [ok, 0],
      { errorCode: 0, httpCode: 500 },
      1,
      true,
      "failure",
    ],
    [
      "changes: the check's own verdict wins",
      "changes",
      [ok, 0],
      { errorCode: 0, httpCode: 200, failed: true },
      1,
      true,
      "failure",
    ],
  ];
  for (const [name, mode, prev, cur, minute, write, reason] of cases) {
    test(name, () => {
      const prevMark = prev
        ? markOf(outcomeOf({ ...prev[0], checkedAt: min(prev[1]) }), prev[1] + Math.floor(T0 / 60_000))
        : undefined;
      const d = decideHistory(mode, 15, prevMark, { ...cur, checkedAt: min(minute) });
      expect({ write: d.write, reason: d.reason }).toEqual({ write, reason });
    });
  }

  test("a skipped result keeps the last written minute, so the sample comes 15 minutes after the last row", () => {
    let mark: number | undefined;
    const written: number[] = [];
    for (let m = 0; m <= 45; m += 5) {
      const d = decideHistory("changes", 15, mark, { ...ok, checkedAt: min(m) });
      if (d.write) written.push(m);
      mark = d.next;
    }
    expect(written).toEqual([0, 15, 30, 45]);
  });

  test("the mark packs outcome and minute losslessly", () => {
    const outcome = outcomeOf({ errorCode: 8, httpCode: 503, checkedAt: min(0) });
    const minute = Math.floor(Date.parse("2200-01-01T00:00:00Z") / 60_000);
    expect(unpackMark(markOf(outcome, minute))).toEqual({ outcome, writtenMinute: minute });
  });

  test("historySettings reads the two keys", () => {
    expect(historySettings({ CHECK_HISTORY_MODE: "changes", CHECK_HISTORY_SAMPLE_MIN: 5 })).toEqual({
      mode: "changes",
      sampleMin: 5,
    });
    expect(historySettings({ CHECK_HISTORY_MODE: "bogus", CHECK_HISTORY_SAMPLE_MIN: 5 }).mode).toBe("all");
  });

  test("the filter reads the mode at every result (a reload applies at once) and forgets sites", () => {
    const s = { mode: "changes" as HistoryMode, sampleMin: 15 };
    const f = new HistoryFilter(() => s);
    expect(f.keep(1, { ...ok, checkedAt: min(0) })).toBe(true);
    expect(f.keep(1, { ...ok, checkedAt: min(1) })).toBe(false);
    expect(f.size).toBe(1);
    f.forget(1);
    expect(f.keep(1, { ...ok, checkedAt: min(2) })).toBe(true);
    s.mode = "off";
    expect(f.keep(1, { ...down, checkedAt: min(3) })).toBe(false);
    expect(f.size).toBe(0);
    s.mode = "all";
    expect(f.keep(1, { ...ok, checkedAt: min(4) })).toBe(true);
  });
});

const t = useTestDatabase();

const rec = (siteId: number, blogId: number, at: Date, o: Partial<CheckRecord> = {}): CheckRecord => ({
  siteId,
  blogId,
  checkedAt: at,
  httpCode: 200,
  errorCode: 0,
  rttMs: 10,
  dnsMs: 1,
  tcpMs: 2,
  tlsMs: 0,
  ttfbMs: 9,
  ...o,
});

describe("ResultWriter with CHECK_HISTORY_MODE", () => {
  // One site, checked every 5 minutes for an hour: up, down at minutes 20-25, up again.
  const stream = (siteId: number, blogId: number) =>
    Array.from({ length: 13 }, (_, i) => {
      const failing = i === 4 || i === 5;
      return rec(
        siteId,
        blogId,
        min(i * 5),
        failing ? { httpCode: 0, errorCode: 2, failed: true } : { failed: false },
      );
    });
  const expected: [HistoryMode, number[]][] = [
    ["all", [0, 5, 10, 15, 20, 25, 30, 35, 40, 45, 50, 55, 60]],
    // first, the two failures, the recovery, then one sample per 15 minutes after it
    ["changes", [0, 15, 20, 25, 30, 45, 60]],
    ["off", []],
  ];
  for (const [mode, minutes] of expected) {
    test(`${mode}: history rows at minutes ${minutes.join(",") || "none"}; last_checked_at always the latest`, async () => {
      await clearTables(t.db);
      await seedSites(t.db, [{ blogId: 5, url: "http://a" }]);
      const [site] = await rows<{ id: number }>(
        t.db,
        sql`SELECT jetpack_monitor_site_id AS id FROM jetpack_monitor_sites`,
      );
      const id = Number(site?.id);
      const w = new ResultWriter({
        db: t.db,
        log: silentLogger,
        historyMode: () => ({ mode, sampleMin: 15 }),
      });
      for (const r of stream(id, 5)) w.add(r);
      await w.flush();
      expect(w.pending).toBe(0);
      const hist = await rows<{ at: string }>(
        t.db,
        sql`SELECT CAST(checked_at AS CHAR) AS at FROM jetmon_check_history ORDER BY checked_at`,
      );
      expect(hist.map((h) => (Date.parse(`${String(h.at).replace(" ", "T")}Z`) - T0) / 60_000)).toEqual(
        minutes,
      );
      const [last] = await rows<{ at: string }>(
        t.db,
        sql`SELECT CAST(last_checked_at AS CHAR) AS at FROM jetpack_monitor_sites`,
      );
      expect(String(last?.at)).toStartWith("2026-05-01 11:00:00");
    });
  }

  test("a batch with no history rows still writes last_checked_at, also on a retry after a lost reply", async () => {
    await clearTables(t.db);
    await seedSites(t.db, [{ blogId: 6, url: "http://a" }]);
    const [site] = await rows<{ id: number }>(
      t.db,
      sql`SELECT jetpack_monitor_site_id AS id FROM jetpack_monitor_sites`,
    );
    const w = new ResultWriter({
      db: t.db,
      log: silentLogger,
      historyMode: () => ({ mode: "off", sampleMin: 15 }),
    });
    // restore() marks the records as maybe written (the dedupe path).
    w.restore([rec(Number(site?.id), 6, min(3), { history: false })]);
    await w.flush();
    expect(w.pending).toBe(0);
    const [n] = await rows<{ n: number }>(t.db, sql`SELECT COUNT(*) AS n FROM jetmon_check_history`);
    expect(Number(n?.n)).toBe(0);
    const [last] = await rows<{ at: string }>(
      t.db,
      sql`SELECT CAST(last_checked_at AS CHAR) AS at FROM jetpack_monitor_sites`,
    );
    expect(String(last?.at)).toStartWith("2026-05-01 10:03:00");
  });
});
