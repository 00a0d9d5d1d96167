/** Column values as the API renders them: times as RFC 3339 UTC, JSON columns parsed. */
import { readDbTime } from "../db/sql.ts";
import { rfc3339, rfc3339Nano } from "../time.ts";

/** A TIMESTAMP/DATETIME column, whole seconds (`nano` keeps the milliseconds of TIMESTAMP(3)). */
export function timeColumn(v: unknown, nano = false): string | null {
  const d = readDbTime(v);
  if (!d) return null;
  return nano ? rfc3339Nano(d.getTime()) : rfc3339(d.getTime());
}

/** A JSON column: parsed when the driver hands over text; unparseable text is null. */
export function jsonColumn(v: unknown): unknown {
  if (typeof v !== "string") return v ?? null;
  try {
    return JSON.parse(v);
  } catch {
    return null;
  }
}
