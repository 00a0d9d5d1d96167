import { expect, test } from "bun:test";
import { siteIntervalSec } from "../../src/config/intervals.ts";

const cases: Array<[string, [number, boolean, number], number | null, number]> = [
  ["override wins over everything", [60, true, 300], 10, 60],
  ["override below the floor still wins", [30, false, 300], 5, 30],
  ["fixed intervals: the fleet interval", [0, false, 300], 1, 300],
  ["fixed intervals ignore the site", [0, false, 120], 30, 120],
  ["variable: the site's minutes", [0, true, 60], 5, 300],
  ["variable: floored at MIN_TIME_BETWEEN_ROUNDS_SEC", [0, true, 300], 1, 300],
  ["variable: 0 counts as 1 minute", [0, true, 30], 0, 60],
  ["variable: NULL counts as 1 minute", [0, true, 30], null, 60],
];
for (const [name, [override, variable, floor], minutes, want] of cases) {
  test(name, () => {
    expect(
      siteIntervalSec(
        {
          CHECK_INTERVAL_SEC: override,
          USE_VARIABLE_CHECK_INTERVALS: variable,
          MIN_TIME_BETWEEN_ROUNDS_SEC: floor,
        },
        minutes,
      ),
    ).toBe(want);
  });
}
