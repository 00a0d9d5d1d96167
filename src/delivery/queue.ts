/**
 * Claiming due deliveries and recording what happened (docs/reference/deliverer.md §3.8, §3.10, ADR-0007).
 *
 * A claim is one transaction: `SELECT … FOR UPDATE SKIP LOCKED` over due rows, then a lease
 * (next_attempt_at moved past the attempt's longest possible run) on only the rows this
 * process will attempt right now; rows it cannot take (subscriber at its in-flight cap) are
 * released untouched at commit (docs/design.md defect 9). Rows locked by another deliverer are
 * skipped rather than waited for, and once leased they are not due for anyone else, so two
 * deliverers never send the same delivery twice. The lease is also crash recovery: a row
 * whose sender died becomes due again when its lease runs out.
 *
 * Outcome writes are guarded by the attempt count read at claim time, so a sender that lost
 * its lease (a crash-recovered row) cannot overwrite the newer attempt's result.
 */
import { sql } from "drizzle-orm";
import type { Db } from "../db/client.ts";
import { dbTime, type Executor, run, selectRows } from "../db/sql.ts";
import type { PlannedDelivery } from "./dispatch.ts";
import type { KindTables } from "./kinds.ts";
import { nextRetryDelayMs } from "./retry-ladder.ts";

/** A leased row: what dispatch inserted (`payload` is the exact JSON sent and signed), plus its id. */
export interface ClaimedDelivery extends PlannedDelivery {
  id: number;
  /** Attempts made before this one. */
  attempt: number;
}

export interface ClaimOptions {
  now: number;
  /** Most rows to lease in this claim. */
  limit: number;
  leaseMs: number;
  /** How many more attempts this process may start for a subscriber right now. */
  capacity: (subscriberId: number) => number;
  /** Subscribers with no capacity left, left out of the SELECT so they cannot crowd others out. */
  saturated: readonly number[];
}

interface Row {
  id: number;
  subscriber_id: number;
  transition_id: number;
  event_id: number;
  event_type: string;
  severity?: number | null;
  payload: string | Buffer;
  attempt: number;
}

/** Leases up to `limit` due rows for this process. */
export async function claimDue(db: Db, t: KindTables, o: ClaimOptions): Promise<ClaimedDelivery[]> {
  if (o.limit <= 0) return [];
  const now = dbTime(o.now);
  const severity = t.kind === "alert" ? sql`, severity` : sql``;
  const exclude =
    o.saturated.length > 0
      ? sql` AND ${sql.raw(t.subscriberColumn)} NOT IN (${sql.join(
          o.saturated.map((s) => sql`${s}`),
          sql`, `,
        )})`
      : sql``;
  return db.transaction(async (tx) => {
    // CAST gives the stored JSON as text on both MariaDB (stored verbatim) and MySQL
    // (normal form); mysql2 would otherwise parse MySQL's JSON and lose the exact bytes.
    const rows = await selectRows<Row>(
      tx,
      sql`SELECT id, ${sql.raw(t.subscriberColumn)} AS subscriber_id, transition_id, event_id, event_type${severity},
                 CAST(payload AS CHAR CHARACTER SET utf8mb4) AS payload, attempt
          FROM ${sql.raw(t.deliveries)}
          WHERE status = 'pending' AND (next_attempt_at IS NULL OR next_attempt_at <= ${now})${exclude}
          ORDER BY next_attempt_at ASC, id ASC LIMIT ${o.limit * 2}
          FOR UPDATE SKIP LOCKED`,
    );
    const taken = new Map<number, number>();
    const picked: ClaimedDelivery[] = [];
    for (const r of rows) {
      if (picked.length >= o.limit) break;
      const sub = Number(r.subscriber_id);
      const used = taken.get(sub) ?? 0;
      if (used >= o.capacity(sub)) continue;
      taken.set(sub, used + 1);
      picked.push({
        id: Number(r.id),
        subscriberId: sub,
        transitionId: Number(r.transition_id),
        eventId: Number(r.event_id),
        eventType: r.event_type,
        severity: r.severity === undefined || r.severity === null ? null : Number(r.severity),
        payload: typeof r.payload === "string" ? r.payload : r.payload.toString("utf8"),
        attempt: Number(r.attempt),
      });
    }
    if (picked.length === 0) return [];
    const leaseUntil = dbTime(o.now + o.leaseMs);
    const res = await run(
      tx,
      sql`UPDATE ${sql.raw(t.deliveries)} SET next_attempt_at = ${leaseUntil}
          WHERE status = 'pending' AND id IN (${sql.join(
            picked.map((p) => sql`${p.id}`),
            sql`, `,
          )})`,
    );
    if (res.affectedRows !== picked.length) {
      throw new Error(`${t.logPrefix}: claim leased ${res.affectedRows} rows, want ${picked.length}`);
    }
    return picked;
  });
}

/** What one attempt came to. */
export type Outcome =
  /** 2xx (webhooks) or an accepted send (alert transports). */
  | { kind: "delivered"; statusCode: number; response: string }
  /** A failure worth retrying: goes up the ladder, abandoned after the last rung. */
  | { kind: "failed"; statusCode: number; response: string }
  /** A failure retrying cannot fix (deleted subscriber, invalid URL, rate cap): abandoned now. */
  | { kind: "abandon"; statusCode: number; response: string };

/** `last_response` holds at most 2048 bytes; cut at a UTF-8 character boundary. */
export function truncateBytes(s: string, max = 2048): string {
  const b = Buffer.from(s, "utf8");
  if (b.length <= max) return s;
  let end = max;
  while (end > 0 && ((b[end] ?? 0) & 0xc0) === 0x80) end--;
  return b.subarray(0, end).toString("utf8");
}

/** The status a recorded outcome left the row in. */
export type RecordedStatus = "delivered" | "pending" | "abandoned" | "lost";

/**
 * Writes an attempt's outcome. Returns the resulting status, or `lost` when the row had moved
 * on (its lease ran out and another attempt was recorded first).
 */
export async function recordOutcome(
  ex: Executor,
  t: KindTables,
  d: ClaimedDelivery,
  out: Outcome,
  nowMs: number,
): Promise<RecordedStatus> {
  const now = dbTime(nowMs);
  const response = truncateBytes(out.response);
  const guard = sql`WHERE id = ${d.id} AND status = 'pending' AND attempt = ${d.attempt}`;
  const table = sql.raw(t.deliveries);
  let status: RecordedStatus;
  let q: ReturnType<typeof sql>;
  if (out.kind === "delivered") {
    status = "delivered";
    q = sql`UPDATE ${table} SET status = 'delivered', last_status_code = ${out.statusCode}, last_response = ${response},
            last_attempt_at = ${now}, delivered_at = ${now}, attempt = attempt + 1, next_attempt_at = NULL ${guard}`;
  } else {
    const delay = out.kind === "failed" ? nextRetryDelayMs(d.attempt + 1) : null;
    if (delay === null) {
      status = "abandoned";
      q = sql`UPDATE ${table} SET status = 'abandoned', last_status_code = ${out.statusCode}, last_response = ${response},
              last_attempt_at = ${now}, attempt = attempt + 1, next_attempt_at = NULL ${guard}`;
    } else {
      status = "pending";
      q = sql`UPDATE ${table} SET last_status_code = ${out.statusCode}, last_response = ${response},
              last_attempt_at = ${now}, attempt = attempt + 1, next_attempt_at = ${dbTime(nowMs + delay)} ${guard}`;
    }
  }
  const r = await run(ex, q);
  return r.affectedRows === 1 ? status : "lost";
}
