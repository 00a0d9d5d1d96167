const MAX_KEPT_CHECKS = 50;

/** One failed check as the failure path remembers it. */
export interface FailedCheck {
  httpCode: number;
  errorCode: number;
  rttMs: number;
  statusType: string;
  timestamp: Date;
}

export interface RetryEntry {
  blogId: number;
  url: string;
  failCount: number;
  /** Timestamp of the first failed check in this run of failures. */
  firstFailAt: Date;
  lastResult: FailedCheck;
  /** Every failed check since the first one. */
  checks: FailedCheck[];
}

/**
 * Consecutive local failures per blog (docs/reference/monitor-core.md §1.8). In memory only: a restart starts the
 * count again, while the open event in MySQL survives.
 */
export class RetryQueue {
  private readonly entries = new Map<number, RetryEntry>();

  record(blogId: number, url: string, res: FailedCheck): RetryEntry {
    let e = this.entries.get(blogId);
    if (!e) {
      e = { blogId, url, failCount: 0, firstFailAt: res.timestamp, lastResult: res, checks: [] };
      this.entries.set(blogId, e);
    }
    e.failCount++;
    e.url = url;
    e.lastResult = res;
    e.checks.push(res);
    // A long outage must not grow without bound; the newest checks are the ones reported.
    if (e.checks.length > MAX_KEPT_CHECKS) e.checks.splice(0, e.checks.length - MAX_KEPT_CHECKS);
    return e;
  }

  get(blogId: number): RetryEntry | undefined {
    return this.entries.get(blogId);
  }

  /** Puts back an entry taken out by mistake (a recovery whose close failed). */
  restore(entry: RetryEntry): void {
    if (!this.entries.has(entry.blogId)) this.entries.set(entry.blogId, entry);
  }

  clear(blogId: number): void {
    this.entries.delete(blogId);
  }

  get size(): number {
    return this.entries.size;
  }

  allBlogIds(): number[] {
    return [...this.entries.keys()];
  }
}
