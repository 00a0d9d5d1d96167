/**
 * Monitor mode's engine: owns the host's buckets, keeps the host's sites in an in-memory
 * schedule, keeps the check pool full with due sites, hands results to the writer and the
 * incident lifecycle, and measures what it does (docs/design.md §6, scheduling and speed).
 *
 * A "round" here is a sweep: it ends when every site of the host has been checked once since
 * the sweep began, so its duration says how stale the oldest site got (about the check
 * interval when the host keeps up) and its sites/sec is what the host really did.
 */
import { blankResult } from "../check/check.ts";
import { CheckError, isFailedResult } from "../check/errors.ts";
import type { CheckRequest, CheckResult } from "../check/types.ts";
import type { Config } from "../config/schema.ts";
import { pinnedBucketRange } from "../config/validate.ts";
import type { Db } from "../db/client.ts";
import { LATEST_MIGRATION_ID } from "../db/migrations.ts";
import {
  ALL_OPTIONAL_COLUMNS,
  missingColumns,
  type OptionalColumns,
  probeOptionalColumns,
} from "../db/schema-state.ts";
import { errorText } from "../error-text.ts";
import { countProjectionDrift } from "../events/drift.ts";
import { openEventsForBlogs } from "../events/index.ts";
import type { Logger } from "../log.ts";
import { BucketMetric, DriftMetric, RoundMetric, WpcomMetric } from "../metrics/names.ts";
import { writeStatsFiles } from "../metrics/stats-files.ts";
import type { Metrics } from "../metrics/statsd.ts";
import { sleepOn, systemTimers, type TimerHandle, type TimerSource } from "../timers.ts";
import type { WpcomNotification } from "../wpcom/payload.ts";
import { BucketOwner, type Ownership } from "./buckets.ts";
import { claimIntervalMs } from "./claim-interval.ts";
import { ClaimPacer } from "./claim-pacer.ts";
import { historySettings } from "./history-mode.ts";
import { Incidents } from "./incidents/lifecycle.ts";
import { readJournal, removeJournal, spoolJournal } from "./journal.ts";
import type { Notifier, Verifier } from "./ports.ts";
import { RateWindow } from "./rate.ts";
import { intervalMs } from "./rules.ts";
import { Schedule, type Slot } from "./schedule.ts";
import { SiteSet } from "./site-set.ts";
import { checkRequestFor, type DuplicateBlog, dateOnly, type Site } from "./sites.ts";
import { countBuckets, formatRanges } from "./waterfill.ts";
import { type CheckRecord, pruneHistory, ResultWriter } from "./writer.ts";

/** The check pool as the orchestrator uses it (src/check/pool.ts CheckPool fits). */
export interface CheckRunner {
  /** Starts the check, or returns null at once when no worker is free. */
  submit(req: CheckRequest): Promise<CheckResult> | null;
  resize(n: number): void;
  stats(): { workers: number; active: number; queueDepth: number };
  drain(): Promise<void>;
}

export interface OrchestratorTimings {
  /** Bucket claim / heartbeat period (default: a quarter of the grace, 1-30 s). */
  claimMs?: number;
  /** Site-set refresh from MySQL (default SITE_REFRESH_INTERVAL_SEC). */
  refreshMs?: number;
  /** Refreshes per content digest; the others compare membership only (default 4). */
  contentEvery?: number;
  /** Result flush period (default 1 s). */
  flushMs?: number;
  /** History pruning period (default 10 s). */
  pruneMs?: number;
  /** Legacy projection drift check period (default 60 s). */
  driftMs?: number;
  /** WPCOM queue flush period (default 5 s). */
  wpcomFlushMs?: number;
  /** Dispatch lateness log period (default 60 s). */
  latenessMs?: number;
}

