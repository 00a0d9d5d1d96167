import { errorText } from "../error-text.ts";
import type { Logger } from "../log.ts";
import {
  type BreakerConfig,
  type BreakerState,
  breakerAllowsSend,
  breakerPhase,
  closedBreaker,
  nextBreaker,
} from "./breaker.ts";
import type { WpcomNotification } from "./payload.ts";

export const WPCOM_STATUS_ENDPOINT_DEFAULT =
  "https://public-api.wordpress.com/wpcom/v2/jetpack-monitor/status-change";

export interface WpcomClientOptions {
  /** WPCOM_STATUS_ENDPOINT; default the public WPCOM URL. */
  endpoint?: string;
  /** AUTH_TOKEN, sent as `Authorization: Bearer <token>`. */
  authToken: string;
  fetch?: typeof fetch;
  now: () => number;
  log: Logger;
  maxQueue?: number;
  failureThreshold?: number;
  halfOpenAfterMs?: number;
  /** Per-request timeout (upstream's HTTP client timeout is 15 s). */
  timeoutMs?: number;
  /** Called once for every notification WPCOM accepted, including ones delivered from the queue. */
  onDelivered?: (n: WpcomNotification) => void;
}

/**
 * What became of one `notify` call:
 * - `delivered`: WPCOM answered below 400;
 * - `queued`: not sent now (circuit open, or the send failed); it stays queued, exactly once,
 *   and goes out in order when the circuit allows (`onDelivered` reports it then);
 * - `dropped`: pushed out of a full queue before it could be sent.
 */
export type NotifyOutcome = "delivered" | "queued" | "dropped";

export interface WpcomState {
  circuitOpen: boolean;
  /** Notifications waiting, including one in flight. */
  queueDepth: number;
  /** Notifications dropped from a full queue since start. */
  dropped: number;
  consecutiveFailures: number;
}

interface Pending {
  n: WpcomNotification;
  settle: ((o: NotifyOutcome) => void) | null;
}

/**
 * Sends status changes to WPCOM through a circuit breaker and a FIFO queue.
 *
 * Every notification enters the queue once and leaves it only when delivered or dropped, so the
 * caller never retries (docs/design.md defect 16: upstream retried at once and queued twice). Sends
 * are strictly sequential and in order, so a later "running" can never overtake an earlier
 * "down" for the same site. There is no timer: the queue drains on the next `notify` or `flush`
 * once the circuit is closed or half-open (the monitor calls `flush` every round).
 */
export class WpcomClient {
  private readonly endpoint: string;
  private readonly authToken: string;
  private readonly fetchFn: typeof fetch;
  private readonly now: () => number;
  private readonly log: Logger;
  private readonly maxQueue: number;
  private readonly timeoutMs: number;
  private readonly cfg: BreakerConfig;
  private readonly onDelivered?: (n: WpcomNotification) => void;

  private breaker: BreakerState = closedBreaker;
  private readonly queue: Pending[] = [];
  private inflight: Pending | null = null;
  private droppedCount = 0;
  private running = false;
  private runningPass: Promise<void> = Promise.resolve();

  constructor(o: WpcomClientOptions) {
    this.endpoint = o.endpoint || WPCOM_STATUS_ENDPOINT_DEFAULT;
    this.authToken = o.authToken;
    this.fetchFn = o.fetch ?? fetch;
    this.now = o.now;
    this.log = o.log;
    this.maxQueue = Math.max(1, o.maxQueue ?? 1000);
    this.timeoutMs = o.timeoutMs ?? 15_000;
    this.cfg = { failureThreshold: o.failureThreshold ?? 5, halfOpenAfterMs: o.halfOpenAfterMs ?? 60_000 };
    this.onDelivered = o.onDelivered;
  }

  /** Queues `n` and sends what the circuit allows. Never throws. */
  notify(n: WpcomNotification): Promise<NotifyOutcome> {
    return new Promise<NotifyOutcome>((resolve) => {
      const p: Pending = { n, settle: resolve };
      this.enqueue(p);
      if (!breakerAllowsSend(this.breaker, this.now(), this.cfg)) {
        this.settle(p, "queued");
        return;
      }
      void this.kick();
    });
  }

