/**
 * A host joining dynamic ownership (issue 14): while its first claim settles, the overlap with
 * the peer that still holds its buckets is amber "settling", not red; past the settle window, or
 * with a gap, it is red as before.
 */
import { describe, expect, test } from "bun:test";
import { emptyCounts } from "../../src/delivery/queue-counts.ts";
import { summarizeCoverage } from "../../src/fleet/coverage.ts";
import { NEXT_ACTIONS, summarizeFleet } from "../../src/fleet/summary.ts";
import type { DeliverySummary, ProjectionDrift } from "../../src/fleet/types.ts";
import { claimIntervalMs, settleWindowMs } from "../../src/monitor/claim-interval.ts";
import type { HostRow } from "../../src/monitor/coverage.ts";
import { ago, fleet, GRACE_SEC, NOW, row } from "./support.ts";

const host = (hostId: string, min: number, max: number, ageSec = 1, status = "active"): HostRow => ({
  hostId,
  bucketMin: min,
  bucketMax: max,
  lastHeartbeat: NOW - ageSec * 1000,
  status,
});
const monitor = (id: string, startedSecAgo: number, over = {}) =>
  row(id, { bucket_ownership: "dynamic jetmon_hosts", started_at: ago(startedSecAgo), ageSec: 1, ...over });

// a held 0-9 alone; b joined and claimed 5-9; a gives 5-9 up at its next claim.
const joined = [host("a", 0, 9, 10), host("b", 5, 9)];
const coverage = (hosts: HostRow[], rows: ReturnType<typeof row>[]) =>
  summarizeCoverage({ hosts, processes: fleet(rows), bucketTotal: 10, graceSec: GRACE_SEC, nowMs: NOW });

describe("settle window", () => {
  test("one claim every grace/4 (1 s to 30 s); a join settles within two claims", () => {
    expect(claimIntervalMs(600)).toBe(30_000);
    expect(claimIntervalMs(60)).toBe(15_000);
    expect(claimIntervalMs(2)).toBe(1000);
    expect(settleWindowMs(600)).toBe(60_000);
    expect(settleWindowMs(GRACE_SEC)).toBe(30_000);
  });
});

describe("a joining host's overlap", () => {
  test("inside the settle window: amber, naming the joiner, the buckets and the window", () => {
    const got = coverage(joined, [monitor("a:monitor", 3600), monitor("b:monitor", 12)]);
    expect(got).toMatchObject({ status: "amber", mode: "dynamic", settling: true });
    expect(got.error).toBe(
      'dynamic bucket coverage settling: host "b" joined 12s ago; buckets 5-9 (a,b) are claimed twice until the peers\' next claim (settle window 30s)',
    );
  });

  test("claimed but no running monitor row yet (first publish pending, or a restart over a stopped row): amber", () => {
    for (const rows of [
      [monitor("a:monitor", 3600)],
      [monitor("a:monitor", 3600), monitor("b:monitor", 7200, { state: "stopped" })],
    ]) {
      const got = coverage(joined, rows);
      expect(got.status).toBe("amber");
      expect(got.error).toBe(
        'dynamic bucket coverage settling: host "b" has claimed buckets but published no running monitor yet; buckets 5-9 (a,b) are claimed twice until the peers\' next claim (settle window 30s)',
      );
    }
  });

  test("past the settle window the overlap is red", () => {
    const got = coverage(joined, [monitor("a:monitor", 3600), monitor("b:monitor", 30)]);
    expect(got.status).toBe("red");
    expect(got.error).toBe('dynamic bucket coverage overlaps before host "b" at bucket 5');
    expect(got).not.toHaveProperty("settling");
  });

  test("an overlap no joiner is part of stays red, even while another host joins", () => {
    const got = coverage(
      [host("a", 0, 5), host("b", 4, 7), host("c", 8, 9)],
      [monitor("a:monitor", 3600), monitor("b:monitor", 3600), monitor("c:monitor", 5)],
    );
    expect(got.status).toBe("red");
    expect(got.error).toBe('dynamic bucket coverage overlaps before host "b" at bucket 4');
  });

  test("a gap is never settling; a stale or draining row is still red", () => {
    const gap = coverage(
      [host("a", 0, 3), host("b", 5, 9)],
      [monitor("a:monitor", 3600), monitor("b:monitor", 5)],
    );
    expect(gap.status).toBe("red");
    expect(gap.error).toBe('dynamic bucket coverage has gap 4-4 before host "b"');
    const stale = coverage(
      [host("a", 0, 9, 61), host("b", 5, 9)],
      [monitor("a:monitor", 3600), monitor("b:monitor", 5)],
    );
    expect(stale).toMatchObject({ status: "red", error: 'host "a" heartbeat is stale' });
  });

  test("the fleet summary is amber and says to wait for the claim to settle", () => {
    const processes = fleet([monitor("a:monitor", 3600), monitor("b:monitor", 12)]);
    const c = summarizeCoverage({
      hosts: joined,
      processes,
      bucketTotal: 10,
      graceSec: GRACE_SEC,
      nowMs: NOW,
    });
    const got = summarizeFleet({
      processes,
      coverage: c,
      drift: { status: "green", count: 0 } as ProjectionDrift,
      delivery: {
        status: "green",
        since: "2026-04-30T11:45:00Z",
        ...emptyCounts(),
        posture: { status: "green", enabled_process_count: 0, message: "idle" },
      } as DeliverySummary,
      dependencies: [],
    });
    expect(got.status).toBe("amber");
    expect(got.red_issue_count).toBe(0);
    expect(got.issues).toEqual([`bucket coverage: ${c.error}`]);
    expect(got.suggested_next_action).toBe(NEXT_ACTIONS.coverageSettling);
  });
});