export interface OrchestratorOptions {
  db: Db;
  hostname: string;
  log: Logger;
  metrics: Metrics;
  /** False when StatsD is off: stats files are written only alongside StatsD (docs/reference/monitor-core.md §7.3). */
  statsFiles?: boolean | string;
  config: () => Config;
  /** Build it with queueLimit 0: the schedule is the queue, the pool only runs checks. */
  pool: CheckRunner;
  wpcom: Notifier;
  verifiers: () => readonly Verifier[];
  now?: () => number;
  /** Dispatch wake-ups, periodic tasks and drain bounds run on these (default the system timers). */
  timers?: TimerSource;
  timings?: OrchestratorTimings;
  /** JS heap in use, MB (memory-pressure rule); default process.memoryUsage().heapUsed. */
  heapMb?: () => number;
  /**
   * Where held results are spooled at a shutdown that cannot write them, and replayed from at
   * start (DATA_DIR); null keeps no journal.
   */
  dataDir?: string | null;
}

const defaultHeapMb = () => Math.floor(process.memoryUsage().heapUsed / (1024 * 1024));

export interface RoundStats {
  sitesPerSec: number;
  durationMs: number;
  results: number;
  endedAt: number;
}

/** What the dashboard, the heartbeat row and the bench read. */
export interface MonitorFigures {
  sites: number;
  workerCount: number;
  activeChecks: number;
  /** Due sites waiting for a free check slot. */
  queueDepth: number;
  retryQueueSize: number;
  /** Completed checks per second over the last 10 s. */
  sitesPerSec: number;
  /** The last completed round (sweep over all sites), or null before the first. */
  lastRound: RoundStats | null;
  bucketMin: number;
  bucketMax: number;
  bucketOwnership: string;
  ownershipMode: "pinned" | "dynamic" | null;
  /** Dynamic mode: buckets no live host covers (e.g. "500-999"), "" when all are; null when unknown. */
  uncoveredBuckets: string | null;
  uncoveredBucketCount: number | null;
  totalChecked: number;
  /** False while MySQL is unreachable and checks are paused. */
  databaseHealthy: boolean;
  /** Results taken but not yet written (held while writes fail). */
  pendingWrites: number;
  /** True when the hold reached HELD_RESULTS_MAX and dispatch is paused. */
  holdFull: boolean;
  /** Why result writes fail right now (the server's message), null while they succeed. */
  writeProblem: string | null;
  wpcomCircuitOpen: boolean;
  wpcomQueueDepth: number;
  /** Optional columns the database lacks (`table.column`); checks run without them. */
  missingColumns: string[];
  state: "starting" | "running" | "draining" | "stopped";
}

export class Orchestrator {
  readonly incidents: Incidents;
  private readonly owner: BucketOwner;
  private readonly writer: ResultWriter;
  private readonly schedule: Schedule;
  private readonly siteSet: SiteSet;
  private readonly rate = new RateWindow(10);
  private readonly now: () => number;
  private readonly clock: TimerSource;
  private readonly timers: TimerHandle[] = [];
  private wakeTimer: TimerHandle | null = null;
  private wakeAt = Number.POSITIVE_INFINITY;
  private pumping = false;
  private holdPaused = false;
  private readonly reportedDuplicates = new Set<string>();
  private pumpAgain = false;
  private state: MonitorFigures["state"] = "starting";
  private handling = 0;
  /** Checks submitted and not yet collected. */
  private inflight = 0;
  private idleWaiters: (() => void)[] = [];
  private ownership: Ownership | null = null;
  private lastRound: RoundStats | null = null;
  private sweep = { id: 1, start: 0, remaining: 0, results: 0 };
  private totalChecked = 0;
  private refreshing: Promise<void> | null = null;
  private claiming: Promise<void> | null = null;
  private refreshAgain = false;
  private claimMs = 30_000;
  private readonly pacer: ClaimPacer;
  private intervalKey = "";
  private columns: OptionalColumns = ALL_OPTIONAL_COLUMNS;
  private missingKey = "";
  private readonly siteInterval = (site: Site): number => intervalMs(site.checkIntervalMin, this.o.config());

