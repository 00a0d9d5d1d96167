import { describe, expect, test } from "bun:test";
import { bindAddrWarning, dashboardBindWarning, isLoopbackBindAddr } from "../../src/config/load.ts";

describe("isLoopbackBindAddr", () => {
  const cases: Array<[string, boolean]> = [
    ["127.0.0.1", true],
    ["127.1.2.3", true],
    ["127.255.255.255", true],
    ["::1", true],
    ["[::1]", true],
    ["0:0:0:0:0:0:0:1", true],
    ["::ffff:127.0.0.1", true],
    ["localhost", true],
    ["LOCALHOST", true],
    ["localhost.", true],
    ["dashboard.localhost", true],
    ["", true],
    ["   ", true],
    [" 127.0.0.1 ", true],
    ["0.0.0.0", false],
    ["10.0.0.1", false],
    ["::", false],
    ["[::]", false],
    ["::2", false],
    ["128.0.0.1", false],
    ["127.0.0.256", false],
    ["127.0.0", false],
    ["::ffff:10.0.0.1", false],
    ["example.com", false],
    ["localhost.example.com", false],
    ["notlocalhost", false],
  ];
  for (const [addr, want] of cases) {
    test(`${JSON.stringify(addr)} -> ${want}`, () => {
      expect(isLoopbackBindAddr(addr)).toBe(want);
    });
  }
});

describe("warning text", () => {
  test("bindAddrWarning quotes the trimmed value as Go's %q does", () => {
    expect(bindAddrWarning(" 0.0.0.0 ")).toBe(
      'DASHBOARD_BIND_ADDR="0.0.0.0" exposes the unauthenticated host dashboard; restrict access to trusted operator networks',
    );
  });

  test("dashboardBindWarning: only with the dashboard on and a non-loopback address", () => {
    expect(dashboardBindWarning({ DASHBOARD_PORT: 8080, DASHBOARD_BIND_ADDR: "0.0.0.0" })).toBe(
      bindAddrWarning("0.0.0.0"),
    );
    expect(dashboardBindWarning({ DASHBOARD_PORT: 0, DASHBOARD_BIND_ADDR: "0.0.0.0" })).toBeUndefined();
    expect(dashboardBindWarning({ DASHBOARD_PORT: 8080, DASHBOARD_BIND_ADDR: "127.0.0.1" })).toBeUndefined();
  });
});
