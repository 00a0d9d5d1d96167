import { sql } from "drizzle-orm";
import type { Db } from "../db/client.ts";
import { isRetryableLockError } from "../db/errors.ts";
import type { Logger } from "../log.ts";
import { errorText, isConnectionError, retryOnConflict, run } from "./sql.ts";

/** One check result as it is written: a history row plus the site's last_checked_at. */
export interface CheckRecord {
  siteId: number;
  blogId: number;
  /** When the check started (UTC); becomes last_checked_at and the history's checked_at. */
  checkedAt: Date;
  httpCode: number;
  errorCode: number;
  rttMs: number;
  dnsMs: number;
  tcpMs: number;
  tlsMs: number;
  ttfbMs: number;
  /** Set only when the certificate's expiry date differs from what the site row holds. */
  sslExpiryDate?: string;
  /** The HTTP method of the check (jetmon_check_history.request_method); GET when absent. */
  requestMethod?: string;
}

export interface WriterOptions {
  db: Db;
  log: Logger;
  now?: () => number;
  /** Rows per statement/transaction (default 2000). */
  batchSize?: number;
  /** Called when MySQL becomes unreachable (false) and reachable again (true). */
  onHealthChange?: (healthy: boolean) => void;
  /** Called once per dropped (unwritable, non-connection error) record count. */
  onDropped?: (count: number) => void;
  /** Whether jetmon_check_history has request_method (a Go-migrated database may not); default yes. */
  requestMethodColumn?: () => boolean;
}

/**
 * Buffers results and writes them in batches: one multi-row history INSERT and one
 * `UPDATE ... WHERE jetpack_monitor_site_id IN (...)` per distinct second, in one transaction
 * per batch, so a batch is written whole or not at all.
 *
 * When MySQL is unreachable the batch goes back to the head of the buffer, `healthy` turns
 * false (the scheduler pauses checks), the outage is logged once with the count held, and
 * every later flush retries until MySQL answers; then the backlog is written and checks resume.
 * A batch that fails for any other reason (a statement MySQL refuses) is dropped with an error
 * log naming the count, so one bad row cannot stop the monitor.
 */
export class ResultWriter {
  private buffer: CheckRecord[] = [];
  private flushing: Promise<void> | null = null;
  private isHealthy = true;
  private outage: { since: number; failures: number } | null = null;
  private written = 0;
  private dropped = 0;
  private readonly batchSize: number;
  private readonly now: () => number;
  private timer: ReturnType<typeof setInterval> | null = null;

  constructor(private readonly o: WriterOptions) {
    this.batchSize = Math.max(1, o.batchSize ?? 2000);
    this.now = o.now ?? Date.now;
  }

  add(rec: CheckRecord): void {
    this.buffer.push(rec);
  }

  get pending(): number {
    return this.buffer.length;
  }

  get healthy(): boolean {
    return this.isHealthy;
  }

  get totals(): { written: number; dropped: number } {
    return { written: this.written, dropped: this.dropped };
  }

  /** Flushes every `intervalMs` (default 1 s) until `stop`. */
  start(intervalMs = 1000): void {
    if (this.timer) return;
    this.timer = setInterval(() => void this.flush(), intervalMs);
  }

  /** Stops the timer and writes what is buffered, retrying until done or `deadline` (epoch ms). */
  async stop(deadline: number): Promise<boolean> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    for (;;) {
      await this.flush();
      if (this.buffer.length === 0) return true;
      if (this.now() >= deadline) return false;
      await Bun.sleep(Math.min(500, Math.max(10, deadline - this.now())));
    }
  }

  /** Writes the buffer; concurrent callers share one pass. Never throws. */
  flush(): Promise<void> {
    if (this.flushing) return this.flushing;
    this.flushing = this.flushOnce().finally(() => {
      this.flushing = null;
    });
    return this.flushing;
  }

  private async flushOnce(): Promise<void> {
    while (this.buffer.length > 0) {
      const batch = this.buffer.splice(0, this.batchSize);
      try {
        const withMethod = this.o.requestMethodColumn?.() ?? true;
        await retryOnConflict(() => writeBatch(this.o.db, batch, withMethod), 3);
        this.written += batch.length;
        this.markHealthy();
      } catch (err) {
        if (isRetryableLockError(err)) {
          // A lock conflict with another writer: keep the batch for the next flush.
          this.buffer.unshift(...batch);
          this.o.log.debug(
            { err: errorText(err), held: this.buffer.length },
            "result batch deferred after lock conflict",
          );
          return;
        }
        if (isConnectionError(err)) {
          this.buffer.unshift(...batch);
          this.markUnhealthy(err);
          return;
        }
        this.dropped += batch.length;
        this.o.log.error(
          { err: errorText(err), dropped: batch.length, dropped_total: this.dropped },
          "check results not written",
        );
        this.o.onDropped?.(batch.length);
      }
    }
  }

  private markUnhealthy(err: unknown): void {
    if (this.outage) {
      this.outage.failures++;
      return;
    }
    this.outage = { since: this.now(), failures: 1 };
    this.isHealthy = false;
    this.o.log.error({ err: errorText(err), held: this.buffer.length }, "mysql unreachable, checks paused");
    this.o.onHealthChange?.(false);
  }

  private markHealthy(): void {
    if (!this.outage) return;
    const { since, failures } = this.outage;
    this.outage = null;
    this.isHealthy = true;
    this.o.log.info(
      { outage_ms: this.now() - since, failed_flushes: failures, held: this.buffer.length },
      "mysql reachable again, checks resumed",
    );
    this.o.onHealthChange?.(true);
  }
}

