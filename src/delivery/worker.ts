/**
 * A delivery worker: two loops, dispatch (transitions → queued deliveries) and deliver (claim →
 * attempt → record), each ticking every poll interval and never overlapping itself
 * (docs/reference/deliverer.md §3.5, §6). Attempts run concurrently up to `maxConcurrent`, at most `perSubscriberCap` per
 * subscriber. `stop()` stops both loops from claiming and then waits for the attempts already
 * in flight to finish and be recorded, so a shutdown never strands a leased row.
 */
import type { Db } from "../db/client.ts";
import { errorText } from "../error-text.ts";
import type { Logger } from "../log.ts";
import type { Clock } from "../time.ts";
import { attemptAlert } from "./alert-attempt.ts";
import {
  alertDispatchSpec,
  type DispatchResult,
  type DispatchSpec,
  dispatchOnce,
  webhookDispatchSpec,
} from "./dispatch.ts";
import type { FetchFn } from "./http-post.ts";
import { ALERT_TABLES, type KindTables, WEBHOOK_TABLES } from "./kinds.ts";
import type { AlertDispatchers } from "./notification.ts";
import { ensureProgress } from "./progress.ts";
import { type ClaimedDelivery, claimDue, type Outcome, type RecordedStatus, recordOutcome } from "./queue.ts";
import { RateWindow } from "./rate-window.ts";
import { Slots } from "./slots.ts";
import { attemptWebhook } from "./webhook-attempt.ts";

export interface WorkerOptions {
  db: Db;
  /** Names this process's progress rows; the hostname in production. */
  instanceId: string;
  log: Logger;
  now?: Clock;
  /** Default 1000 ms for both loops. */
  pollIntervalMs?: number;
  /** Most attempts in flight at once in this worker; default 50. */
  maxConcurrent?: number;
  /** Most attempts in flight per webhook or contact; default 3. */
  perSubscriberCap?: number;
  /** Transitions read per dispatch pass; default 200. */
  batchSize?: number;
  /** How long a claimed row stays leased; default the larger of 60 s and twice the attempt timeout. */
  leaseMs?: number;
  /** See DispatchOptions.settleMs; default 2000 ms. */
  settleMs?: number;
  /** Where a new instance resumes (`DELIVERY_REPLAY_FROM`); null = the current maximum. */
  replayFrom?: number | null;
}

interface WorkerKind {
  tables: KindTables;
  dispatch: DispatchSpec;
  attempt(d: ClaimedDelivery): Promise<Outcome>;
  attemptTimeoutMs: number;
  startedMessage: string;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** The longest pause between tries to record an outcome. */
const RECORD_RETRY_MAX_MS = 2000;

export class DeliveryWorker {
  private readonly now: Clock;
  private readonly interval: number;
  private readonly maxConcurrent: number;
  private readonly leaseMs: number;
  private readonly slots: Slots;
  private readonly inFlight = new Set<Promise<void>>();
  private readonly timers = new Map<string, ReturnType<typeof setTimeout>>();
  private readonly ticks = new Map<string, Promise<void>>();
  private stopping = false;
  private started = false;

  constructor(
    private readonly kind: WorkerKind,
    private readonly o: WorkerOptions,
  ) {
    this.now = o.now ?? Date.now;
    this.interval = o.pollIntervalMs ?? 1000;
    this.maxConcurrent = o.maxConcurrent ?? 50;
    this.leaseMs = o.leaseMs ?? Math.max(60_000, 2 * kind.attemptTimeoutMs);
    this.slots = new Slots(o.perSubscriberCap ?? 3);
  }

  get tables(): KindTables {
    return this.kind.tables;
  }

  /** Attempts currently running. */
  get inFlightCount(): number {
    return this.inFlight.size;
  }

  /** Creates the progress row if needed, then starts both loops; the first tick is one interval away. */
  async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    await ensureProgress(
      this.o.db,
      this.kind.tables,
      this.o.instanceId,
      this.o.replayFrom ?? null,
      this.o.log,
    );
    this.loop("dispatcher", () => this.dispatchOnce().then(() => {}));
    this.loop("deliverer", () => this.deliverOnce().then(() => {}));
    this.o.log.info({ instance_id: this.o.instanceId }, this.kind.startedMessage);
  }

  private loop(name: string, tick: () => Promise<void>): void {
    const prefix = this.kind.tables.logPrefix;
    const run = () => {
      this.timers.delete(name);
      if (this.stopping) return;
      const p = tick()
        .catch((err) =>
          this.o.log.error({ err: errorText(err) }, `${prefix}: ${name} tick error: ${errorText(err)}`),
        )
        .finally(() => {
          this.ticks.delete(name);
          if (!this.stopping) this.timers.set(name, setTimeout(run, this.interval));
        });
      this.ticks.set(name, p);
    };
    this.timers.set(name, setTimeout(run, this.interval));
  }

  /** One dispatch pass (also what the loop runs). */
  async dispatchOnce(): Promise<DispatchResult> {
    return dispatchOnce(this.o.db, this.kind.dispatch, {
      instanceId: this.o.instanceId,
      batchSize: this.o.batchSize ?? 200,
      settleMs: this.o.settleMs ?? 2000,
      now: this.now,
      log: this.o.log,
    });
  }

