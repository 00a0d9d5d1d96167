/**
 * What a starting monitor makes of the database's migrations and optional columns. A database
 * Go jetmon2 migrated (ids 1-26) must just work: only a missing Go migration (tables absent) or an
 * id of this project's range that this binary does not know (a newer jetmon2 migrated it) refuses
 * start-up. Missing indexes of this project's own migrations only cost speed: warn and run.
 * Missing optional columns are read around (OptionalColumns) and reported, never fatal.
 */
import { sql } from "drizzle-orm";
import { errorText } from "../error-text.ts";
import type { Db } from "./client.ts";
import { goPending, pendingMigrations, unknownMigrations } from "./migrate.ts";
import type { Pool } from "./pool.ts";

export interface SchemaVerdict {
  /** Set when the monitor must not start; the text names what to do. */
  refuse: string | null;
  /** This project's migrations not yet applied (start-up goes on). */
  pending: number[];
  /** The once-logged warning for `pending`, or null. */
  warning: string | null;
}

export async function schemaVerdict(pool: Pool): Promise<SchemaVerdict> {
  try {
    const unknown = await unknownMigrations(pool);
    if (unknown.length > 0) {
      return {
        refuse: `database records migrations ${unknown.join(", ")} which this jetmon2 does not know; upgrade jetmon2`,
        pending: [],
        warning: null,
      };
    }
    const pending = await pendingMigrations(pool);
    const missingGo = goPending(pending);
    if (missingGo.length > 0) {
      return {
        refuse: `database has pending migrations ${missingGo.join(", ")}; run \`jetmon2 migrate\` first`,
        pending,
        warning: null,
      };
    }
    const warning =
      pending.length > 0
        ? `database lacks migrations ${pending.join(", ")} (indexes and optional columns); checks run without them — run \`jetmon2 migrate\``
        : null;
    return { refuse: null, pending, warning };
  } catch (err) {
    return { refuse: `check migrations: ${errorText(err)}`, pending: [], warning: null };
  }
}

/** The columns the newer checks read; a Go-migrated database may lack any of them. */
export interface OptionalColumns {
  /** jetpack_monitor_sites.forbidden_keyword */
  forbiddenKeyword: boolean;
  /** jetpack_monitor_sites.forbidden_keywords */
  forbiddenKeywords: boolean;
  /** jetmon_check_history.request_method */
  requestMethod: boolean;
}

export const ALL_OPTIONAL_COLUMNS: OptionalColumns = {
  forbiddenKeyword: true,
  forbiddenKeywords: true,
  requestMethod: true,
};

const COLUMN_NAMES: ReadonlyArray<[keyof OptionalColumns, string, string]> = [
  ["forbiddenKeyword", "jetpack_monitor_sites", "forbidden_keyword"],
  ["forbiddenKeywords", "jetpack_monitor_sites", "forbidden_keywords"],
  ["requestMethod", "jetmon_check_history", "request_method"],
];

/** Which optional columns the database has. */
export async function probeOptionalColumns(db: Db): Promise<OptionalColumns> {
  const [rows] = (await db.execute(
    sql`SELECT TABLE_NAME AS t, COLUMN_NAME AS c FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME IN ('jetpack_monitor_sites', 'jetmon_check_history') AND COLUMN_NAME IN ('forbidden_keyword', 'forbidden_keywords', 'request_method')`,
  )) as unknown as [Array<{ t: string; c: string }>, unknown];
  const present = new Set(rows.map((r) => `${r.t}.${r.c}`));
  const out = { ...ALL_OPTIONAL_COLUMNS };
  for (const [key, table, column] of COLUMN_NAMES) out[key] = present.has(`${table}.${column}`);
  return out;
}

/** `table.column` for each absent column, in a fixed order. */
export function missingColumns(cols: OptionalColumns): string[] {
  return COLUMN_NAMES.filter(([key]) => !cols[key]).map(([, table, column]) => `${table}.${column}`);
}
