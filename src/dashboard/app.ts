/**
 * The host dashboard HTTP app (docs/reference/dashboard-fleethealth.md §1.3-§1.5 with the #91 hardening and
 * docs/design.md defects 12-13): the page, its SSE stream and three read-only JSON routes. Unknown paths are 404;
 * read routes take GET/HEAD only, /events GET only (405 with Allow otherwise).
 */
import { Elysia, sse } from "elysia";
import { dashboardListenHost, formatHostPort } from "../config/bind-addr.ts";
import { errorText } from "../error-text.ts";
import { createFleetRoutes, FLEET_PATHS, type FleetRoutesOptions } from "../fleet/routes.ts";
import { normaliseDependency } from "../fleethealth/snapshot.ts";
import type { Logger } from "../log.ts";
import { PROMETHEUS_CONTENT_TYPE } from "../metrics/prometheus.ts";
import { htmlResponse, jsonResponse, textResponse } from "../web/http.ts";
import { withSharedStyle } from "../web/page-style.ts";
import { commandStateFields, type RolloutCommands } from "./commands.ts";
import type { DashboardHub, HubClient } from "./hub.ts";
import pageHtml from "./page.html" with { type: "text" };
import { completeHostState, type HostHealth, type HostState } from "./state.ts";
import { summarizeHost } from "./summary.ts";

/** The page with the shared CSS, inlined into the compiled binary. */
const PAGE = withSharedStyle(pageHtml);

export interface DashboardAppOptions {
  /** The monitor's latest state, or null before its first update. */
  getState: () => Partial<HostState> | null;
  /** The latest dependency probes, or null before the first probe round completes. */
  getHealth: () => HostHealth | null;
  /** Operator commands for the current config; they fill the state's command fields. */
  commands?: RolloutCommands | (() => RolloutCommands);
  events: DashboardHub;
  log: Logger;
  /** When given, the fleet dashboard (/fleet, /api/fleet) is served beside the host page. */
  fleet?: FleetRoutesOptions;
  /** The Prometheus exposition for GET /metrics; without it /metrics is 404. */
  metricsText?: () => string;
  /** Gap between SSE keepalive comments (docs/design.md defect 12); default 15 s. */
  keepaliveMs?: number;
}

const HOST_ROUTES = ["/", "/api/state", "/api/health", "/api/host", "/livez", "/readyz", "/metrics"];
const EVENTS = "/events";

const text = textResponse;
const json = jsonResponse;

const encoder = new TextEncoder();

export function createDashboardApp(opts: DashboardAppOptions) {
  const keepaliveMs = opts.keepaliveMs ?? 15_000;
  const commands = () => (typeof opts.commands === "function" ? opts.commands() : opts.commands);

  const present = (s: Partial<HostState> | null): HostState => {
    const cmds = commands();
    return completeHostState(cmds ? { ...s, ...commandStateFields(cmds) } : s);
  };
  const health = (): HostHealth | null => {
    const h = opts.getHealth();
    return h && h.length > 0 ? h.map(normaliseDependency) : null;
  };

  async function* stream(client: HubClient, signal: AbortSignal) {
    try {
      yield sse({ data: JSON.stringify(present(opts.getState())) });
      for (;;) {
        const next = await client.next(keepaliveMs, signal);
        if (next === "closed") return;
        // A comment line keeps proxies and Bun's idle timeout from closing a quiet stream.
        if (next === "keepalive") yield encoder.encode(": keepalive\n\n");
        else yield sse({ data: JSON.stringify(present(next)) });
      }
    } finally {
      client.close();
      opts.log.debug(
        { clients: opts.events.clientCount, dropped: client.dropped },
        "dashboard event client left",
      );
    }
  }

  const readRoutes = new Set([...HOST_ROUTES, ...(opts.fleet ? FLEET_PATHS : [])]);
  const app = new Elysia()
    .onRequest(({ request }) => {
      const path = new URL(request.url).pathname;
      if (path === EVENTS) {
        return request.method === "GET" ? undefined : text(405, "method not allowed\n", { allow: "GET" });
      }
      if (readRoutes.has(path)) {
        return request.method === "GET" || request.method === "HEAD"
          ? undefined
          : text(405, "method not allowed\n", { allow: "GET, HEAD" });
      }
      return text(404, "404 page not found\n");
    })
    .onError(({ code, error, request }) => {
      if (code === "NOT_FOUND") return text(404, "404 page not found\n");
      opts.log.error(
        { path: new URL(request.url).pathname, err: errorText(error) },
        "dashboard request failed",
      );
      return text(500, "internal server error\n");
    })
    .get("/", () => htmlResponse(PAGE))
    .get("/api/state", () => json(present(opts.getState())))
    .get("/api/health", () => json(health()))
    .get("/api/host", () => {
      // Always 200, as Go's: the verdict is in the body (`status` and /readyz map it to codes).
      const state = present(opts.getState());
      const h = health();
      return json({ state, health: h, summary: summarizeHost(state, h) });
    })
    // For load balancers: /livez says the process answers, /readyz that the host is green.
    .get("/livez", () => text(200, "ok\n"))
    .get("/metrics", () =>
      opts.metricsText
        ? new Response(opts.metricsText(), {
            headers: { "content-type": PROMETHEUS_CONTENT_TYPE, "cache-control": "no-store" },
          })
        : text(404, "404 page not found\n"),
    )
    .get("/readyz", () => {
      const summary = summarizeHost(present(opts.getState()), health());
      const res = json(summary);
      return summary.status === "green" ? res : new Response(res.body, { status: 503, headers: res.headers });
    })
    .get(EVENTS, ({ request, set }) => {
      const client = opts.events.subscribe();
      if (!client) return text(503, "too many dashboard event clients\n");
      set.headers["content-type"] = "text/event-stream";
      set.headers["cache-control"] = "no-cache, no-store";
      set.headers["x-content-type-options"] = "nosniff";
      set.headers.connection = "keep-alive";
      return stream(client, request.signal);
    });
  return opts.fleet ? app.use(createFleetRoutes({ log: opts.log, ...opts.fleet })) : app;
}

export type DashboardApp = ReturnType<typeof createDashboardApp>;

export interface RunningDashboard {
  /** The bound port (useful when asked for port 0). */
  port: number;
  /** `host:port`, IPv6 bracketed. */
  addr: string;
  /** Closes the listener and every open stream. */
  stop(): Promise<void>;
}

/**
 * Listens on DASHBOARD_BIND_ADDR:DASHBOARD_PORT. Idle connections close after 120 s
 * (docs/reference/dashboard-fleethealth.md §1.5); the 15 s keepalive keeps SSE streams under that. Bun has no separate header-read
 * timeout, so the idle timeout also bounds a client that stops sending its headers.
 * Throws `dashboard: <reason>` when the address cannot be bound.
 */
export function startDashboard(opts: {
  bindAddr: string | undefined;
  port: number;
  app: DashboardApp;
  log?: Logger;
}): RunningDashboard {
  const hostname = dashboardListenHost(opts.bindAddr);
  let server: ReturnType<typeof Bun.serve>;
  try {
    server = Bun.serve({
      hostname,
      port: opts.port,
      idleTimeout: 120,
      fetch: (req) => opts.app.handle(req),
    });
  } catch (err) {
    throw new Error(`dashboard: ${errorText(err)}`);
  }
  const port = server.port ?? opts.port;
  const addr = formatHostPort(hostname, port);
  opts.log?.info({ addr }, "dashboard listening");
  return {
    port,
    addr,
    stop: async () => {
      await server.stop(true);
    },
  };
}
