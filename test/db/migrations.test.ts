import { describe, expect, test } from "bun:test";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import {
  GO_BASELINE_ID,
  LATEST_MIGRATION_ID,
  LEGACY_IDS,
  MIGRATIONS,
  OWN_MIGRATION_BASE,
} from "../../src/db/migrations.ts";

const dir = join(import.meta.dir, "../../migrations");
const files = readdirSync(dir)
  .filter((f) => f.endsWith(".sql"))
  .sort();

/** The SQL with comments and string literals blanked, so only statement syntax is left. */
function code(sql: string): string {
  return sql
    .replace(/'(?:[^'\\]|\\.|'')*'/g, "''")
    .replace(/--[^\n]*/g, "")
    .replace(/\/\*[\s\S]*?\*\//g, "");
}

describe("embedded migrations", () => {
  test("every file in migrations/ is listed in MIGRATIONS, with its id, name and exact text", () => {
    expect(MIGRATIONS.map((m) => `${String(m.id).padStart(3, "0")}_${m.name}.sql`)).toEqual(files);
    for (const m of MIGRATIONS) {
      const file = `${String(m.id).padStart(3, "0")}_${m.name}.sql`;
      expect(m.sql).toBe(readFileSync(join(dir, file), "utf8"));
    }
  });

  test("file names are NNN_snake_case.sql", () => {
    for (const f of files) expect(f).toMatch(/^\d{3,}_[a-z0-9_]+\.sql$/);
  });

  test("ids 1-26 are Jetmon 2's, ours run from OWN_MIGRATION_BASE + 1 with no gaps, none in Go's range 27+", () => {
    const ids = MIGRATIONS.map((m) => m.id);
    const go = ids.filter((id) => id <= GO_BASELINE_ID);
    const ours = ids.filter((id) => id > GO_BASELINE_ID);
    expect(go).toEqual(Array.from({ length: GO_BASELINE_ID }, (_, i) => i + 1));
    expect(ours).toEqual(Array.from({ length: ours.length }, (_, i) => OWN_MIGRATION_BASE + 1 + i));
    expect(ids).toEqual([...go, ...ours]);
    expect(OWN_MIGRATION_BASE).toBeGreaterThanOrEqual(10000);
    expect(LATEST_MIGRATION_ID).toBe(ids.at(-1)!);
    expect(ours.length).toBeGreaterThanOrEqual(6);
  });

  test("every legacy id maps from Go's range onto one of our ids, each once", () => {
    const ids = new Set(MIGRATIONS.map((m) => m.id));
    expect(LEGACY_IDS.map((l) => [l.from, l.to])).toEqual([
      [27, 10001],
      [28, 10002],
      [29, 10003],
    ]);
    for (const l of LEGACY_IDS) {
      expect(ids.has(l.to)).toBe(true);
      expect(ids.has(l.from)).toBe(false);
      expect(l.keepWhen).toMatch(/^SELECT\b/);
    }
  });

  test.each(files)("%s holds exactly one statement", (f) => {
    const body = code(readFileSync(join(dir, f), "utf8")).trim();
    expect(body.length).toBeGreaterThan(0);
    expect(body.replace(/;\s*$/, "")).not.toContain(";");
  });

  test("migration 1 creates the tracking table idempotently", () => {
    expect(code(MIGRATIONS[0]!.sql)).toMatch(/CREATE TABLE IF NOT EXISTS jetmon_schema_migrations/);
  });

  test("every CREATE TABLE is IF NOT EXISTS, InnoDB and utf8mb4", () => {
    for (const m of MIGRATIONS) {
      const c = code(m.sql);
      if (!/CREATE TABLE/.test(c)) continue;
      expect(c).toMatch(/CREATE TABLE IF NOT EXISTS/);
      expect(c).toMatch(/\)\s*ENGINE=InnoDB DEFAULT CHARSET=utf8mb4\s*$/);
    }
  });
});
