import { expect, test } from "bun:test";
import { RateWindow } from "../../src/monitor/rate.ts";

test("averages complete seconds of the window, ignoring the current and expired ones", () => {
  const w = new RateWindow(10);
  const t0 = 1_000_000;
  for (let s = 0; s < 20; s++) w.add(t0 + s * 1000, 5);
  // At second 20: seconds 10..19 count (5 each).
  expect(w.perSecond(t0 + 20_000)).toBe(5);
  w.add(t0 + 20_000, 100); // current second: not counted yet
  expect(w.perSecond(t0 + 20_500)).toBe(5);
  expect(w.perSecond(t0 + 21_000)).toBe((9 * 5 + 100) / 10);
  expect(w.perSecond(t0 + 60_000)).toBe(0);
});
