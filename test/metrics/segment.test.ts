import { expect, test } from "bun:test";
import {
  metricPrefix,
  metricSegment,
  sanitizeHostname,
  wpcomStatusSegment,
} from "../../src/metrics/segment.ts";

test.each([
  ["US-West:7803", "us_west_7803"],
  ["  eu.central-1  ", "eu_central_1"],
  ["://", "unknown"],
  ["", "unknown"],
  ["server", "server"],
  ["veriflier:7803", "veriflier_7803"],
  ["__a__b__", "a_b"],
])("metricSegment(%p) = %p", (input, want) => {
  expect(metricSegment(input)).toBe(want);
});

test.each([
  ["simple", "simple"],
  ["host.name", "host_name"],
  ["my-host", "my_host"],
  ["a.b-c.d", "a_b_c_d"],
])("sanitizeHostname(%p) = %p", (input, want) => {
  expect(sanitizeHostname(input)).toBe(want);
});

test("prefix", () => {
  expect(metricPrefix("my-host.example")).toBe("com.jetpack.jetmon.my_host_example.");
});

test.each([
  [0, "down"],
  [1, "running"],
  [2, "confirmed_down"],
  [99, "unknown"],
])("wpcomStatusSegment(%p) = %p", (input, want) => {
  expect(wpcomStatusSegment(input)).toBe(want);
});
