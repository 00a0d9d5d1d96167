/** The MySQL dependency probe the dashboard and the deliverer's heartbeat share: `SELECT 1` within a bound. */
import { sql } from "drizzle-orm";
import { errorText } from "../error-text.ts";
import { withTimeout } from "../timeout.ts";
import type { Db } from "./client.ts";

export interface PingResult {
  name: "mysql";
  status: "green" | "red";
  latency_ms?: number;
  last_error?: string;
}

/**
 * Green with the latency, or red with the error (`<timeoutText>` at the bound, default
 * `timed out after <ms>ms`). A missing pool is red without a query.
 */
export async function pingMysql(db: Db | null, ms: number, timeoutText?: string): Promise<PingResult> {
  if (!db) return { name: "mysql", status: "red", last_error: "database pool is not initialized" };
  const started = performance.now();
  try {
    await withTimeout(ms, db.execute(sql`SELECT 1`), timeoutText);
    return { name: "mysql", status: "green", latency_ms: Math.round(performance.now() - started) };
  } catch (err) {
    return {
      name: "mysql",
      status: "red",
      latency_ms: Math.round(performance.now() - started),
      last_error: errorText(err),
    };
  }
}
