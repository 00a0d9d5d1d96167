/**
 * Bind addresses: where a server listens, where a CLI on this machine dials it, and whether a bind
 * stays on this machine (docs/reference/dashboard-fleethealth.md §1.6).
 */
import { isIP, isIPv4, isIPv6 } from "node:net";

/** The host to bind: trimmed, blank -> 127.0.0.1, IPv6 brackets removed (`[::1]` -> `::1`). */
export function dashboardListenHost(bindAddr: string | undefined): string {
  const h = (bindAddr ?? "").trim();
  if (!h) return "127.0.0.1";
  return h.startsWith("[") && h.endsWith("]") ? h.slice(1, -1) : h;
}

/** `host:port` for logs and URLs, bracketing IPv6 literals exactly once. */
export function formatHostPort(host: string, port: number): string {
  return isIP(host) === 6 ? `[${host}]:${port}` : `${host}:${port}`;
}

/**
 * Where a CLI on this machine reaches a dashboard bound to `bindAddr`, as a URL host: a blank or
 * wildcard bind (0.0.0.0, or :: in any spelling, bracketed or not) is reached on loopback, named
 * `localhost` (`status`, as Go) or by address, 127.0.0.1 / [::1] (the cutover gate); an IPv6
 * literal is bracketed; any other address is itself.
 */
export function dashboardDialHost(bindAddr: string, loopback: "localhost" | "address"): string {
  let h = bindAddr.trim();
  if (h.startsWith("[") && h.endsWith("]")) h = h.slice(1, -1);
  if (h === "" || h === "0.0.0.0") return loopback === "localhost" ? "localhost" : "127.0.0.1";
  if (/^(0*:)+0*$/.test(h)) return loopback === "localhost" ? "localhost" : "[::1]";
  return h.includes(":") ? `[${h}]` : h;
}

/**
 * Whether a dashboard bind address only listens on this machine: blank (which means
 * 127.0.0.1), `localhost` or `*.localhost`, any IPv4 127.0.0.0/8 address, or ::1 in any
 * spelling (bracketed, expanded, IPv4-mapped 127/8). One trailing dot is ignored.
 */
export function isLoopbackBindAddr(addr: string): boolean {
  let host = addr.trim();
  if (host === "") return true;
  host = host.replace(/^\[/, "").replace(/\]$/, "").toLowerCase().replace(/\.$/, "");
  if (host === "localhost" || host.endsWith(".localhost")) return true;
  if (isIPv4(host)) return host.split(".")[0] === "127";
  if (isIPv6(host)) return isLoopbackV6(host);
  return false;
}

function isLoopbackV6(host: string): boolean {
  const groups = expandV6(host);
  if (!groups) return false;
  const zeroPrefix = groups.slice(0, 5).every((g) => g === 0);
  if (zeroPrefix && groups[5] === 0 && groups[6] === 0 && groups[7] === 1) return true;
  // ::ffff:127.x.y.z is the IPv4 loopback in IPv6 clothing.
  return zeroPrefix && groups[5] === 0xffff && (groups[6] ?? 0) >> 8 === 127;
}

/** The eight 16-bit groups of an IPv6 literal that node:net accepted. */
function expandV6(host: string): number[] | undefined {
  let text = host;
  const v4 = text.match(/(\d+\.\d+\.\d+\.\d+)$/)?.[1];
  if (v4 !== undefined) {
    const [a = 0, b = 0, c = 0, d = 0] = v4.split(".").map(Number);
    text = text.slice(0, -v4.length) + ((a << 8) | b).toString(16) + ":" + ((c << 8) | d).toString(16);
  }
  const [head = "", tail] = text.split("::");
  const parse = (s: string) => (s === "" ? [] : s.split(":").map((g) => Number.parseInt(g, 16)));
  const left = parse(head);
  const right = tail === undefined ? [] : parse(tail);
  const fill = 8 - left.length - right.length;
  if (fill < 0 || (tail === undefined && fill !== 0)) return undefined;
  return [...left, ...new Array<number>(fill).fill(0), ...right];
}

/** The exposure warning for a dashboard bound to `value` (Go's `%q` quoting of the trimmed value). */
export function bindAddrWarning(value: string): string {
  return (
    `DASHBOARD_BIND_ADDR=${JSON.stringify(value.trim())} exposes the unauthenticated host dashboard; ` +
    "restrict access to trusted operator networks"
  );
}

/** The warning to print for a config, or undefined when the dashboard is off or loopback-only. */
export function dashboardBindWarning(config: { DASHBOARD_PORT: number; DASHBOARD_BIND_ADDR: string }) {
  if (config.DASHBOARD_PORT <= 0 || isLoopbackBindAddr(config.DASHBOARD_BIND_ADDR)) return undefined;
  return bindAddrWarning(config.DASHBOARD_BIND_ADDR);
}