  constructor(private readonly o: OrchestratorOptions) {
    this.clock = o.timers ?? systemTimers;
    this.pacer = new ClaimPacer(this.clock, () => void this.claim(false));
    const clock = this.clock;
    this.now = o.now ?? (() => clock.now());
    this.owner = new BucketOwner(o.db, o.hostname, o.log);
    this.siteSet = new SiteSet(o.timings?.contentEvery);
    this.incidents = new Incidents({
      db: o.db,
      hostname: o.hostname,
      log: o.log,
      metrics: o.metrics,
      now: this.now,
      wpcom: o.wpcom,
      verifiers: o.verifiers,
      config: o.config,
    });
    this.writer = new ResultWriter({
      db: o.db,
      log: o.log,
      now: this.now,
      maxHeld: () => this.o.config().HELD_RESULTS_MAX,
      timers: this.clock,
      requestMethodColumn: () => this.columns.requestMethod,
      historyMode: () => historySettings(this.o.config()),
      onHealthChange: (healthy) => {
        if (healthy) this.pump();
      },
      onWritten: () => this.pump(),
      onFatal: () => {
        if (this.wakeTimer) this.clock.clearTimeout(this.wakeTimer);
        this.wakeTimer = null;
      },
    });
    const cfg = o.config();
    this.intervalKey = intervalSettingsKey(cfg);
    this.schedule = new Schedule(this.siteInterval);
  }

  /**
   * Claims buckets (a failure here is fatal, as upstream), loads the sites and starts
   * checking. Resolves once the first dispatch has happened.
   */
  async start(): Promise<void> {
    await this.replayJournal();
    await this.claim(true);
    await this.refresh(true);
    this.sweep.start = this.now();
    this.sweep.remaining = this.schedule.size;
    this.state = "running";
    const t = this.o.timings ?? {};
    const cfg = this.o.config();
    const claimMs = t.claimMs ?? claimIntervalMs(cfg.BUCKET_HEARTBEAT_GRACE_SEC);
    this.claimMs = claimMs;
    if (this.ownership) this.pacer.after(this.ownership, claimMs);
    this.writer.start(t.flushMs ?? 1000);
    this.every(claimMs, () => this.claim(false));
    this.every(t.refreshMs ?? cfg.SITE_REFRESH_INTERVAL_SEC * 1000, () => this.refresh(false));
    this.every(t.pruneMs ?? 10_000, () => this.prune());
    this.every(t.driftMs ?? 60_000, () => this.driftCheck());
    this.every(t.wpcomFlushMs ?? 5000, () => this.wpcomTick());
    this.every(t.latenessMs ?? 60_000, async () => this.logLateness());
    this.pump();
  }

  /** Call after a config reload: interval and pool changes apply now. */
  configChanged(): void {
    const cfg = this.o.config();
    this.o.pool.resize(cfg.NUM_WORKERS);
    const key = intervalSettingsKey(cfg);
    if (key !== this.intervalKey) {
      this.intervalKey = key;
      this.schedule.rescheduleAll(this.siteInterval, this.now());
      this.o.log.info({ check_interval_sec: cfg.CHECK_INTERVAL_SEC }, "check intervals rescheduled");
    }
    void this.claim(false);
    this.pump();
  }

  /**
   * Drain: stop dispatching, mark the host draining (peers leave it out of their next claim),
   * let in-flight checks finish and their results be handled and written, then release the
   * bucket row. Resolves true when every result was written before `deadline` (epoch ms).
   */
  async drain(deadline: number): Promise<boolean> {
    if (this.state === "stopped") return true;
    this.state = "draining";
    for (const t of this.timers) this.clock.clearInterval(t);
    this.timers.length = 0;
    this.pacer.stop();
    if (this.wakeTimer) this.clock.clearTimeout(this.wakeTimer);
    this.wakeTimer = null;
    // A claim under way would write the row back to active after it is marked draining.
    await this.claiming?.catch(() => {});
    await this.ownerCall("mark draining", () => this.owner.markDraining());
    await this.idle(deadline);
    // A check stuck past the deadline must not hold the drain: its result is lost and says so.
    await Promise.race([this.o.pool.drain(), sleepOn(this.clock, deadline - this.now())]);
    if (this.inflight > 0)
      this.o.log.error({ in_flight: this.inflight }, "drain deadline reached with checks in flight");
    const written = await this.writer.stop(deadline);
    if (!written) this.spoolJournal();
    // MySQL away now: retried until the deadline; past it peers release the row themselves once
    // this process's `stopped` is written (buckets.ts).
    await this.ownerCall("release", () => this.owner.release(), deadline);
    this.state = "stopped";
    this.o.log.info(
      { total_checked: this.totalChecked, written: this.writer.totals.written },
      "monitor drained",
    );
    return written && this.inflight === 0 && this.handling === 0;
  }

