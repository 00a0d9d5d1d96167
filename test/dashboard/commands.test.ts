import { describe, expect, test } from "bun:test";
import { commandStateFields, rolloutAdviceLines, rolloutCommands } from "../../src/dashboard/commands.ts";

describe("rolloutCommands (reference §4.5)", () => {
  test("pinned with a bucket total", () => {
    expect(rolloutCommands({ pinned: { min: 12, max: 34 }, bucketTotal: 100 })).toEqual({
      stateReport: "./jetmon2 rollout state-report --since=15m",
      preflight:
        "./jetmon2 rollout host-preflight --file=<ranges.csv> --host=<v1-hostname> --runtime-host=<v2-hostname> --bucket-min=12 --bucket-max=34 --bucket-total=100",
      cutover: "./jetmon2 rollout cutover-check --since=15m",
      activity: "./jetmon2 rollout activity-check --since=15m",
      rollback: "./jetmon2 rollout rollback-check",
      driftReport: "./jetmon2 rollout projection-drift",
      staticPlan: "./jetmon2 rollout static-plan-check --file=<ranges.csv>",
    });
  });

  test("pinned without a total leaves --bucket-total off", () => {
    expect(rolloutCommands({ pinned: { min: 0, max: 99 }, bucketTotal: 0 }).preflight).toBe(
      "./jetmon2 rollout host-preflight --file=<ranges.csv> --host=<v1-hostname> --runtime-host=<v2-hostname> --bucket-min=0 --bucket-max=99",
    );
  });

  test("dynamic: dynamic-check preflight, no cutover, rollback or static plan", () => {
    expect(rolloutCommands({ pinned: null, bucketTotal: 1000 })).toEqual({
      stateReport: "./jetmon2 rollout state-report --since=15m",
      preflight: "./jetmon2 rollout dynamic-check",
      cutover: "",
      activity: "./jetmon2 rollout activity-check --since=15m",
      rollback: "",
      driftReport: "./jetmon2 rollout projection-drift",
      staticPlan: "",
    });
  });

  test("the binary path is configurable; blank means ./jetmon2", () => {
    expect(
      rolloutCommands({ binary: "/opt/jetmon2/bin/jetmon2", pinned: null, bucketTotal: 1 }).activity,
    ).toBe("/opt/jetmon2/bin/jetmon2 rollout activity-check --since=15m");
    expect(rolloutCommands({ binary: "  ", pinned: null, bucketTotal: 1 }).driftReport).toBe(
      "./jetmon2 rollout projection-drift",
    );
  });

  test("state fields", () => {
    expect(commandStateFields(rolloutCommands({ pinned: null, bucketTotal: 1000 }))).toEqual({
      rollout_preflight_command: "./jetmon2 rollout dynamic-check",
      rollout_cutover_command: "",
      rollout_activity_command: "./jetmon2 rollout activity-check --since=15m",
      rollout_rollback_command: "",
      rollout_state_report_command: "./jetmon2 rollout state-report --since=15m",
      projection_drift_command: "./jetmon2 rollout projection-drift",
    });
  });
});

describe("rolloutAdviceLines (TestRolloutAdviceLines)", () => {
  test("dynamic: 4 lines", () => {
    expect(rolloutAdviceLines({ pinned: null, bucketTotal: 1000 })).toEqual([
      "INFO rollout_preflight=./jetmon2 rollout dynamic-check",
      "INFO rollout_activity_check=./jetmon2 rollout activity-check --since=15m",
      "INFO rollout_state_report=./jetmon2 rollout state-report --since=15m",
      "INFO rollout_drift_report=./jetmon2 rollout projection-drift",
    ]);
  });

  test("pinned 12-34: 7 lines", () => {
    expect(rolloutAdviceLines({ pinned: { min: 12, max: 34 }, bucketTotal: 1000 })).toEqual([
      "INFO rollout_static_plan=./jetmon2 rollout static-plan-check --file=<ranges.csv>",
      "INFO rollout_preflight=./jetmon2 rollout host-preflight --file=<ranges.csv> --host=<v1-hostname> --runtime-host=<v2-hostname> --bucket-min=12 --bucket-max=34 --bucket-total=1000",
      "INFO rollout_activity_check=./jetmon2 rollout activity-check --since=15m",
      "INFO rollout_cutover_check=./jetmon2 rollout cutover-check --since=15m",
      "INFO rollout_rollback_check=./jetmon2 rollout rollback-check",
      "INFO rollout_state_report=./jetmon2 rollout state-report --since=15m",
      "INFO rollout_drift_report=./jetmon2 rollout projection-drift",
    ]);
  });
});
