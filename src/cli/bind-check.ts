/**
 * A port the process cannot listen on stops start-up: a taken DASHBOARD_PORT must not leave a
 * monitor running with no dashboard (and `status` reading whoever holds the port). Checked
 * before the database is touched; port 0 means the listener is off.
 */
import { dashboardListenHost, formatHostPort } from "../config/bind-addr.ts";

const REASONS: Record<string, string> = {
  EADDRINUSE: "address already in use",
  EADDRNOTAVAIL: "address not available on this host",
  EACCES: "permission denied (ports below 1024 need privileges)",
};

/** Why `host:port` cannot be listened on, or null when it can (or port is 0). */
export function bindProblem(key: string, bindAddr: string | undefined, port: number): string | null {
  if (port === 0) return null;
  const host = dashboardListenHost(bindAddr);
  const addr = formatHostPort(host, port);
  try {
    Bun.listen({ hostname: host, port, socket: { data() {} } }).stop(true);
    return null;
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    const reason =
      typeof code === "string" ? `${REASONS[code] ?? code} (${code})` : "cannot resolve or use the address";
    return `cannot listen on ${addr}: ${reason}; free the port or change ${key} (0 disables it)`;
  }
}
