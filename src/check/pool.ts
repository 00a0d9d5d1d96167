import { log as defaultLog, type Logger } from "../log.ts";
import { fetchCapacity } from "./capacity.ts";
import { type CheckOptions, checkSite } from "./check.ts";
import { DeadlineQueue } from "./deadline.ts";
import { TlsInfoCache } from "./tls-probe.ts";
import type { CheckRequest, CheckResult } from "./types.ts";

export interface PoolStats {
  /** Checks allowed to run at once (the pool size, NUM_WORKERS). */
  workers: number;
  /** Checks running now. */
  active: number;
  /** Accepted checks waiting for a free worker. */
  queueDepth: number;
}

export interface CheckPoolOptions {
  /** Checks run at once; at least 1. */
  size: number;
  /** Checks that may wait for a worker; a submit beyond this is refused. 0 = no waiting. */
  queueLimit: number;
  /** The check to run; defaults to checkSite with a pool-wide TLS facts cache and deadline queue. */
  check?: (req: CheckRequest) => Promise<CheckResult>;
  /** Options for the default check. */
  checkOptions?: CheckOptions;
  logger?: Logger;
}

interface Job {
  req: CheckRequest;
  resolve: (r: CheckResult) => void;
  reject: (err: unknown) => void;
}

/**
 * Runs checks with bounded concurrency. Submitting never blocks: when the queue is full, or
 * after drain() began, `submit` returns null at once (the caller keeps the site for a later
 * round). Resizing takes effect immediately for new starts; checks already running finish.
 */
export class CheckPool {
  private size: number;
  private readonly queueLimit: number;
  private readonly check: (req: CheckRequest) => Promise<CheckResult>;
  private readonly logger: Logger;
  private queue: (Job | undefined)[] = [];
  private head = 0;
  private active = 0;
  private closed = false;
  private drained: Promise<void> | null = null;
  private onIdle: (() => void) | null = null;
  private warnedCap = false;

  constructor(opts: CheckPoolOptions) {
    this.size = clampSize(opts.size);
    this.queueLimit = Math.max(0, Math.floor(opts.queueLimit));
    this.logger = opts.logger ?? defaultLog;
    const checkOptions = {
      tlsCache: new TlsInfoCache(),
      deadlines: new DeadlineQueue(),
      ...opts.checkOptions,
    };
    this.check = opts.check ?? ((req) => checkSite(req, checkOptions));
    this.warnIfOverCap(opts.check === undefined);
  }

  /** Runs `req` when a worker is free. Returns null, at once, when refused. */
  submit(req: CheckRequest): Promise<CheckResult> | null {
    if (this.closed) return null;
    if (this.active < this.size && this.queued() === 0) {
      return new Promise((resolve, reject) => this.start({ req, resolve, reject }));
    }
    if (this.queued() >= this.queueLimit) return null;
    return new Promise((resolve, reject) => {
      this.queue.push({ req, resolve, reject });
    });
  }

  /** Changes the number of checks run at once (at least 1). */
  resize(n: number): void {
    this.size = clampSize(n);
    this.warnedCap = false;
    this.warnIfOverCap(true);
    this.pump();
  }

  stats(): PoolStats {
    return { workers: this.size, active: this.active, queueDepth: this.queued() };
  }

  /**
   * Stops taking work and resolves once every accepted check (running or queued) has finished.
   * Idempotent.
   */
  drain(): Promise<void> {
    this.closed = true;
    if (!this.drained) {
      this.drained = new Promise((resolve) => {
        this.onIdle = resolve;
        this.maybeIdle();
      });
    }
    return this.drained;
  }

  get isDraining(): boolean {
    return this.closed;
  }

  private queued(): number {
    return this.queue.length - this.head;
  }

  private start(job: Job): void {
    this.active++;
    let p: Promise<CheckResult>;
    try {
      p = this.check(job.req);
    } catch (err) {
      p = Promise.reject(err);
    }
    p.then(job.resolve, job.reject).finally(() => {
      this.active--;
      this.pump();
      this.maybeIdle();
    });
  }

  private pump(): void {
    while (this.active < this.size && this.queued() > 0) {
      const job = this.queue[this.head];
      if (job === undefined) break;
      this.queue[this.head] = undefined;
      this.head++;
      if (this.head > 1024 && this.head * 2 > this.queue.length) {
        this.queue = this.queue.slice(this.head);
        this.head = 0;
      }
      this.start(job);
    }
  }

  private maybeIdle(): void {
    if (this.onIdle && this.active === 0 && this.queued() === 0) {
      const done = this.onIdle;
      this.onIdle = null;
      done();
    }
  }

  /** Checks above Bun's fetch cap would wait inside fetch with their timeout running. */
  private warnIfOverCap(usesFetch: boolean): void {
    if (!usesFetch || this.warnedCap) return;
    const cap = fetchCapacity();
    if (this.size > cap) {
      this.warnedCap = true;
      this.logger.warn(
        { workers: this.size, fetch_cap: cap },
        "check pool larger than fetch cap; call ensureFetchCapacity at startup",
      );
    }
  }
}

function clampSize(n: number): number {
  return Number.isFinite(n) ? Math.max(1, Math.floor(n)) : 1;
}
