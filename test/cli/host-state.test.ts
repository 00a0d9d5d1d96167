import { describe, expect, it } from "bun:test";
import { buildHostState } from "../../src/cli/host-state.ts";
import { defaultConfig } from "../../src/config/schema.ts";
import type { MonitorFigures } from "../../src/monitor/orchestrator.ts";

describe("buildHostState sites_per_sec", () => {
  it.each([
    [0, 0],
    [7 / 60, 0.1], // the demo: 7 sites at a 1-minute interval is not 0
    [0.04, 0],
    [173.26, 173.3],
  ])("%p checks/s shows as %p", (rate, want) => {
    const figures = { sitesPerSec: rate, lastRound: null } as unknown as MonitorFigures;
    const s = buildHostState({
      figures,
      config: defaultConfig(),
      hostname: "h",
      memory: { heapMb: 1, rssMb: 2 },
      deliveryWorkersEnabled: false,
      now: 0,
    });
    expect(s.sites_per_sec).toBe(want);
  });
});

describe("buildHostState check history", () => {
  it.each([
    ["all", 15, "all: one row per check"],
    [
      "changes",
      5,
      "changes: failures, state changes and one sample per site per 5 min; the API's response-time and timing-breakdown cover those rows only",
    ],
    ["off", 15, "off: no rows; the API's response-time and timing-breakdown report no checks"],
  ])("CHECK_HISTORY_MODE=%s (sample %p min)", (mode, sampleMin, text) => {
    const figures = { sitesPerSec: 0, lastRound: null, missingColumns: [] } as unknown as MonitorFigures;
    const s = buildHostState({
      figures,
      config: { ...defaultConfig(), CHECK_HISTORY_MODE: mode, CHECK_HISTORY_SAMPLE_MIN: sampleMin },
      hostname: "h",
      memory: { heapMb: 1, rssMb: 2 },
      deliveryWorkersEnabled: false,
      now: 0,
    });
    expect(s.check_history_mode).toBe(mode);
    expect(s.check_history).toBe(text);
  });
});
