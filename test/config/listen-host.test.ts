import { describe, expect, test } from "bun:test";
import { dashboardListenHost, formatHostPort } from "../../src/config/bind-addr.ts";
import { dashboardBindWarning as configBindWarning } from "../../src/config/load.ts";

const dashboardBindWarning = (addr: string) =>
  configBindWarning({ DASHBOARD_PORT: 8080, DASHBOARD_BIND_ADDR: addr }) ?? "";

describe("dashboardListenHost", () => {
  test.each([
    [undefined, "127.0.0.1"],
    ["", "127.0.0.1"],
    ["   ", "127.0.0.1"],
    [" 0.0.0.0 ", "0.0.0.0"],
    ["::1", "::1"],
    ["[::1]", "::1"],
    ["dashboard.internal", "dashboard.internal"],
  ])("%p -> %p", (input, want) => expect(dashboardListenHost(input)).toBe(want));
});

describe("formatHostPort (TestDashboardListenAddrDefaultsLocalhost)", () => {
  test.each([
    ["127.0.0.1", 8080, "127.0.0.1:8080"],
    ["0.0.0.0", 8080, "0.0.0.0:8080"],
    ["::1", 8080, "[::1]:8080"],
    ["::", 9, "[::]:9"],
    ["localhost", 1, "localhost:1"],
  ])("%p %p -> %p", (host, port, want) => expect(formatHostPort(host, port)).toBe(want));
});

describe("dashboardBindWarning (TestDashboardBindWarning)", () => {
  test.each([
    "",
    "  ",
    "127.0.0.1",
    "127.1.2.3",
    "::1",
    "[::1]",
    "localhost",
    "LOCALHOST.",
    "a.localhost",
    "0:0:0:0:0:0:0:1",
  ])("no warning for %p", (addr) => expect(dashboardBindWarning(addr)).toBe(""));
  test.each(["0.0.0.0", "10.0.0.5", "dashboard.internal", "::", "[2001:db8::1]", "128.0.0.1"])(
    "warning for %p",
    (addr) =>
      expect(dashboardBindWarning(addr)).toBe(
        `DASHBOARD_BIND_ADDR=${JSON.stringify(addr.trim())} exposes the unauthenticated host dashboard; restrict access to trusted operator networks`,
      ),
  );
  test("the warning quotes the trimmed original", () => {
    expect(dashboardBindWarning(" 0.0.0.0 ")).toStartWith('DASHBOARD_BIND_ADDR="0.0.0.0" exposes');
  });
});
