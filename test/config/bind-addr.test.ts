import { describe, expect, test } from "bun:test";
import { bindAddrWarning, dashboardDialHost, isLoopbackBindAddr } from "../../src/config/bind-addr.ts";
import { dashboardBindWarning } from "../../src/config/load.ts";

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

describe("dashboardDialHost: where a CLI on this machine reaches the dashboard", () => {
  // The cutover gate's probe (rollout/dashboard-probe.ts): wildcards by loopback address.
  test.each([
    ["127.0.0.1", "127.0.0.1"],
    ["", "127.0.0.1"],
    ["0.0.0.0", "127.0.0.1"],
    ["10.0.0.5", "10.0.0.5"],
    ["dashboard.internal", "dashboard.internal"],
    ["::1", "[::1]"],
    ["[::1]", "[::1]"],
    ["::", "[::1]"],
    ["fd00::5", "[fd00::5]"],
  ])("the cutover gate probes bind %p at %p", (bind, host) => {
    expect(dashboardDialHost(bind, "address")).toBe(host);
  });
  // `jetmon2 status` (cli/control.ts): wildcards named localhost, as Go's status.
  test.each([
    ["", "localhost"],
    ["0.0.0.0", "localhost"],
    ["::", "localhost"],
    ["[::]", "localhost"],
    ["127.0.0.1", "127.0.0.1"],
    ["dashboard.internal", "dashboard.internal"],
    ["::1", "[::1]"],
    ["[::1]", "[::1]"],
    ["fd00::5", "[fd00::5]"],
  ])("status dials bind %p at %p", (bind, host) => {
    expect(dashboardDialHost(bind, "localhost")).toBe(host);
  });
});
