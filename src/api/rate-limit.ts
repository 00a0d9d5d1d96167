/**
 * Per-key token buckets (docs/reference/cli-rollout-api.md §3.4): capacity = the key's per-minute limit,
 * starting full, refilling limit/60 per second; a changed limit resizes the bucket (tokens
 * clamped). Buckets idle for 10 minutes are dropped by `gc`. In memory, per process.
 */
import type { Clock } from "../time.ts";

interface Bucket {
  tokens: number;
  capacity: number;
  updatedMs: number;
}

export interface RateDecision {
  allowed: boolean;
  headers: Record<string, string>;
  /** Seconds to wait when refused (>= 1). */
  retryAfter: number;
}

const IDLE_MS = 10 * 60_000;

export class RateLimiter {
  private readonly buckets = new Map<number, Bucket>();
  constructor(private readonly now: Clock = Date.now) {}

  take(keyId: number, limitPerMinute: number): RateDecision {
    const now = this.now();
    const capacity = Math.max(1, limitPerMinute);
    const perMs = capacity / 60_000;
    let b = this.buckets.get(keyId);
    if (!b) {
      b = { tokens: capacity, capacity, updatedMs: now };
      this.buckets.set(keyId, b);
    } else {
      b.tokens = Math.min(capacity, b.tokens + Math.max(0, now - b.updatedMs) * perMs);
      b.capacity = capacity;
      b.updatedMs = now;
    }
    const allowed = b.tokens >= 1;
    if (allowed) b.tokens -= 1;
    const fullInMs = (capacity - b.tokens) / perMs;
    const reset = Math.max(Math.ceil((now + fullInMs) / 1000), Math.floor(now / 1000) + 1);
    const retryAfter = allowed ? 0 : Math.max(1, Math.ceil((1 - b.tokens) / perMs / 1000));
    const headers: Record<string, string> = {
      "x-ratelimit-limit": String(capacity),
      "x-ratelimit-remaining": String(Math.floor(b.tokens)),
      "x-ratelimit-reset": String(reset),
    };
    if (!allowed) headers["retry-after"] = String(retryAfter);
    return { allowed, headers, retryAfter };
  }

  /** Drops buckets idle for more than 10 minutes. */
  gc(): void {
    const cutoff = this.now() - IDLE_MS;
    for (const [id, b] of this.buckets) if (b.updatedMs < cutoff) this.buckets.delete(id);
  }

  get size(): number {
    return this.buckets.size;
  }
}