  figures(): MonitorFigures {
    const now = this.now();
    const own = this.ownership;
    const wp = this.o.wpcom.state();
    const pool = this.o.pool.stats();
    return {
      sites: this.schedule.size,
      workerCount: pool.workers,
      activeChecks: pool.active,
      queueDepth: this.schedule.overdue(now),
      retryQueueSize: this.incidents.retries.size,
      sitesPerSec: Math.round(this.rate.perSecond(now) * 10) / 10,
      lastRound: this.lastRound,
      bucketMin: own ? Math.max(0, own.range.min) : 0,
      bucketMax: own ? Math.max(0, own.range.max) : 0,
      bucketOwnership: own?.label ?? "",
      ownershipMode: own?.mode ?? null,
      uncoveredBuckets: own?.uncovered ? formatRanges(own.uncovered) : null,
      uncoveredBucketCount: own?.uncovered ? countBuckets(own.uncovered) : null,
      totalChecked: this.totalChecked,
      databaseHealthy: this.writer.healthy,
      pendingWrites: this.writer.pending,
      holdFull: this.writer.full,
      writeProblem: this.writer.writeProblem,
      wpcomCircuitOpen: wp.circuitOpen,
      wpcomQueueDepth: wp.queueDepth,
      missingColumns: missingColumns(this.columns),
      state: this.state,
    };
  }

  /** Hook for the WPCOM client's onDelivered. */
  notificationDelivered(n: WpcomNotification): void {
    void this.incidents.alertDelivered(n);
  }

  /** Writes buffered results now (tests and the bench use it to observe the database). */
  flush(): Promise<void> {
    return this.writer.flush();
  }

  // ---- dispatch ----

  /** Fills free check slots with due sites; arms a timer for the next due site otherwise. */
  private pump(): void {
    if (this.pumping) {
      this.pumpAgain = true;
      return;
    }
    this.pumping = true;
    try {
      do {
        this.pumpAgain = false;
        this.pumpOnce();
      } while (this.pumpAgain);
    } finally {
      this.pumping = false;
    }
  }

  private pumpOnce(): void {
    if (this.state !== "running" || !this.writer.healthy) return;
    if (this.writer.full) {
      if (!this.holdPaused) {
        this.holdPaused = true;
        this.o.log.error(
          { held: this.writer.pending, limit: this.o.config().HELD_RESULTS_MAX },
          "held results at HELD_RESULTS_MAX, dispatch paused",
        );
      }
      return;
    }
    if (this.holdPaused) {
      this.holdPaused = false;
      this.o.log.info({ held: this.writer.pending }, "held results below HELD_RESULTS_MAX, dispatch resumed");
    }
    const cfg = this.o.config();
    const { workers, active } = this.o.pool.stats();
    const free = workers - active;
    if (free <= 0) return; // a completion pumps again
    const want = Math.min(free, cfg.DATASET_SIZE);
    const batch = this.schedule.takeDue(this.now(), want);
    let launched = 0;
    for (const slot of batch) {
      if (this.launch(slot, cfg)) launched++;
      else this.schedule.release(slot, this.now());
    }
    if (batch.length === want && launched === want) {
      // Maybe more due: continue after pending I/O had its turn.
      setImmediate(() => this.pump());
      return;
    }
    if (launched < batch.length) return; // pool full after all; a completion pumps again
    const next = this.schedule.nextDue();
    if (next !== undefined) this.armWake(Math.max(0, next - this.now()));
  }

  private armWake(delay: number): void {
    const at = this.now() + delay;
    if (this.wakeTimer && this.wakeAt <= at) return;
    if (this.wakeTimer) this.clock.clearTimeout(this.wakeTimer);
    this.wakeAt = at;
    this.wakeTimer = this.clock.setTimeout(() => {
      this.wakeTimer = null;
      this.wakeAt = Number.POSITIVE_INFINITY;
      this.pump();
    }, delay);
  }