  /** One claim pass: leases what can start now and starts it. Returns how many started. */
  async deliverOnce(): Promise<number> {
    if (this.stopping) return 0;
    const free = this.maxConcurrent - this.inFlight.size;
    if (free <= 0) return 0;
    // On the wall clock: how long this process may keep trying to record what it sent.
    const leaseEndsAt = Date.now() + this.leaseMs;
    const claimed = await claimDue(this.o.db, this.kind.tables, {
      now: this.now(),
      limit: free,
      leaseMs: this.leaseMs,
      capacity: (id) => this.slots.free(id),
      saturated: this.slots.saturated(),
    });
    for (const d of claimed) {
      this.slots.acquire(d.subscriberId);
      this.startAttempt(d, leaseEndsAt);
    }
    return claimed.length;
  }

  private startAttempt(d: ClaimedDelivery, leaseEndsAt: number): void {
    const p: Promise<void> = this.runAttempt(d, leaseEndsAt).finally(() => {
      this.slots.release(d.subscriberId);
      this.inFlight.delete(p);
    });
    this.inFlight.add(p);
  }

  private async runAttempt(d: ClaimedDelivery, leaseEndsAt: number): Promise<void> {
    let out: Outcome;
    try {
      out = await this.kind.attempt(d);
    } catch (err) {
      out = { kind: "failed", statusCode: 0, response: `attempt: ${errorText(err)}` };
    }
    const status = await this.record(d, out, leaseEndsAt);
    this.o.log.info(
      {
        kind: this.kind.tables.kind,
        delivery_id: d.id,
        subscriber_id: d.subscriberId,
        transition_id: d.transitionId,
        attempt: d.attempt + 1,
        outcome: out.kind,
        status: status ?? "unrecorded",
        status_code: out.statusCode,
        ...(out.kind === "delivered" ? {} : { response: out.response.slice(0, 300) }),
      },
      `${this.kind.tables.logPrefix}: delivery attempt`,
    );
  }

  /**
   * Writes the outcome of an attempt that has been made. A lost write would leave the row leased
   * and send it again once the lease runs out, so a failed write (MySQL down or restarting, a
   * dead pooled connection: the pool drops it and the next try gets another, a reply lost with
   * mysqld killed: the commit may not have survived its crash recovery) is retried, 250 ms
   * doubling to 2 s apart, until the lease is over. Once stopping, three tries, so a shutdown
   * stays bounded. Undefined when no try got through; `lost` after a failed try can also mean
   * that try's write had landed.
   */
  private async record(
    d: ClaimedDelivery,
    out: Outcome,
    leaseEndsAt: number,
  ): Promise<RecordedStatus | undefined> {
    for (let i = 1; ; i++) {
      try {
        return await recordOutcome(this.o.db, this.kind.tables, d, out, this.now());
      } catch (err) {
        const wait = Math.min(RECORD_RETRY_MAX_MS, 250 * 2 ** (i - 1));
        const last = (this.stopping && i >= 3) || Date.now() + wait >= leaseEndsAt;
        // Tries 1, 2, 4, 8 …: an outage of a minute is a handful of lines per attempt.
        if (last || (i & (i - 1)) === 0) {
          this.o.log.error(
            { delivery_id: d.id, err: errorText(err), try: i, ...(last ? { gave_up: true } : {}) },
            `${this.kind.tables.logPrefix}: record delivery outcome failed`,
          );
        }
        if (last) return undefined;
        await sleep(wait);
      }
    }
  }

  /** Waits for the attempts in flight now (and any they were racing with). */
  async idle(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.all([...this.inFlight]);
  }

  /** Stops claiming, lets running ticks and attempts finish, and returns once all are recorded. */
  async stop(): Promise<void> {
    this.stopping = true;
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
    await Promise.all([...this.ticks.values()]);
    await this.idle();
  }
}

export interface WebhookWorkerOptions extends WorkerOptions {
  fetch?: FetchFn;
  /** Whole-request timeout; default 30 s. */
  httpTimeoutMs?: number;
  userAgent?: string;
}

export function createWebhookWorker(o: WebhookWorkerOptions): DeliveryWorker {
  const now = o.now ?? Date.now;
  const timeoutMs = o.httpTimeoutMs ?? 30_000;
  const deps = {
    db: o.db,
    fetch: o.fetch ?? fetch,
    now,
    timeoutMs,
    userAgent: o.userAgent ?? "jetmon2-deliverer",
  };
  return new DeliveryWorker(
    {
      tables: WEBHOOK_TABLES,
      dispatch: webhookDispatchSpec(WEBHOOK_TABLES, o.log),
      attempt: (d) => attemptWebhook(deps, d),
      attemptTimeoutMs: timeoutMs,
      startedMessage: "webhooks: delivery worker started",
    },
    { ...o, now },
  );
}

export interface AlertWorkerOptions extends WorkerOptions {
  dispatchers: AlertDispatchers;
  /** Bound on one transport send; default 30 s. */
  dispatchTimeoutMs?: number;
}

export function createAlertWorker(o: AlertWorkerOptions): DeliveryWorker {
  const now = o.now ?? Date.now;
  const timeoutMs = o.dispatchTimeoutMs ?? 30_000;
  const deps = { db: o.db, dispatchers: o.dispatchers, rate: new RateWindow(now), timeoutMs, log: o.log };
  return new DeliveryWorker(
    {
      tables: ALERT_TABLES,
      dispatch: alertDispatchSpec(ALERT_TABLES, o.log),
      attempt: (d) => attemptAlert(deps, d),
      attemptTimeoutMs: timeoutMs,
      startedMessage: `alerting: delivery worker started (transports=${Object.keys(o.dispatchers).length})`,
    },
    { ...o, now },
  );
}
