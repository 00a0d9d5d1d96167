/**
 * The lifecycle publisher every long-running mode shares (docs/design.md defect 6, docs/reference/dashboard-fleethealth.md §2.5):
 * a heartbeat row every interval, and on shutdown `stopping` then `stopped`, such that no
 * heartbeat already under way can land after either.
 *
 * How that is guaranteed:
 * - Every write goes through one queue, so writes never overlap and run in the order asked.
 * - A heartbeat that has not started when shutdown begins becomes a no-op.
 * - Each write runs in its own transaction and is bounded by `writeTimeoutMs`. When the bound
 *   passes, the write is abandoned: its statement is killed (db/sql.ts killableTransaction), and a write that
 *   finishes anyway is rolled back instead of committed. The queue moves on only once that
 *   transaction has settled (or a second bound has passed), so an abandoned heartbeat cannot
 *   commit behind the `stopping` row.
 */
import { sql } from "drizzle-orm";
import type { Db } from "../db/client.ts";
import { type Executor, killableTransaction } from "../db/sql.ts";
import { errorText } from "../error-text.ts";
import type { Logger } from "../log.ts";
import { systemTimers, type TimerHandle, type TimerSource } from "../timers.ts";
import { type SnapshotInput, processId as toProcessId, validateSnapshot } from "./snapshot.ts";
import { markStopped, upsertSnapshot } from "./store.ts";

/** Why `build` is called: a periodic beat (refresh figures) or the final `stopping` row. */
export type BuildPhase = "heartbeat" | "stopping";

export interface LifecyclePublisherOptions {
  db: Db;
  /** Heartbeat period (STATS_UPDATE_INTERVAL_MS); must be > 0. */
  intervalMs: number;
  /** Bound on each row write (default 2000 ms, as docs/reference/dashboard-fleethealth.md §2.5). */
  writeTimeoutMs?: number;
  /** Fresh figures for this beat. `state` defaults to running (a deliverer may say idle). */
  build: (phase: BuildPhase) => SnapshotInput | Promise<SnapshotInput>;
  log: Logger;
  now?: () => number;
  /** The heartbeat interval runs on these (default the system timers); `now` defaults to theirs. */
  timers?: TimerSource;
}

export interface ShutdownOptions {
  /** Runs after `stopping` is written and before `stopped` (e.g. drain the orchestrator). */
  beforeStopped?: () => Promise<void>;
  /**
   * Epoch ms (the drain deadline) until which a failed `stopped` write is retried; a failed
   * `stopping` is retried for a quarter of that window (at most 5 s) so the drain still runs.
   * Without it each is tried once.
   */
  deadline?: number;
}

/** Pause between retries of a lifecycle write that failed. */
const RETRY_PAUSE_MS = 250;

/**
 * Runs `work` in a transaction bounded by `timeoutMs`. Resolves when committed; rejects with
 * the error, or with `timed out after <n>ms` once the abandoned transaction has settled
 * (rolled back, or committed before the kill reached it) or a second bound has passed.
 */
export async function boundedWrite(
  db: Db,
  timeoutMs: number,
  work: (tx: Executor) => Promise<void>,
): Promise<void> {
  const ac = new AbortController();
  const timer = setTimeout(() => ac.abort(new Error(`timed out after ${timeoutMs}ms`)), timeoutMs);
  try {
    await killableTransaction(db, ac.signal, work, timeoutMs);
  } finally {
    clearTimeout(timer);
  }
}

export class LifecyclePublisher {
  private readonly db: Db;
  private readonly intervalMs: number;
  private readonly writeTimeoutMs: number;
  private readonly build: LifecyclePublisherOptions["build"];
  private readonly log: Logger;
  private readonly now: () => number;
  private readonly timers: TimerSource;
  private queue: Promise<unknown> = Promise.resolve();
  private timer: TimerHandle | undefined;
  private beatPending = false;
  private shuttingDown = false;
  private shutdownDone: Promise<void> | undefined;
  private last: SnapshotInput | undefined;
  private previousClosed = false;

  constructor(opts: LifecyclePublisherOptions) {
    if (!(Number.isFinite(opts.intervalMs) && opts.intervalMs > 0)) {
      throw new Error(`STATS_UPDATE_INTERVAL_MS must be > 0, got ${opts.intervalMs}`);
    }
    const writeTimeoutMs = opts.writeTimeoutMs ?? 2000;
    if (!(Number.isFinite(writeTimeoutMs) && writeTimeoutMs > 0)) {
      throw new Error(`process health write timeout must be > 0 ms, got ${writeTimeoutMs}`);
    }
    this.db = opts.db;
    this.intervalMs = opts.intervalMs;
    this.writeTimeoutMs = writeTimeoutMs;
    this.build = opts.build;
    this.log = opts.log;
    const timers = opts.timers ?? systemTimers;
    this.timers = timers;
    this.now = opts.now ?? (() => timers.now());
  }

  /** Beats now and then every interval. A beat still queued when the next is due is not doubled. */
  start(): void {
    if (this.timer || this.shuttingDown) return;
    const tick = () => {
      if (this.beatPending) return;
      this.beatPending = true;
      void this.publishNow().finally(() => {
        this.beatPending = false;
      });
    };
    this.timer = this.timers.setInterval(tick, this.intervalMs);
    tick();
  }

