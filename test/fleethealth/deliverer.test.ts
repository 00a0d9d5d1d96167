import { describe, expect, test } from "bun:test";
import { delivererHealthStatus } from "../../src/fleethealth/deliverer.ts";
import type { DependencyHealth, ProcessState } from "../../src/fleethealth/snapshot.ts";

const d = (status: string): DependencyHealth => ({ name: "mysql", status, checked_at: "t" });

describe("delivererHealthStatus (reference §4.6)", () => {
  test.each<[string, DependencyHealth[], boolean, string, ProcessState, string]>([
    [
      "owner set, all green (TestDelivererProcessHealthSnapshot)",
      [d("green")],
      true,
      "deliverer-1",
      "running",
      "green",
    ],
    ["workers on without owner: green becomes amber", [d("green")], true, "  ", "running", "amber"],
    ["workers on without owner: red stays red", [d("red")], true, "", "running", "red"],
    ["idle deliverer without owner is not flagged", [d("green")], false, "", "idle", "green"],
    ["amber dependency", [d("green"), d("amber")], true, "x", "running", "amber"],
    ["stopping is amber", [d("green")], true, "x", "stopping", "amber"],
    ["stopped is amber even when red", [d("red")], true, "x", "stopped", "amber"],
  ])("%s", (_n, deps, enabled, owner, state, want) => {
    expect(delivererHealthStatus(deps, enabled, owner, state) as string).toBe(want);
  });
});