  private launch(slot: Slot, cfg: Config): boolean {
    const site = slot.site;
    const req = checkRequestFor(site, cfg.NET_COMMS_TIMEOUT);
    const running = this.o.pool.submit(req);
    if (!running) return false;
    this.inflight++;
    running
      .catch((err: unknown): CheckResult => {
        // A check never throws by contract; if one does, count it as a failed check.
        this.o.log.error({ blog_id: site.blogId, err: errorText(err) }, "check threw");
        return { ...blankResult(req, new Date(this.now())), errorCode: CheckError.Connect };
      })
      .then((res) => this.collect(slot, res));
    return true;
  }

  private collect(slot: Slot, res: CheckResult): void {
    this.inflight--;
    const now = this.now();
    const site = slot.site;
    this.totalChecked++;
    this.rate.add(now);
    const rec: CheckRecord = {
      siteId: site.siteId,
      blogId: site.blogId,
      checkedAt: res.checkedAt,
      httpCode: res.httpCode,
      errorCode: res.errorCode,
      rttMs: res.rttMs,
      dnsMs: res.dnsMs,
      tcpMs: res.tcpMs,
      tlsMs: res.tlsMs,
      ttfbMs: res.ttfbMs,
      requestMethod: "GET",
      failed: isFailedResult(res),
    };
    const expiry = res.sslExpiry ? dateOnly(res.sslExpiry) : null;
    if (expiry && expiry !== site.sslExpiryDate) {
      rec.sslExpiryDate = expiry;
      site.sslExpiryDate = expiry;
    }
    this.writer.add(rec);
    slot.lastCheckedAt = Math.max(slot.lastCheckedAt, res.checkedAt.getTime());
    this.countForRound(slot, now);
    this.handling++;
    this.incidents
      .handle(site, res)
      .catch((err: unknown) => {
        this.o.log.error({ blog_id: site.blogId, err: errorText(err) }, "incident handling failed");
        return { retrySoon: false };
      })
      .then((outcome) => {
        this.handling--;
        const cfg = this.o.config();
        let due = res.checkedAt.getTime() + this.schedule.intervalOf(site);
        if (outcome.retrySoon) due = Math.min(due, this.now() + cfg.TIME_BETWEEN_CHECKS_SEC * 1000);
        this.schedule.release(slot, due);
        this.notifyIdle();
        this.pump();
      });
    this.pump();
  }

  private countForRound(slot: Slot, now: number): void {
    this.sweep.results++;
    if (slot.sweep === this.sweep.id) return;
    slot.sweep = this.sweep.id;
    this.sweep.remaining--;
    if (this.sweep.remaining > 0) return;
    const durationMs = Math.max(1, now - this.sweep.start);
    const results = this.sweep.results;
    const stats: RoundStats = {
      sitesPerSec: Math.floor(results / (durationMs / 1000)),
      durationMs,
      results,
      endedAt: now,
    };
    this.lastRound = stats;
    this.sweep = { id: this.sweep.id + 1, start: now, remaining: this.schedule.size, results: 0 };
    this.emitRound(stats);
    this.memoryPressure();
  }

  /**
   * docs/reference/monitor-core.md §1.19 on the JS heap: every round starts at NUM_WORKERS again, and a round that
   * ends above WORKER_MAX_MEM_MB runs the next one with a tenth fewer workers.
   */
  private memoryPressure(): void {
    const cfg = this.o.config();
    this.o.pool.resize(cfg.NUM_WORKERS);
    if (cfg.WORKER_MAX_MEM_MB <= 0) return;
    const heapMb = (this.o.heapMb ?? defaultHeapMb)();
    if (heapMb <= cfg.WORKER_MAX_MEM_MB) return;
    const workers = cfg.NUM_WORKERS;
    const next = Math.max(1, workers - Math.max(1, Math.floor(workers / 10)));
    if (next === workers) return;
    this.o.pool.resize(next);
    this.o.log.warn(
      { heap_mb: heapMb, limit_mb: cfg.WORKER_MAX_MEM_MB, workers: next },
      "memory pressure, fewer workers this round",
    );
  }