  /** One heartbeat, queued behind any write in flight. Resolves true when a row was written. */
  publishNow(): Promise<boolean> {
    return this.enqueue(async () => {
      if (this.shuttingDown) return false;
      let input: SnapshotInput;
      try {
        input = await this.build("heartbeat");
      } catch (err) {
        this.log.warn({ err: errorText(err) }, "process health snapshot failed");
        return false;
      }
      try {
        validateSnapshot(input, this.now());
      } catch (err) {
        this.fail(err, input.process_id ?? toProcessId(input.host_id ?? "", input.process_type ?? ""), "");
        return false;
      }
      // Only a valid snapshot is kept for the final `stopping` row.
      this.last = input;
      // The build may have taken a while; shutdown may have begun meanwhile.
      if (this.shuttingDown) return false;
      if (!this.previousClosed) {
        if (!(await this.closePreviousRun(input))) return false;
        this.previousClosed = true;
      }
      return this.write({ ...input, state: input.state || "running" });
    });
  }

  /**
   * Stops the beats and writes `stopping`, then (after `beforeStopped`) `stopped`. Any heartbeat
   * in flight completes or is abandoned first. Never throws; failures are logged. Idempotent.
   */
  shutdown(opts: ShutdownOptions = {}): Promise<void> {
    if (this.shutdownDone) return this.shutdownDone;
    this.shuttingDown = true;
    this.timers.clearInterval(this.timer);
    this.timer = undefined;
    this.shutdownDone = (async () => {
      const start = this.now();
      const deadline = opts.deadline ?? start;
      const stoppingBy = start + Math.min(5000, Math.max(0, deadline - start) / 4);
      const id = await this.enqueue(() => this.writeStopping(stoppingBy));
      if (opts.beforeStopped) {
        try {
          await opts.beforeStopped();
        } catch (err) {
          this.log.error({ err: errorText(err) }, "shutdown step failed");
        }
      }
      await this.enqueue(() => this.writeStopped(id, deadline));
    })();
    return this.shutdownDone;
  }

  /** Runs `attempt` until it succeeds or `until` (epoch ms) has passed; at least once. */
  private async retryUntil(until: number, attempt: () => Promise<boolean>): Promise<boolean> {
    for (let n = 1; ; n++) {
      if (await attempt()) {
        if (n > 1) this.log.info({ attempts: n }, "process health write succeeded after retries");
        return true;
      }
      const left = until - this.now();
      if (left <= 0) return false;
      await Bun.sleep(Math.min(RETRY_PAUSE_MS, left));
    }
  }

  private async writeStopping(until: number): Promise<string> {
    let input = this.last;
    try {
      input = await this.build("stopping");
    } catch (err) {
      this.log.warn({ err: errorText(err) }, "process health snapshot failed");
    }
    if (!input) return "";
    this.last = input;
    // A process on its way out is never reported green (docs/reference/dashboard-fleethealth.md §4.2).
    const row = { ...input, state: "stopping", health_status: "amber" as const };
    await this.retryUntil(until, () => this.write(row));
    return input.process_id?.trim() || toProcessId(input.host_id ?? "", input.process_type ?? "");
  }

  private async writeStopped(id: string, until: number): Promise<void> {
    if (!id) return;
    await this.retryUntil(until, async () => {
      try {
        await boundedWrite(this.db, this.writeTimeoutMs, (tx) => markStopped(tx, id, this.now()));
        return true;
      } catch (err) {
        this.fail(err, id, "stopped");
        return false;
      }
    });
  }

  /**
   * Before this run's first row: a row for the same process id left `running` or `stopping` by
   * an earlier run (its `stopped` never reached MySQL) gets that transition now, so the fleet
   * page never shows the dead run as live. False when MySQL could not be asked (the beat waits).
   */
  private async closePreviousRun(input: SnapshotInput): Promise<boolean> {
    const id = input.process_id?.trim() || toProcessId(input.host_id ?? "", input.process_type ?? "");
    try {
      const [rows] = (await this.db.execute(
        sql`SELECT state, pid, UNIX_TIMESTAMP(started_at) AS started FROM jetmon_process_health WHERE process_id = ${id}`,
      )) as unknown as [{ state: string; pid: number; started: number | string | null }[]];
      const prev = rows[0];
      if (!prev || prev.state === "stopped") return true;
      const ours = input.started_at ? Math.floor(input.started_at.getTime() / 1000) : null;
      if (ours !== null && Math.floor(Number(prev.started)) === ours) return true;
      await boundedWrite(this.db, this.writeTimeoutMs, (tx) => markStopped(tx, id, this.now()));
      this.log.warn(
        { process_id: id, previous_state: prev.state, previous_pid: Number(prev.pid) },
        "previous run's lifecycle row was not stopped, stopped written before running",
      );
      return true;
    } catch (err) {
      this.fail(err, id, "stopped");
      return false;
    }
  }

  private async write(input: SnapshotInput): Promise<boolean> {
    const now = this.now();
    try {
      await boundedWrite(this.db, this.writeTimeoutMs, async (tx) => {
        await upsertSnapshot(tx, { ...input, updated_at: new Date(now) }, now);
      });
      return true;
    } catch (err) {
      const id = input.process_id || toProcessId(input.host_id ?? "", input.process_type ?? "");
      this.fail(err, id, input.state ?? "");
      return false;
    }
  }

  private fail(err: unknown, processId: string, state: string): void {
    const abandoned = errorText(err).startsWith("timed out after");
    this.log.warn(
      { process_id: processId, state, err: errorText(err) },
      abandoned ? "process health write abandoned" : "process health write failed",
    );
  }

  private enqueue<T>(task: () => Promise<T>): Promise<T> {
    const next = this.queue.then(task, task);
    this.queue = next.catch(() => {});
    return next;
  }
}
