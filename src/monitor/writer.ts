import { sql } from "drizzle-orm";
import type { Db } from "../db/client.ts";
import { classifyWriteError, isRetryableLockError, isUnreachableError, mysqlErrno } from "../db/errors.ts";
import { retryOnConflict, run, selectRows } from "../db/sql.ts";
import { errorText } from "../error-text.ts";
import type { Logger } from "../log.ts";
import { sleepOn, systemTimers, type TimerHandle, type TimerSource } from "../timers.ts";
import { HistoryFilter, type HistoryMode } from "./history-mode.ts";

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
  /** The check's verdict (CheckResult.success inverted); CHECK_HISTORY_MODE=changes reads it. */
  failed?: boolean;
  /** False: only last_checked_at is written, no history row (set by CHECK_HISTORY_MODE). */
  history?: boolean;
}

export interface WriterOptions {
  db: Db;
  log: Logger;
  now?: () => number;
  /** The flush interval and the stop retries run on these (default the system timers). */
  timers?: TimerSource;
  /** Rows per statement/transaction (default 2000). */
  batchSize?: number;
  /** Most results held while writes fail (HELD_RESULTS_MAX); default unbounded. */
  maxHeld?: () => number;
  /** Called when MySQL becomes unreachable (false) and reachable again (true). */
  onHealthChange?: (healthy: boolean) => void;
  /** Called once per dropped (poison) record count. */
  onDropped?: (count: number) => void;
  /** Called once when a write fails with a schema mismatch: the monitor stops checking. */
  onFatal?: (err: unknown) => void;
  /** Called after a flush pass wrote something (the hold has room again). */
  onWritten?: () => void;
  /** Whether jetmon_check_history has request_method (a Go-migrated database may not); default yes. */
  requestMethodColumn?: () => boolean;
  /** CHECK_HISTORY_MODE and CHECK_HISTORY_SAMPLE_MIN, read at every add (default: every row). */
  historyMode?: () => { mode: HistoryMode; sampleMin: number };
}

/**
 * Buffers results and writes them in batches: one multi-row history INSERT and one
 * `UPDATE ... WHERE jetpack_monitor_site_id IN (...)` per distinct second, in one transaction
 * per batch, so a batch is written whole or not at all.
 *
 * A failed write is classified by its MySQL error number (db/errors.ts classifyWriteError):
 * - transient: the batch goes back to the head of the buffer and every later flush retries.
 *   When MySQL is unreachable (refused, lost, timed out) `healthy` turns false and the
 *   scheduler pauses checks; when it answers but refuses writes (read-only, disk full) checks go
 *   on until `full`. Either is logged once, and so is the recovery.
 * - poison: the batch is split until the row MySQL refuses is alone; that row is dropped and
 *   logged with its site, the rest is written.
 * - fatal: the results stay held, `fatal` is set, onFatal is called and flushing stops.
 * A batch that failed in a way that may have committed (a lost reply) is written next time
 * only for the rows MySQL does not already hold, so a retry never doubles history.
 */
export class ResultWriter {
  private buffer: CheckRecord[] = [];
  private flushing: Promise<void> | null = null;
  private isHealthy = true;
  private outage: { since: number; failures: number } | null = null;
  private refusal: { since: number; failures: number; text: string } | null = null;
  private fatalError: string | null = null;
  /** How many records at the head may already be in MySQL (an attempt ended without an answer). */
  private uncertainRows = 0;
  private written = 0;
  /** Records taken off the buffer by the write under way. */
  private writingRows = 0;
  private dropped = 0;
  private readonly batchSize: number;
  private readonly now: () => number;
  private readonly timers: TimerSource;
  private timer: TimerHandle | null = null;
  private readonly history: HistoryFilter | null;

  constructor(private readonly o: WriterOptions) {
    this.batchSize = Math.max(1, o.batchSize ?? 2000);
    this.timers = o.timers ?? systemTimers;
    this.now = o.now ?? (() => this.timers.now());
    this.history = o.historyMode ? new HistoryFilter(o.historyMode) : null;
  }

  add(rec: CheckRecord): void {
    if (this.history && !this.history.keep(rec.siteId, rec)) rec.history = false;
    this.buffer.push(rec);
  }

  /** The site left this host (CHECK_HISTORY_MODE=changes forgets its last outcome). */
  forgetSite(siteId: number): void {
    this.history?.forget(siteId);
  }

  /** Puts records (a replayed journal) ahead of everything buffered; they may already be written. */
  restore(recs: CheckRecord[]): void {
    this.buffer.unshift(...recs);
    this.uncertainRows += recs.length;
  }

  /** Hands over every held record and forgets them (the journal spool at shutdown). */
  takeHeld(): CheckRecord[] {
    const out = this.buffer;
    this.buffer = [];
    this.uncertainRows = 0;
    return out;
  }

