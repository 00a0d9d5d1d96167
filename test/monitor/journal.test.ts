/** The held-results journal: atomic spool, bounded, replay, and a bad journal set aside (issue 15). */
import { afterAll, describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { JOURNAL_NAME, readJournal, removeJournal, spoolJournal } from "../../src/monitor/journal.ts";
import type { CheckRecord } from "../../src/monitor/writer.ts";

const root = mkdtempSync(join(tmpdir(), "jetmon-journal-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
const freshDir = () => join(root, `d${n++}`);

const rec = (i: number, o: Partial<CheckRecord> = {}): CheckRecord => ({
  siteId: i,
  blogId: 1000 + i,
  checkedAt: new Date(Date.UTC(2026, 4, 1, 10, 0, i)),
  httpCode: 200,
  errorCode: 0,
  rttMs: 12,
  dnsMs: 1,
  tcpMs: 2,
  tlsMs: 3,
  ttfbMs: 4,
  ...o,
});

describe("held-results journal", () => {
  test("spools and reads back every record exactly; no temp file is left", () => {
    const dir = freshDir();
    const recs = [rec(1), rec(2, { sslExpiryDate: "2027-01-31", httpCode: 0, errorCode: 2 }), rec(3)];
    expect(spoolJournal(dir, recs, 100, 28)).toEqual({
      path: join(dir, JOURNAL_NAME),
      written: 3,
      dropped: 0,
    });
    expect(readdirSync(dir)).toEqual([JOURNAL_NAME]);
    const back = readJournal(dir, 28);
    expect(back).toEqual({ kind: "ok", path: join(dir, JOURNAL_NAME), records: recs });
    removeJournal(join(dir, JOURNAL_NAME));
    expect(readJournal(dir, 28)).toEqual({ kind: "none" });
  });

  test("a record without a history row (CHECK_HISTORY_MODE) keeps that flag through the journal", () => {
    const dir = freshDir();
    const recs = [rec(1, { history: false }), rec(2)];
    spoolJournal(dir, recs, 100, 28);
    expect(readJournal(dir, 28)).toEqual({ kind: "ok", path: join(dir, JOURNAL_NAME), records: recs });
  });

  test("past the bound the oldest records are kept and the rest counted as dropped", () => {
    const dir = freshDir();
    const recs = Array.from({ length: 10 }, (_, i) => rec(i + 1));
    expect(spoolJournal(dir, recs, 4, 28)).toMatchObject({ written: 4, dropped: 6 });
    const back = readJournal(dir, 28);
    expect(back.kind === "ok" && back.records.map((r) => r.siteId)).toEqual([1, 2, 3, 4]);
  });

  test("a second spool replaces the first whole", () => {
    const dir = freshDir();
    spoolJournal(dir, [rec(1), rec(2)], 100, 28);
    spoolJournal(dir, [rec(9)], 100, 28);
    const back = readJournal(dir, 28);
    expect(back.kind === "ok" && back.records.map((r) => r.siteId)).toEqual([9]);
  });

  const rejects: Array<[string, (path: string) => void, RegExp]> = [
    ["cut short", (p) => writeFileSync(p, readFileSync(p, "utf8").slice(0, 60)), /^not valid JSON/],
    [
      "another format",
      (p) => writeFileSync(p, readFileSync(p, "utf8").replace("jetmon2.held-results", "x")),
      /^format is "x"/,
    ],
    [
      "another schema",
      (p) => writeFileSync(p, readFileSync(p, "utf8").replace('"schema":28', '"schema":27')),
      /written under schema 27, this jetmon2 has 28/,
    ],
    [
      "a record edited",
      (p) => writeFileSync(p, readFileSync(p, "utf8").replace('"rttMs":12', '"rttMs":13')),
      /^checksum does not match/,
    ],
    [
      "a bad record",
      (p) => writeFileSync(p, readFileSync(p, "utf8").replace('"httpCode":200', '"httpCode":"200"')),
      /^invalid at \/records\/0\/httpCode/,
    ],
    [
      "a wrong count",
      (p) => writeFileSync(p, readFileSync(p, "utf8").replace('"count":2', '"count":3')),
      /count says 3, file holds 2/,
    ],
  ];
  test.each(rejects)("a journal %s is set aside and reported, nothing returned", (_name, spoil, problem) => {
    const dir = freshDir();
    const { path } = spoolJournal(dir, [rec(1), rec(2)], 100, 28);
    spoil(path);
    const before = readFileSync(path, "utf8");
    const back = readJournal(dir, 28, () => 1234);
    expect(back.kind).toBe("rejected");
    if (back.kind !== "rejected") return;
    expect(back.problem).toMatch(problem);
    expect(back.keptAs).toBe(`${path}.rejected-1234`);
    expect(existsSync(path)).toBe(false);
    expect(readFileSync(back.keptAs, "utf8")).toBe(before);
    expect(readJournal(dir, 28)).toEqual({ kind: "none" });
  });
});
