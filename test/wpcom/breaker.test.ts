import { describe, expect, test } from "bun:test";
import {
  type BreakerState,
  breakerAllowsSend,
  breakerPhase,
  closedBreaker,
  nextBreaker,
  type SendOutcome,
} from "../../src/wpcom/breaker.ts";

const cfg = { failureThreshold: 5, halfOpenAfterMs: 60_000 };
const T = 1_000_000;

describe("breakerPhase", () => {
  const cases: [string, BreakerState, number, string][] = [
    ["closed", closedBreaker, T, "closed"],
    ["closed with failures", { consecutiveFailures: 4, openedAt: null }, T, "closed"],
    ["just opened", { consecutiveFailures: 5, openedAt: T }, T, "open"],
    ["open at exactly 60 s", { consecutiveFailures: 5, openedAt: T }, T + 60_000, "open"],
    ["half-open after 60 s", { consecutiveFailures: 5, openedAt: T }, T + 60_001, "half-open"],
  ];
  for (const [name, s, now, want] of cases) {
    test(name, () => {
      expect(breakerPhase(s, now, cfg)).toBe(want as never);
      expect(breakerAllowsSend(s, now, cfg)).toBe(want !== "open");
    });
  }
});

describe("nextBreaker", () => {
  const cases: [string, BreakerState, SendOutcome, number, BreakerState][] = [
    ["closed success stays closed", closedBreaker, "success", T, closedBreaker],
    ["first failure counts", closedBreaker, "failure", T, { consecutiveFailures: 1, openedAt: null }],
    [
      "4th failure still closed",
      { consecutiveFailures: 3, openedAt: null },
      "failure",
      T,
      { consecutiveFailures: 4, openedAt: null },
    ],
    [
      "5th consecutive failure opens",
      { consecutiveFailures: 4, openedAt: null },
      "failure",
      T,
      { consecutiveFailures: 5, openedAt: T },
    ],
    ["success resets the count", { consecutiveFailures: 4, openedAt: null }, "success", T, closedBreaker],
    [
      "half-open success closes",
      { consecutiveFailures: 5, openedAt: T },
      "success",
      T + 61_000,
      closedBreaker,
    ],
    [
      "half-open failure reopens with a new timer",
      { consecutiveFailures: 5, openedAt: T },
      "failure",
      T + 61_000,
      { consecutiveFailures: 6, openedAt: T + 61_000 },
    ],
    [
      "late failure while open keeps the timer",
      { consecutiveFailures: 5, openedAt: T },
      "failure",
      T + 10,
      { consecutiveFailures: 6, openedAt: T },
    ],
  ];
  for (const [name, s, outcome, now, want] of cases) {
    test(name, () => {
      expect(nextBreaker(s, outcome, now, cfg)).toEqual(want);
    });
  }

  test("walk: 5 failures open, 60 s later half-open, failure reopens, 60 s later success closes", () => {
    let s = closedBreaker;
    for (let i = 0; i < 5; i++) s = nextBreaker(s, "failure", T, cfg);
    expect(breakerPhase(s, T, cfg)).toBe("open");
    expect(breakerPhase(s, T + 60_001, cfg)).toBe("half-open");
    s = nextBreaker(s, "failure", T + 60_001, cfg);
    expect(breakerPhase(s, T + 60_002, cfg)).toBe("open");
    expect(breakerPhase(s, T + 120_002, cfg)).toBe("half-open");
    s = nextBreaker(s, "success", T + 120_002, cfg);
    expect(breakerPhase(s, T + 120_002, cfg)).toBe("closed");
    expect(s.consecutiveFailures).toBe(0);
  });
});