/** `YYYY-MM-DD HH:MM:SS` in UTC, truncated to the second (MySQL would round a fraction up). */
export function sqlDateTime(d: Date): string {
  return d.toISOString().slice(0, 19).replace("T", " ");
}

function int(v: number): string {
  return Number.isFinite(v) ? String(Math.trunc(v)) : "NULL";
}

const DATETIME_RE = /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/;
const DATE_RE = /^\d{4}-\d{2}-\d{2}$/;
const METHOD_RE = /^[A-Z]{1,16}$/;

async function writeBatch(db: Db, batch: CheckRecord[], withMethod: boolean): Promise<void> {
  // Every value below is an integer or a date string checked against a strict pattern, so the
  // statement text is built directly: thousands of placeholders cost more than they protect.
  const values: string[] = [];
  const latest = new Map<number, string>();
  const expiry = new Map<string, number[]>();
  for (const r of batch) {
    const at = sqlDateTime(r.checkedAt);
    if (!DATETIME_RE.test(at)) continue;
    const method = withMethod ? `,'${METHOD_RE.test(r.requestMethod ?? "") ? r.requestMethod : "GET"}'` : "";
    values.push(
      `(${int(r.blogId)},${int(r.httpCode)},${int(r.errorCode)},${int(r.rttMs)},${int(r.dnsMs)},${int(r.tcpMs)},${int(r.tlsMs)},${int(r.ttfbMs)},'${at}'${method})`,
    );
    const prev = latest.get(r.siteId);
    if (prev === undefined || prev < at) latest.set(r.siteId, at);
    if (r.sslExpiryDate && DATE_RE.test(r.sslExpiryDate)) {
      const ids = expiry.get(r.sslExpiryDate) ?? [];
      ids.push(r.siteId);
      expiry.set(r.sslExpiryDate, ids);
    }
  }
  if (values.length === 0) return;
  const bySecond = new Map<string, number[]>();
  for (const [siteId, at] of latest) {
    const ids = bySecond.get(at) ?? [];
    ids.push(siteId);
    bySecond.set(at, ids);
  }
  await db.transaction(async (tx) => {
    await run(
      tx,
      sql.raw(
        `INSERT INTO jetmon_check_history (blog_id, http_code, error_code, rtt_ms, dns_ms, tcp_ms, tls_ms, ttfb_ms, checked_at${withMethod ? ", request_method" : ""}) VALUES ` +
          values.join(","),
      ),
    );
    for (const [at, ids] of bySecond) {
      await run(
        tx,
        sql.raw(
          `UPDATE jetpack_monitor_sites SET last_checked_at = '${at}' WHERE jetpack_monitor_site_id IN (${ids.map(int).join(",")})`,
        ),
      );
    }
    for (const [date, ids] of expiry) {
      await run(
        tx,
        sql.raw(
          `UPDATE jetpack_monitor_sites SET ssl_expiry_date = '${date}' WHERE jetpack_monitor_site_id IN (${ids.map(int).join(",")})`,
        ),
      );
    }
  });
}

/**
 * Deletes check history older than `retentionHours` in batches of `batchSize`, oldest first,
 * until a batch comes back short or `budgetMs` is spent. 0 hours keeps everything. Returns the
 * rows deleted.
 */
export async function pruneHistory(
  db: Db,
  retentionHours: number,
  opts: { batchSize?: number; budgetMs?: number; now?: () => number } = {},
): Promise<number> {
  if (!(retentionHours > 0)) return 0;
  const batch = Math.max(1, opts.batchSize ?? 5000);
  const now = opts.now ?? Date.now;
  const until = now() + (opts.budgetMs ?? 1000);
  const cutoff = sqlDateTime(new Date(now() - retentionHours * 3_600_000));
  let total = 0;
  for (;;) {
    const { affectedRows } = await run(
      db,
      sql`DELETE FROM jetmon_check_history WHERE checked_at < ${cutoff} ORDER BY checked_at LIMIT ${sql.raw(String(batch))}`,
    );
    total += affectedRows;
    if (affectedRows < batch || now() >= until) return total;
  }
}
