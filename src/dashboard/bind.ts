/**
 * Where the dashboard listens (docs/reference/dashboard-fleethealth.md §1.6): DASHBOARD_BIND_ADDR, blank meaning 127.0.0.1.
 * The exposure warning lives with the config (src/config/bind-addr.ts).
 */
import { isIP } from "node:net";

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