  /**
   * How late dispatch ran against each site's due time since the last line, on a clock of its
   * own: a round at 1,000,000 sites and 300 s lasts longer than an operator waits for a figure.
   */
  private logLateness(): void {
    const late = this.schedule.takeLateness();
    if (late.count === 0) return;
    this.o.log.info(
      { dispatched: late.count, p50_ms: late.p50, p99_ms: late.p99, buckets: late.buckets },
      "dispatch lateness",
    );
  }

  private emitRound(r: RoundStats): void {
    const { metrics } = this.o;
    const cfg = this.o.config();
    const queue = this.schedule.overdue(this.now());
    metrics.timing(RoundMetric.completeTime, r.durationMs);
    metrics.gauge(RoundMetric.workerQueueActive, this.o.pool.stats().active);
    metrics.gauge(RoundMetric.workerQueueSize, queue);
    metrics.gauge(RoundMetric.retryQueueSize, this.incidents.retries.size);
    metrics.gauge(RoundMetric.sitesPerSec, r.sitesPerSec);
    metrics.increment(RoundMetric.sitesCount, r.results);
    if (cfg.STATSD_SEND_MEM_USAGE) metrics.emitMemory();
    if (this.o.statsFiles) {
      const dir = typeof this.o.statsFiles === "string" ? this.o.statsFiles : undefined;
      void writeStatsFiles(
        { sitesPerSec: r.sitesPerSec, queueDepth: queue, totalChecked: this.totalChecked },
        dir,
      );
    }
    this.o.log.debug(
      {
        duration_ms: r.durationMs,
        results: r.results,
        sites_per_sec: r.sitesPerSec,
        sites: this.schedule.size,
      },
      "round complete",
    );
  }

  // ---- held-results journal ----

  /**
   * Replays a journal a previous shutdown left, before anything is checked: its records are
   * written (only the rows MySQL does not hold yet) and the file deleted once they are. A journal
   * that cannot be written now stays for the next start; a bad one is set aside and reported.
   */
  private async replayJournal(): Promise<void> {
    const dir = this.o.dataDir;
    if (!dir) return;
    const read = readJournal(dir, LATEST_MIGRATION_ID, this.now);
    if (read.kind === "none") return;
    if (read.kind === "rejected") {
      this.o.log.error(
        { path: read.path, kept_as: read.keptAs, problem: read.problem },
        "held-results journal rejected, nothing replayed",
      );
      return;
    }
    this.writer.restore(read.records);
    const done = await this.writer.stop(this.now() + 30_000);
    if (!done) {
      const left = this.writer.takeHeld();
      throw new Error(
        `replay held-results journal ${read.path}: ${left.length} of ${read.records.length} results not written (${this.writer.writeProblem ?? "mysql unreachable"}); the journal is kept`,
      );
    }
    removeJournal(read.path);
    this.o.log.info({ path: read.path, results: read.records.length }, "held-results journal replayed");
  }

  /** At a drain that could not write everything: the held results go to the journal. */
  private spoolJournal(): void {
    const held = this.writer.takeHeld();
    const dir = this.o.dataDir;
    if (!dir) {
      this.o.log.error(
        { unwritten: held.length },
        "drain deadline reached with results unwritten, no DATA_DIR",
      );
      return;
    }
    try {
      const r = spoolJournal(dir, held, this.o.config().HELD_RESULTS_MAX, LATEST_MIGRATION_ID);
      this.o.log.warn({ path: r.path, results: r.written }, "held results spooled to the journal");
      if (r.dropped > 0) {
        this.o.log.error(
          { dropped: r.dropped, limit: this.o.config().HELD_RESULTS_MAX },
          "journal bound reached, results dropped",
        );
      }
    } catch (err) {
      this.o.log.error(
        { dir, unwritten: held.length, err: errorText(err) },
        "held results could not be spooled",
      );
    }
  }

  // ---- periodic work ----

