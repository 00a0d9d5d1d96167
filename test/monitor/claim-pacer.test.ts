import { describe, expect, test } from "bun:test";
import type { Ownership } from "../../src/monitor/buckets.ts";
import { BLOCKED_RETRY_MS, ClaimPacer, earlyClaimDelay } from "../../src/monitor/claim-pacer.ts";
import { manualTimers } from "../support/timers.ts";

const own = (o: Partial<Ownership> = {}): Ownership => ({
  mode: "dynamic",
  range: { min: 0, max: 249 },
  label: "dynamic jetmon_hosts",
  total: 1000,
  uncovered: [],
  hosts: 4,
  blocked: false,
  peerExpiresInMs: 600_000,
  ...o,
});

describe("earlyClaimDelay", () => {
  const cases: [string, Partial<Ownership>, number | null][] = [
    ["settled, peers fresh: the regular period", {}, null],
    ["no peer", { peerExpiresInMs: null }, null],
    ["blocked: retry soon", { blocked: true }, BLOCKED_RETRY_MS],
    ["a peer expires before the next claim: just after it", { peerExpiresInMs: 12_000 }, 13_000],
    ["a peer already expired (another host is deleting it)", { peerExpiresInMs: 0 }, 1000],
    ["blocked and a peer expiring later: the sooner", { blocked: true, peerExpiresInMs: 5000 }, 1000],
    ["expiry past the regular claim", { peerExpiresInMs: 29_500 }, null],
    ["pinned", { mode: "pinned", blocked: true, peerExpiresInMs: 0 }, null],
  ];
  for (const [name, o, want] of cases) {
    test(name, () => {
      expect(earlyClaimDelay(own(o), 30_000)).toBe(want);
    });
  }
});

describe("ClaimPacer", () => {
  test("claims once at the peer's expiry; a later claim re-arms or cancels", () => {
    const timers = manualTimers();
    let claims = 0;
    const pacer = new ClaimPacer(timers, () => claims++);
    pacer.after(own({ peerExpiresInMs: 20_000 }), 30_000);
    timers.advance(20_999);
    expect(claims).toBe(0);
    timers.advance(1);
    expect(claims).toBe(1);
    timers.advance(60_000);
    expect(claims).toBe(1);
    // A claim that leaves the host blocked re-arms for the short retry, replacing the old timer.
    pacer.after(own({ peerExpiresInMs: 20_000 }), 30_000);
    pacer.after(own({ blocked: true }), 30_000);
    expect(timers.pending).toBe(1);
    timers.advance(BLOCKED_RETRY_MS);
    expect(claims).toBe(2);
    // Settled again: nothing armed.
    pacer.after(own(), 30_000);
    expect(timers.pending).toBe(0);
    pacer.after(own({ blocked: true }), 30_000);
    pacer.stop();
    timers.advance(60_000);
    expect(claims).toBe(2);
  });
});