  /** Results not yet written: buffered, or in the write under way. */
  get pending(): number {
    return this.buffer.length + this.writingRows;
  }

  /** At the hold's bound: the scheduler stops dispatching until writes succeed. */
  get full(): boolean {
    const max = this.o.maxHeld?.() ?? Number.POSITIVE_INFINITY;
    return this.pending >= max;
  }

  get healthy(): boolean {
    return this.isHealthy && this.fatalError === null;
  }

  /** Why writes fail right now, in the server's words; null while they succeed. */
  get writeProblem(): string | null {
    return this.fatalError ?? this.refusal?.text ?? null;
  }

  get fatal(): boolean {
    return this.fatalError !== null;
  }

  get totals(): { written: number; dropped: number } {
    return { written: this.written, dropped: this.dropped };
  }

  /** Flushes every `intervalMs` (default 1 s) until `stop`. */
  start(intervalMs = 1000): void {
    if (this.timer) return;
    this.timer = this.timers.setInterval(() => void this.flush(), intervalMs);
  }

  /** Stops the timer and writes what is buffered, retrying until done or `deadline` (epoch ms). */
  async stop(deadline: number): Promise<boolean> {
    if (this.timer) this.timers.clearInterval(this.timer);
    this.timer = null;
    for (;;) {
      await this.flush();
      if (this.buffer.length === 0) return true;
      if (this.fatalError || this.now() >= deadline) return false;
      await sleepOn(this.timers, Math.min(500, Math.max(10, deadline - this.now())));
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
    let wrote = false;
    try {
      while (this.buffer.length > 0 && !this.fatalError) {
        const batch = this.buffer.splice(0, this.batchSize);
        // Still held while the write is under way: `full` must not open for that moment.
        this.writingRows = batch.length;
        let ok: boolean;
        try {
          ok = await this.writeSplitting(batch);
        } finally {
          this.writingRows = 0;
        }
        if (!ok) return;
        wrote = true;
        this.markHealthy();
      }
    } finally {
      if (wrote) this.o.onWritten?.();
    }
  }

  /**
   * Writes `batch`, halving it around poison rows until each is alone and dropped. Returns false
   * (with every unwritten record back at the head of the buffer) on a transient or fatal error.
   */
  private async writeSplitting(batch: CheckRecord[]): Promise<boolean> {
    const parts: CheckRecord[][] = [batch];
    while (parts.length > 0) {
      const part = parts.shift() as CheckRecord[];
      try {
        const dedupe = this.uncertainRows > 0;
        const withMethod = this.o.requestMethodColumn?.() ?? true;
        await retryOnConflict(() => writeBatch(this.o.db, part, dedupe, withMethod), 3);
        this.uncertainRows = Math.max(0, this.uncertainRows - part.length);
        this.written += part.length;
      } catch (err) {
        const kind = classifyWriteError(err);
        if (kind === "poison" && part.length > 1) {
          const mid = Math.ceil(part.length / 2);
          parts.unshift(part.slice(0, mid), part.slice(mid));
          continue;
        }
        if (kind === "poison") {
          this.dropPoison(part[0] as CheckRecord, err);
          continue;
        }
        this.buffer.unshift(...part, ...parts.flat());
        // Without an answer the transaction may have committed; with a refusal it did not.
        if (isUnreachableError(err)) this.uncertainRows = Math.max(this.uncertainRows, part.length);
        if (kind === "fatal") this.markFatal(err);
        else if (isRetryableLockError(err)) {
          this.o.log.debug(
            { err: errorText(err), held: this.buffer.length },
            "result batch deferred after lock conflict",
          );
        } else if (isUnreachableError(err)) this.markUnhealthy(err);
        else this.markRefused(err);
        return false;
      }
    }
    return true;
  }

  private dropPoison(rec: CheckRecord, err: unknown): void {
    this.dropped++;
    this.o.log.error(
      {
        site_id: rec.siteId,
        blog_id: rec.blogId,
        checked_at: rec.checkedAt.toISOString(),
        errno: mysqlErrno(err),
        err: errorText(err),
        dropped_total: this.dropped,
      },
      "check result refused by mysql, row dropped",
    );
    this.o.onDropped?.(1);
  }

  private markFatal(err: unknown): void {
    if (this.fatalError) return;
    this.fatalError = errorText(err);
    if (this.timer) this.timers.clearInterval(this.timer);
    this.timer = null;
    this.o.log.error(
      { errno: mysqlErrno(err), err: this.fatalError, held: this.buffer.length },
      "check results cannot be written (schema mismatch), checking stopped",
    );
    this.o.onFatal?.(err);
  }

  private markRefused(err: unknown): void {
    const text = errorText(err);
    if (this.refusal) {
      this.refusal.failures++;
      this.refusal.text = text;
      return;
    }
    this.refusal = { since: this.now(), failures: 1, text };
    this.o.log.error(
      { errno: mysqlErrno(err), err: text, held: this.buffer.length },
      "mysql refuses writes, results held",
    );
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
    if (this.refusal) {
      const { since, failures } = this.refusal;
      this.refusal = null;
      this.o.log.info(
        { refused_ms: this.now() - since, failed_flushes: failures, held: this.buffer.length },
        "mysql accepts writes again",
      );
    }
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

/** A history row's identity for the retry check: every column the writer sets. */
function historyKey(blogId: unknown, http: unknown, err: unknown, rtt: unknown, at: string): string {
  return `${Number(blogId)}|${Number(http)}|${Number(err)}|${Number(rtt)}|${at}`;
}

/**
 * The rows of `values` (keyed as historyKey) that jetmon_check_history does not hold yet, for a
 * batch whose previous attempt may have committed without an answer. The sites' rows are locked
 * first: a stale transaction from the lost connection holds them until it commits or rolls back,
 * so what this reads is final.
 */
async function notYetWritten(
  tx: Parameters<Parameters<Db["transaction"]>[0]>[0],
  values: { key: string; blogId: number; at: string; text: string }[],
  siteIds: number[],
): Promise<string[]> {
  await run(
    tx,
    sql.raw(
      `SELECT jetpack_monitor_site_id FROM jetpack_monitor_sites WHERE jetpack_monitor_site_id IN (${siteIds.map(int).join(",")}) FOR UPDATE`,
    ),
  );
  const pairs = values.map((v) => `(${int(v.blogId)},'${v.at}')`).join(",");
  const found = await selectRows<{
    blog_id: number;
    http_code: number;
    error_code: number;
    rtt_ms: number;
    at: string;
  }>(
    tx,
    sql.raw(
      `SELECT blog_id, http_code, error_code, rtt_ms, CAST(checked_at AS CHAR) AS at FROM jetmon_check_history WHERE (blog_id, checked_at) IN (${pairs})`,
    ),
  );
  const present = new Map<string, number>();
  for (const f of found) {
    const k = historyKey(f.blog_id, f.http_code, f.error_code, f.rtt_ms, String(f.at).slice(0, 19));
    present.set(k, (present.get(k) ?? 0) + 1);
  }
  const out: string[] = [];
  for (const v of values) {
    const n = present.get(v.key) ?? 0;
    if (n > 0) present.set(v.key, n - 1);
    else out.push(v.text);
  }
  return out;
}

async function writeBatch(db: Db, batch: CheckRecord[], dedupe: boolean, withMethod: boolean): Promise<void> {
  // Every value below is an integer or a date string checked against a strict pattern, so the
  // statement text is built directly: thousands of placeholders cost more than they protect.
  const values: string[] = [];
  const keyed: { key: string; blogId: number; at: string; text: string }[] = [];
  const latest = new Map<number, string>();
  const expiry = new Map<string, number[]>();
  for (const r of batch) {
    const at = sqlDateTime(r.checkedAt);
    if (!DATETIME_RE.test(at)) continue;
    const prev = latest.get(r.siteId);
    if (prev === undefined || prev < at) latest.set(r.siteId, at);
    if (r.sslExpiryDate && DATE_RE.test(r.sslExpiryDate)) {
      const ids = expiry.get(r.sslExpiryDate) ?? [];
      ids.push(r.siteId);
      expiry.set(r.sslExpiryDate, ids);
    }
    if (r.history === false) continue;
    const method = withMethod ? `,'${METHOD_RE.test(r.requestMethod ?? "") ? r.requestMethod : "GET"}'` : "";
    const text = `(${int(r.blogId)},${int(r.httpCode)},${int(r.errorCode)},${int(r.rttMs)},${int(r.dnsMs)},${int(r.tcpMs)},${int(r.tlsMs)},${int(r.ttfbMs)},'${at}'${method})`;
    values.push(text);
    if (dedupe) {
      keyed.push({
        key: historyKey(int(r.blogId), int(r.httpCode), int(r.errorCode), int(r.rttMs), at),
        blogId: r.blogId,
        at,
        text,
      });
    }
  }
  if (latest.size === 0) return;
  const bySecond = new Map<string, number[]>();
  for (const [siteId, at] of latest) {
    const ids = bySecond.get(at) ?? [];
    ids.push(siteId);
    bySecond.set(at, ids);
  }
  await db.transaction(async (tx) => {
    const rows = dedupe && keyed.length > 0 ? await notYetWritten(tx, keyed, [...latest.keys()]) : values;
    if (rows.length > 0) {
      await run(
        tx,
        sql.raw(
          `INSERT INTO jetmon_check_history (blog_id, http_code, error_code, rtt_ms, dns_ms, tcp_ms, tls_ms, ttfb_ms, checked_at${withMethod ? ", request_method" : ""}) VALUES ` +
            rows.join(","),
        ),
      );
    }
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