  private async claim(fatal: boolean): Promise<void> {
    if (this.claiming) return this.claiming;
    if (this.state === "draining" || this.state === "stopped") return;
    this.claiming = (async () => {
      const cfg = this.o.config();
      try {
        const prev = this.ownership;
        const next = await this.owner.claim({
          BUCKET_TOTAL: cfg.BUCKET_TOTAL,
          BUCKET_TARGET: cfg.BUCKET_TARGET,
          BUCKET_HEARTBEAT_GRACE_SEC: cfg.BUCKET_HEARTBEAT_GRACE_SEC,
          pinned: pinnedBucketRange(cfg),
        });
        this.ownership = next;
        if (this.state === "running") this.pacer.after(next, this.claimMs);
        if (next.uncovered) this.o.metrics.gauge(BucketMetric.uncovered, countBuckets(next.uncovered));
        if (prev && (prev.range.min !== next.range.min || prev.range.max !== next.range.max)) {
          // Buckets given up are dropped now, before a peer can claim them (buckets.ts).
          const dropped = this.schedule.dropOutside(next.range);
          for (const site of dropped) {
            this.incidents.forget(site.blogId);
            this.writer.forgetSite(site.siteId);
          }
          this.sweep.remaining -= dropped.length;
          void this.refresh(false);
        }
      } catch (err) {
        if (fatal) throw new Error(`claim buckets: ${errorText(err)}`, { cause: err });
        this.o.log.error({ err: errorText(err) }, "bucket claim failed, keeping the previous range");
      }
    })().finally(() => {
      this.claiming = null;
    });
    return this.claiming;
  }

  private async refresh(fatal: boolean): Promise<void> {
    if (this.refreshing) {
      // The load under way may have read the previous range: load again when it ends.
      this.refreshAgain = true;
      return this.refreshing;
    }
    this.refreshing = (async () => {
      const own = this.ownership;
      if (!own) return;
      const started = this.now();
      try {
        await this.probeColumns();
        const read = await this.siteSet.refresh(this.o.db, own.range, this.columns);
        const delta = read.delta;
        if (delta === null) return; // no slice digest changed: the schedule holds the rows
        this.reportDuplicates(delta.duplicates);
        // A claim during the load may have given buckets up: never re-add those.
        const range = this.ownership?.range ?? own.range;
        const inRange = delta.sites.filter((x) => x.bucketNo >= range.min && x.bucketNo <= range.max);
        const { added, removed } = this.schedule.sync(
          inRange,
          this.now(),
          this.sweep.id,
          delta.scope === "all" ? undefined : delta.scope,
        );
        for (const site of removed) {
          this.incidents.forget(site.blogId);
          this.writer.forgetSite(site.siteId);
        }
        this.sweep.remaining += added.length - removed.length;
        if (added.length > 0) {
          const events = await openEventsForBlogs(
            this.o.db,
            added.map((s) => s.blogId),
          );
          this.incidents.seed(events.map((e) => ({ ...e })));
        }
        if (added.length || removed.length || fatal) {
          this.o.log.info(
            {
              sites: this.schedule.size,
              added: added.length,
              removed: removed.length,
              rows_read: read.rowsRead,
              bucket_min: own.range.min,
              bucket_max: own.range.max,
              load_ms: this.now() - started,
            },
            "sites loaded",
          );
        }
      } catch (err) {
        if (fatal) throw new Error(`load sites: ${errorText(err)}`, { cause: err });
        this.o.log.error({ err: errorText(err) }, "site refresh failed, keeping the current set");
      }
      this.pump();
    })().finally(() => {
      this.refreshing = null;
      if (this.refreshAgain) {
        this.refreshAgain = false;
        void this.refresh(false);
      }
    });
    return this.refreshing;
  }

  /** Logs each duplicated blog once per process (the set is re-read every refresh). */
  private reportDuplicates(dups: DuplicateBlog[]): void {
    for (const d of dups) {
      const key = `${d.blogId}:${d.keptSiteId}:${d.ignoredSiteIds.join(",")}`;
      if (this.reportedDuplicates.has(key)) continue;
      this.reportedDuplicates.add(key);
      this.o.log.warn(
        { blog_id: d.blogId, site_id: d.keptSiteId, ignored_site_ids: d.ignoredSiteIds },
        "duplicate active site rows for one blog, the lowest site id is checked",
      );
    }
  }