  /** Sends queued notifications if the circuit is closed or due for its half-open trial. */
  flush(): Promise<void> {
    if (this.queue.length === 0 || !breakerAllowsSend(this.breaker, this.now(), this.cfg)) {
      return this.running ? this.runningPass : Promise.resolve();
    }
    return this.kick();
  }

  state(): WpcomState {
    return {
      circuitOpen: breakerPhase(this.breaker, this.now(), this.cfg) !== "closed",
      queueDepth: this.queue.length + (this.inflight ? 1 : 0),
      dropped: this.droppedCount,
      consecutiveFailures: this.breaker.consecutiveFailures,
    };
  }

  private enqueue(p: Pending): void {
    this.queue.push(p);
    this.trim();
  }

  /** Drops the oldest entries beyond maxQueue. */
  private trim(): void {
    while (this.queue.length > this.maxQueue) {
      const old = this.queue.shift();
      if (old === undefined) break;
      this.droppedCount++;
      this.log.warn(
        { blog_id: old.n.blog_id, status_id: old.n.status_id, dropped_total: this.droppedCount },
        "wpcom queue full, notification dropped",
      );
      this.settle(old, "dropped");
    }
  }

  private settle(p: Pending, o: NotifyOutcome): void {
    const s = p.settle;
    p.settle = null;
    s?.(o);
  }

  private kick(): Promise<void> {
    if (this.running) return this.runningPass;
    this.running = true;
    this.runningPass = this.drain();
    return this.runningPass;
  }

  /** One pass: send in FIFO order until the queue is empty, a send fails, or the circuit opens. */
  private async drain(): Promise<void> {
    try {
      while (this.queue.length > 0 && breakerAllowsSend(this.breaker, this.now(), this.cfg)) {
        const p = this.queue.shift();
        if (p === undefined) break;
        this.inflight = p;
        const wasPhase = breakerPhase(this.breaker, this.now(), this.cfg);
        const err = await this.send(p.n);
        this.inflight = null;
        this.breaker = nextBreaker(this.breaker, err ? "failure" : "success", this.now(), this.cfg);
        if (!err) {
          if (wasPhase !== "closed")
            this.log.info({ queue_depth: this.queue.length }, "wpcom circuit closed");
          this.settle(p, "delivered");
          this.deliveredHook(p.n);
          continue;
        }
        this.log.warn(
          {
            blog_id: p.n.blog_id,
            status_id: p.n.status_id,
            err: err.message,
            consecutive_failures: this.breaker.consecutiveFailures,
          },
          "wpcom notify failed",
        );
        if (this.breaker.openedAt !== null && wasPhase !== "open") {
          this.log.warn(
            { consecutive_failures: this.breaker.consecutiveFailures, queue_depth: this.queue.length + 1 },
            "wpcom circuit opened",
          );
        }
        // Back to the head, so order is kept and it is still queued exactly once.
        this.queue.unshift(p);
        this.trim();
        break;
      }
    } finally {
      for (const p of this.queue) this.settle(p, "queued");
      this.running = false;
    }
  }

  private deliveredHook(n: WpcomNotification): void {
    try {
      this.onDelivered?.(n);
    } catch (err) {
      this.log.error({ blog_id: n.blog_id, err: String(err) }, "wpcom onDelivered threw");
    }
  }

  /** One POST; resolves to the error text's Error, or null on success. Never throws. */
  private async send(n: WpcomNotification): Promise<Error | null> {
    try {
      const res = await this.fetchFn(this.endpoint, {
        method: "POST",
        headers: { "Content-Type": "application/json", Authorization: `Bearer ${this.authToken}` },
        body: JSON.stringify(n),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
      // The body is ignored, but reading it frees the connection for keep-alive.
      await res.arrayBuffer().catch(() => undefined);
      return res.status >= 400 ? new Error(`wpcom returned ${res.status}`) : null;
    } catch (err) {
      return new Error(`post notification: ${errorText(err)}`);
    }
  }
}
