import { describe, expect, test } from "bun:test";
import {
  normaliseDependency,
  processId,
  rollupHealthStatus,
  type SnapshotInput,
  validateSnapshot,
} from "../../src/fleethealth/snapshot.ts";

const NOW = Date.parse("2026-04-30T10:01:00Z");

describe("processId", () => {
  test.each([
    [" host-a ", " monitor ", "host-a:monitor"],
    ["", "monitor", ""],
    ["host-a", "  ", ""],
  ])("(%p, %p) -> %p", (host, type, want) => {
    expect(processId(host, type)).toBe(want);
  });
});

describe("rollupHealthStatus", () => {
  test.each([
    [[], "green"],
    [["green"], "green"],
    [["green", "amber"], "amber"],
    [["amber", "red"], "red"],
    [["unknown"], "amber"],
    [[""], "amber"],
    [["red", "blue"], "red"],
  ])("%p -> %p", (statuses, want) => {
    expect(rollupHealthStatus(statuses.map((status) => ({ status }))) as string).toBe(want as string);
  });
  test("null is green", () => expect(rollupHealthStatus(null)).toBe("green"));
});

describe("validateSnapshot errors (reference §2.2, in order)", () => {
  const base: SnapshotInput = { host_id: "host-a", process_type: "monitor" };
  test.each<[string, SnapshotInput, string]>([
    ["missing host", { process_type: "monitor" }, "host id is required"],
    ["blank host", { host_id: "  ", process_type: "monitor" }, "host id is required"],
    ["missing type", { host_id: "host-a" }, "process type is required"],
    ["host checked before type", {}, "host id is required"],
    ["unknown state", { ...base, state: "starting" }, 'invalid process state "starting"'],
    ["unknown state trimmed", { ...base, state: " Running " }, 'invalid process state "Running"'],
    ["unknown health", { ...base, health_status: "blue" }, 'invalid health status "blue"'],
    ["state checked before health", { ...base, state: "x", health_status: "y" }, 'invalid process state "x"'],
    ["negative pid", { ...base, pid: -1 }, "pid must be an integer 0-4294967295, got -1"],
    [
      "fractional counter",
      { ...base, queue_depth: 1.5 },
      "queue_depth must be an integer 0-4294967295, got 1.5",
    ],
    [
      "bucket out of SMALLINT",
      { ...base, bucket_max: 70000 },
      "bucket_max must be an integer 0-65535, got 70000",
    ],
    ["negative port", { ...base, api_port: -8 }, "api_port must be an integer 0-4294967295, got -8"],
    [
      "malformed dependency",
      { ...base, dependency_health: [{ name: "mysql" } as never] },
      'dependency_health entry {"name":"mysql"} must be {name, status, checked_at} strings',
    ],
  ])("%s", (_name, input, message) => {
    expect(() => validateSnapshot(input, NOW)).toThrow(message);
    try {
      validateSnapshot(input, NOW);
    } catch (err) {
      expect((err as Error).message).toBe(message);
    }
  });
});

describe("validateSnapshot normalisation", () => {
  test("trims, derives the id, defaults state to running and times to now", () => {
    const s = validateSnapshot({ host_id: " host-a ", process_type: " monitor ", state: " " }, NOW);
    expect(s.process_id).toBe("host-a:monitor");
    expect(s.host_id).toBe("host-a");
    expect(s.process_type).toBe("monitor");
    expect(s.state).toBe("running");
    expect(s.health_status).toBe("green");
    expect(s.started_at?.getTime()).toBe(NOW);
    expect(s.updated_at.getTime()).toBe(NOW);
    expect(s.bucket_min).toBeNull();
    expect(s.api_port).toBeNull();
    expect(s.dependency_health).toEqual([]);
  });

  test("an explicit process id is kept (not cross-checked)", () => {
    expect(validateSnapshot({ host_id: "a", process_type: "monitor", process_id: " x:y " }).process_id).toBe(
      "x:y",
    );
  });

  test("process type is not restricted to monitor/deliverer", () => {
    expect(validateSnapshot({ host_id: "a", process_type: "veriflier" }).process_id).toBe("a:veriflier");
  });

  test("empty health is rolled up from the dependencies", () => {
    const deps = [
      { name: "mysql", status: "green", checked_at: "t" },
      { name: "x", status: "purple", checked_at: "t" },
    ];
    expect(validateSnapshot({ host_id: "a", process_type: "m", dependency_health: deps }).health_status).toBe(
      "amber",
    );
    const red = [...deps, { name: "y", status: "red", checked_at: "t" }];
    expect(validateSnapshot({ host_id: "a", process_type: "m", dependency_health: red }).health_status).toBe(
      "red",
    );
  });

  test("an explicit health status wins over the rollup", () => {
    const deps = [{ name: "mysql", status: "red", checked_at: "t" }];
    const s = validateSnapshot({
      host_id: "a",
      process_type: "m",
      health_status: "green",
      dependency_health: deps,
    });
    expect(s.health_status).toBe("green");
  });

  test.each(["running", "stopping", "stopped", "idle"])("state %p is accepted", (state) => {
    expect(validateSnapshot({ host_id: "a", process_type: "m", state }).state).toBe(state as never);
  });

  test("zero bucket and port values are kept, not nulled", () => {
    const s = validateSnapshot({ host_id: "a", process_type: "m", bucket_min: 0, api_port: 0 });
    expect(s.bucket_min).toBe(0);
    expect(s.api_port).toBe(0);
  });
});

describe("normaliseDependency", () => {
  test("omits zero latency and empty error, keeps key order", () => {
    const d = normaliseDependency({
      checked_at: "T",
      last_error: "",
      latency_ms: 0,
      status: "green",
      name: "mysql",
    });
    expect(JSON.stringify(d)).toBe('{"name":"mysql","status":"green","checked_at":"T"}');
    const e = normaliseDependency({
      checked_at: "T",
      last_error: "boom",
      latency_ms: 3,
      status: "red",
      name: "x",
    });
    expect(JSON.stringify(e)).toBe(
      '{"name":"x","status":"red","latency_ms":3,"last_error":"boom","checked_at":"T"}',
    );
  });
});