  /**
   * Which optional columns exist (a Go-migrated database may lack them). A change is logged
   * once; a failed probe keeps what was known.
   */
  private async probeColumns(): Promise<void> {
    try {
      this.columns = await probeOptionalColumns(this.o.db);
    } catch (err) {
      this.o.log.warn({ err: errorText(err) }, "optional column probe failed, keeping the previous answer");
      return;
    }
    const missing = missingColumns(this.columns);
    const key = missing.join(",");
    if (key === this.missingKey) return;
    this.missingKey = key;
    if (missing.length > 0) {
      this.o.log.warn(
        { missing_columns: missing },
        "database lacks optional columns; forbidden-content rules or request_method are skipped until `jetmon2 migrate` runs",
      );
    } else {
      this.o.log.info("optional columns present");
    }
  }

  private async prune(): Promise<void> {
    const hours = this.o.config().CHECK_HISTORY_RETENTION_HOURS;
    if (!(hours > 0) || !this.writer.healthy) return;
    try {
      const n = await pruneHistory(this.o.db, hours, { budgetMs: 500, now: this.now });
      if (n > 0) this.o.log.debug({ deleted: n, retention_hours: hours }, "check history pruned");
    } catch (err) {
      this.o.log.warn({ err: errorText(err) }, "check history prune failed");
    }
  }

  private async driftCheck(): Promise<void> {
    const cfg = this.o.config();
    const own = this.ownership;
    if (!cfg.LEGACY_STATUS_PROJECTION_ENABLE || !own || own.range.max < own.range.min) return;
    try {
      const n = await countProjectionDrift(this.o.db, own.range.min, own.range.max);
      this.o.metrics.gauge(DriftMetric.count, n);
      if (n > 0) {
        this.o.metrics.increment(DriftMetric.detected);
        this.o.log.warn(
          { drift: n, bucket_min: own.range.min, bucket_max: own.range.max },
          "legacy projection drift detected",
        );
      }
    } catch (err) {
      this.o.metrics.increment(DriftMetric.checkError);
      this.o.log.warn({ err: errorText(err) }, "projection drift check failed");
    }
  }

  private async wpcomTick(): Promise<void> {
    await this.o.wpcom.flush().catch(() => {});
    const s = this.o.wpcom.state();
    this.o.metrics.gauge(WpcomMetric.queueDepth, s.queueDepth);
    this.o.metrics.gauge(WpcomMetric.circuitOpen, s.circuitOpen ? 1 : 0);
  }

  private every(ms: number, fn: () => Promise<void>): void {
    let running = false;
    const t = this.clock.setInterval(() => {
      if (running) return;
      running = true;
      fn()
        .catch((err: unknown) => this.o.log.error({ err: errorText(err) }, "periodic task failed"))
        .finally(() => {
          running = false;
        });
    }, ms);
    this.timers.push(t);
  }

  private async ownerCall(what: string, fn: () => Promise<void>, retryUntil = 0): Promise<void> {
    for (;;) {
      try {
        await fn();
        return;
      } catch (err) {
        this.o.log.error({ err: errorText(err) }, `bucket ${what} failed`);
        const left = retryUntil - this.now();
        if (left <= 0) return;
        await sleepOn(this.clock, Math.min(250, left));
      }
    }
  }

  // ---- drain support ----

  private notifyIdle(): void {
    if (this.inflight > 0 || this.handling > 0) return;
    const w = this.idleWaiters;
    this.idleWaiters = [];
    for (const f of w) f();
  }

  private idle(deadline: number): Promise<void> {
    if (this.inflight === 0 && this.handling === 0) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const t = this.clock.setTimeout(resolve, Math.max(0, deadline - this.now()));
      this.idleWaiters.push(() => {
        this.clock.clearTimeout(t);
        resolve();
      });
    });
  }
}

function intervalSettingsKey(c: Config): string {
  return `${c.CHECK_INTERVAL_SEC}|${c.USE_VARIABLE_CHECK_INTERVALS}|${c.MIN_TIME_BETWEEN_ROUNDS_SEC}`;
}
