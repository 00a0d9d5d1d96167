/**
 * The lifecycle publisher every long-running mode shares (docs/design.md defect 6, docs/reference/dashboard-fleethealth.md §2.5):
 * a heartbeat row every interval, and on shutdown `stopping` then `stopped`, such that no
 * heartbeat already under way can land after either.
 *
 * How that is guaranteed:
 * - Every write goes through one queue, so writes never overlap and run in the order asked.
 * - A heartbeat that has not started when shutdown begins becomes a no-op.
 * - Each write runs in its own transaction and is bounded by `writeTimeoutMs`. When the bound
 *   passes, the write is abandoned: its statement is killed (`KILL QUERY`), and a write that
 *   finishes anyway is rolled back instead of committed. The queue moves on only once that
 *   transaction has settled (or a second bound has passed), so an abandoned heartbeat cannot
 *   commit behind the `stopping` row.
 */
import { sql } from "drizzle-orm";
import type { Db } from "../db/client.ts";
import { errorText } from "../error-text.ts";
import type { Logger } from "../log.ts";
import { type SnapshotInput, processId as toProcessId, validateSnapshot } from "./snapshot.ts";
import { type Executor, markStopped, upsertSnapshot } from "./store.ts";

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
}

export interface ShutdownOptions {
  /** Runs after `stopping` is written and before `stopped` (e.g. drain the orchestrator). */
  beforeStopped?: () => Promise<void>;
}

class AbandonedWrite extends Error {}

function delay(ms: number): { promise: Promise<"timeout">; cancel: () => void } {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const promise = new Promise<"timeout">((resolve) => {
    timer = setTimeout(() => resolve("timeout"), ms);
  });
  return { promise, cancel: () => clearTimeout(timer) };
}

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
  let abandoned = false;
  let connectionId: number | null = null;
  const run = db.transaction(async (tx) => {
    const [rows] = (await tx.execute(sql`SELECT CONNECTION_ID() AS id`)) as unknown as [{ id: number }[]];
    connectionId = Number(rows[0]?.id);
    if (abandoned) throw new AbandonedWrite();
    await work(tx);
    // Never commit a write the caller has already given up on.
    if (abandoned) throw new AbandonedWrite();
  });
  const outcome = run.then(
    () => ({ ok: true as const }),
    (err: unknown) => ({ ok: false as const, err }),
  );
  const first = delay(timeoutMs);
  const result = await Promise.race([outcome, first.promise]);
  first.cancel();
  if (result !== "timeout") {
    if (result.ok) return;
    throw result.err;
  }
  abandoned = true;
  if (connectionId !== null && Number.isSafeInteger(connectionId)) {
    const killBound = delay(timeoutMs);
    await Promise.race([
      db.execute(sql.raw(`KILL QUERY ${connectionId}`)).catch(() => {}),
      killBound.promise,
    ]);
    killBound.cancel();
  }
  const settleBound = delay(timeoutMs);
  await Promise.race([outcome, settleBound.promise]);
  settleBound.cancel();
  throw new Error(`timed out after ${timeoutMs}ms`);
}

export class LifecyclePublisher {
  private readonly db: Db;
  private readonly intervalMs: number;
  private readonly writeTimeoutMs: number;
  private readonly build: LifecyclePublisherOptions["build"];
  private readonly log: Logger;
  private readonly now: () => number;
  private queue: Promise<unknown> = Promise.resolve();
  private timer: ReturnType<typeof setInterval> | undefined;
  private beatPending = false;
  private shuttingDown = false;
  private shutdownDone: Promise<void> | undefined;
  private last: SnapshotInput | undefined;

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
    this.now = opts.now ?? Date.now;
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
    this.timer = setInterval(tick, this.intervalMs);
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
    clearInterval(this.timer);
    this.timer = undefined;
    this.shutdownDone = (async () => {
      const id = await this.enqueue(() => this.writeStopping());
      if (opts.beforeStopped) {
        try {
          await opts.beforeStopped();
        } catch (err) {
          this.log.error({ err: errorText(err) }, "shutdown step failed");
        }
      }
      await this.enqueue(() => this.writeStopped(id));
    })();
    return this.shutdownDone;
  }

  private async writeStopping(): Promise<string> {
    let input = this.last;
    try {
      input = await this.build("stopping");
    } catch (err) {
      this.log.warn({ err: errorText(err) }, "process health snapshot failed");
    }
    if (!input) return "";
    this.last = input;
    // A process on its way out is never reported green (docs/reference/dashboard-fleethealth.md §4.2).
    await this.write({ ...input, state: "stopping", health_status: "amber" });
    return input.process_id?.trim() || toProcessId(input.host_id ?? "", input.process_type ?? "");
  }

  private async writeStopped(id: string): Promise<void> {
    if (!id) return;
    try {
      await boundedWrite(this.db, this.writeTimeoutMs, (tx) => markStopped(tx, id, this.now()));
    } catch (err) {
      this.fail(err, id, "stopped");
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
