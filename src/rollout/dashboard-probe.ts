/**
 * The cutover gate's dashboard probe. It asks the dashboard where the config binds it
 * (DASHBOARD_BIND_ADDR:DASHBOARD_PORT), not a hard-coded localhost: a dashboard bound to one
 * interface does not answer on another. Wildcard binds are probed on loopback.
 */

import { dashboardDialHost } from "../config/bind-addr.ts";
import { errorText } from "../error-text.ts";
import { collapseWhitespace } from "../go-format.ts";
import { GateError } from "./report.ts";

const PROBE_TIMEOUT_MS = 5000;

/** The probe URL: wildcard binds on the loopback address, IPv6 literals bracketed. */
export function dashboardStateUrl(bindAddr: string, port: number): string {
  return `http://${dashboardDialHost(bindAddr, "address")}:${port}/api/state`;
}

function describeFetchError(err: unknown): string {
  const code = (err as { code?: unknown; name?: unknown })?.code;
  const name = (err as { name?: unknown })?.name;
  if (code === "ConnectionRefused" || code === "ECONNREFUSED") return "connection refused";
  if (name === "TimeoutError" || code === "ETIMEDOUT") return `timed out after ${PROBE_TIMEOUT_MS / 1000}s`;
  return typeof code === "string" && code !== "" ? `${errorText(err)} (${code})` : errorText(err);
}

/** GETs /api/state; returns the body or throws `dashboard status check on port <p>: ...`. */
export async function probeDashboard(
  fetchFn: (url: string, init?: RequestInit) => Promise<Response>,
  url: string,
  port: number,
): Promise<string> {
  let res: Response;
  let body: string;
  try {
    res = await fetchFn(url, { signal: AbortSignal.timeout(PROBE_TIMEOUT_MS), redirect: "follow" });
    body = await res.text();
  } catch (err) {
    throw new GateError(`dashboard status check on port ${port}: GET ${url}: ${describeFetchError(err)}`);
  }
  if (res.status >= 400) {
    throw new GateError(
      `dashboard status check on port ${port}: GET ${url}: http ${res.status}: ${body.trim()}`,
    );
  }
  return collapseWhitespace(body);
}
