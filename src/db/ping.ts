/**
 * The MySQL dependency probe the dashboard and the deliverer's heartbeat share: one read within a
 * bound that also asks whether the server takes writes (issue 15: a read-only server answers
 * `SELECT 1` and refuses every write).
 */
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
 * `timed out after <ms>ms`). Red too when the server is read-only, or when `writeProblem` says
 * the caller's writes fail (the server's message). A missing pool is red without a query.
 */
export async function pingMysql(
  db: Db | null,
  ms: number,
  timeoutText?: string,
  writeProblem?: () => string | null,
): Promise<PingResult> {
  if (!db) return { name: "mysql", status: "red", last_error: "database pool is not initialized" };
  const started = performance.now();
  try {
    const [rows] = (await withTimeout(
      ms,
      db.execute(sql`SELECT @@read_only AS ro`),
      timeoutText,
    )) as unknown as [{ ro: unknown }[]];
    const latency_ms = Math.round(performance.now() - started);
    if (Number(rows[0]?.ro) === 1) {
      return {
        name: "mysql",
        status: "red",
        latency_ms,
        last_error: "server is read-only (read_only=ON), writes refused",
      };
    }
    const problem = writeProblem?.() ?? null;
    if (problem)
      return { name: "mysql", status: "red", latency_ms, last_error: `writes refused: ${problem}` };
    return { name: "mysql", status: "green", latency_ms };
  } catch (err) {
    return {
      name: "mysql",
      status: "red",
      latency_ms: Math.round(performance.now() - started),
      last_error: errorText(err),
    };
  }
}
