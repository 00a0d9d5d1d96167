/**
 * Time bounds for the fleet view's queries. The view polls every few seconds; a query that
 * outlives its bound must neither stall the page nor keep a pooled connection (shared with the
 * monitor) busy, so the waiting side gives up at the bound and the statement is killed.
 */
import { sql } from "drizzle-orm";
import type { Db } from "../db/client.ts";
import { errorText } from "../error-text.ts";

/**
 * Runs `fn` with a signal that aborts after `ms`; rejects at the bound even if `fn` ignores the
 * signal. Errors read `<label>: <cause>` (the label is not repeated when the cause has it).
 */
export async function bounded<T>(
  label: string,
  ms: number,
  fn: (signal: AbortSignal) => Promise<T>,
): Promise<T> {
  const ac = new AbortController();
  const timer = setTimeout(() => ac.abort(new Error(`timed out after ${ms}ms`)), ms);
  try {
    return await new Promise<T>((resolve, reject) => {
      ac.signal.addEventListener("abort", () => reject(ac.signal.reason), { once: true });
      fn(ac.signal).then(resolve, reject);
    });
  } catch (err) {
    const text = errorText(err);
    throw new Error(text.startsWith(`${label}:`) ? text : `${label}: ${text}`);
  } finally {
    clearTimeout(timer);
  }
}

/** A read transaction: the same query builder as Db, on one pinned connection. */
export type ReadTx = Parameters<Parameters<Db["transaction"]>[0]>[0];

/**
 * Runs `work` on one pinned connection (a transaction, so the connection id is known). When
 * `signal` aborts first, rejects with its reason at once, sends `KILL QUERY` for the statement
 * under way, and refuses to start `work` if it has not started yet.
 */
export function readOnce<T>(db: Db, signal: AbortSignal, work: (tx: ReadTx) => Promise<T>): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason);
  let connectionId: number | null = null;
  const run = db.transaction(async (tx) => {
    const [rows] = (await tx.execute(sql`SELECT CONNECTION_ID() AS id`)) as unknown as [{ id: number }[]];
    connectionId = Number(rows[0]?.id);
    if (signal.aborted) throw signal.reason;
    return work(tx);
  });
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => {
      reject(signal.reason);
      run.catch(() => {});
      const id = connectionId;
      if (id !== null && Number.isSafeInteger(id)) {
        // Fire and forget: the caller has its answer; this only frees the connection sooner.
        db.execute(sql.raw(`KILL QUERY ${id}`)).catch(() => {});
      }
    };
    signal.addEventListener("abort", onAbort, { once: true });
    run.then(
      (v) => {
        signal.removeEventListener("abort", onAbort);
        resolve(v);
      },
      (err) => {
        signal.removeEventListener("abort", onAbort);
        reject(err);
      },
    );
  });
}
