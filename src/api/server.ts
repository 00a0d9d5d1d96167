/**
 * The internal REST API /api/v1 (docs/reference/cli-rollout-api.md §3) as its own Elysia app, served
 * by `--mode=monitor` on API_BIND_ADDR:API_PORT when API_PORT > 0 (not on the dashboard port).
 */
import { sql } from "drizzle-orm";
import { Elysia } from "elysia";
import { isLoopbackBindAddr } from "../config/bind-addr.ts";
import type { Config } from "../config/schema.ts";
import { dashboardListenHost, formatHostPort } from "../dashboard/bind.ts";
import type { Db } from "../db/client.ts";
import { type BuiltDispatchers, buildAlertDispatchers } from "../delivery/dispatchers.ts";
import { alertTransportOptionsFromConfig } from "../delivery/from-config.ts";
import type { AlertDispatchers } from "../delivery/notification.ts";
import { errorText } from "../error-text.ts";
import type { Logger } from "../log.ts";
import { rfc3339 } from "../time.ts";
import { withTimeout } from "../timeout.ts";
import { ApiError, apiJson } from "./errors.ts";
import { eventRoutes } from "./events.ts";
import { IdempotencyCache } from "./idempotency.ts";
import { openApiDocument } from "./openapi.ts";
import { RateLimiter } from "./rate-limit.ts";
import { registryRoutes } from "./registry.ts";
import { createPipeline, MAX_BODY_BYTES, type RouteDef, route } from "./router.ts";
import { type SiteRoutesOptions, siteRoutes } from "./sites.ts";
import { statsRoutes } from "./stats.ts";

export interface ApiAppOptions {
  db: Db;
  log: Logger;
  now?: () => number;
  /** What trigger-now and the projection need from the monitor's config. */
  sites?: Omit<SiteRoutesOptions, "db">;
  /** The alert transports `POST /alert-contacts/{id}/test` sends through (absent: 503). */
  dispatchers?: () => AlertDispatchers | null;
}

export function apiRoutes(opts: ApiAppOptions): RouteDef[] {
  const routes: RouteDef[] = [
    route({
      method: "GET",
      path: "/api/v1/health",
      scope: null,
      summary: "Liveness and database reachability (no auth)",
      handler: async () => {
        try {
          await withTimeout(1000, opts.db.execute(sql`SELECT 1`));
          return apiJson(200, { status: "ok" });
        } catch (err) {
          throw new ApiError("db_unavailable", `database unavailable: ${errorText(err)}`);
        }
      },
    }),
    route({
      method: "GET",
      path: "/api/v1/me",
      scope: "read",
      summary: "The calling API key",
      handler: ({ key }) =>
        apiJson(200, {
          consumer_name: key.consumerName,
          scope: key.scope,
          rate_limit_per_minute: key.rateLimitPerMinute,
          expires_at: key.expiresAt ? rfc3339(key.expiresAt.getTime()) : null,
        }),
    }),
    ...siteRoutes({ db: opts.db, ...opts.sites }),
    ...eventRoutes({ db: opts.db, projection: opts.sites?.projection }),
    ...statsRoutes({ db: opts.db, now: opts.now }),
    ...registryRoutes({ db: opts.db, dispatchers: opts.dispatchers, now: opts.now }),
  ];
  routes.push(
    route({
      method: "GET",
      path: "/api/v1/openapi.json",
      scope: "read",
      summary: "This API as OpenAPI 3.1, generated from the route table and its TypeBox schemas",
      handler: () => apiJson(200, openApiDocument(routes)),
    }),
  );
  return routes;
}

export function createApiApp(opts: ApiAppOptions) {
  const now = opts.now ?? Date.now;
  const limiter = new RateLimiter(now);
  const idempotency = new IdempotencyCache(now);
  const handle = createPipeline({
    db: opts.db,
    log: opts.log,
    routes: apiRoutes(opts),
    now,
    limiter,
    idempotency,
  });
  const app = new Elysia().onRequest(({ request }) => handle(request));
  return { app, limiter, idempotency };
}

export interface RunningApi {
  port: number;
  addr: string;
  stop(): Promise<void>;
}

/** The exposure warning for an API bound beyond loopback (null when loopback-only). */
export function apiBindWarning(bindAddr: string): string | null {
  if (isLoopbackBindAddr(bindAddr)) return null;
  return (
    `API_BIND_ADDR=${JSON.stringify(bindAddr.trim())} exposes the internal API beyond this host; ` +
    "restrict access to trusted networks"
  );
}

/**
 * Listens on bindAddr:port (blank bindAddr = 127.0.0.1). Idle connections close after 120 s
 * as Go's idle timeout; Bun has no separate header/read/write timeouts. Throws `api: <reason>`.
 */
export function startApi(
  opts: ApiAppOptions & { bindAddr: string; port: number; onStop?: () => void },
): RunningApi {
  const hostname = dashboardListenHost(opts.bindAddr);
  const warning = apiBindWarning(opts.bindAddr);
  if (warning) opts.log.warn({ bind_addr: opts.bindAddr }, warning);
  const { app, limiter, idempotency } = createApiApp(opts);
  let server: ReturnType<typeof Bun.serve>;
  try {
    server = Bun.serve({
      hostname,
      port: opts.port,
      idleTimeout: 120,
      // Our own limit answers 413 with the envelope; Bun's is only a backstop.
      maxRequestBodySize: MAX_BODY_BYTES * 2,
      fetch: (req) => app.handle(req),
    });
  } catch (err) {
    throw new Error(`api: ${errorText(err)}`);
  }
  const gc = setInterval(() => {
    limiter.gc();
    idempotency.gc();
  }, 5 * 60_000);
  gc.unref?.();
  const port = server.port ?? opts.port;
  const addr = formatHostPort(hostname, port);
  opts.log.info({ addr }, "api listening");
  return {
    port,
    addr,
    stop: async () => {
      clearInterval(gc);
      await server.stop(true);
      opts.onStop?.();
    },
  };
}

/**
 * The monitor's API: started when API_PORT > 0, else null. Losing the port after the start-up
 * check is "failed" (the error is logged): the monitor stops rather than run without its API,
 * as it does for the dashboard.
 */
export function startMonitorApi(opts: {
  config: () => Config;
  db: Db;
  log: Logger;
}): RunningApi | null | "failed" {
  const cfg = opts.config();
  if (cfg.API_PORT <= 0) return null;
  // The transports of the alert-contact test send, as the embedded delivery builds them
  // (docs/reference/deliverer.md §2), made at the first test send.
  let built: BuiltDispatchers | null = null;
  const dispatchers = () => {
    built ??= buildAlertDispatchers(
      alertTransportOptionsFromConfig(opts.config(), { log: opts.log, now: Date.now }),
    );
    return built.dispatchers;
  };
  try {
    return startApi({
      db: opts.db,
      log: opts.log,
      bindAddr: cfg.API_BIND_ADDR,
      port: cfg.API_PORT,
      sites: {
        projection: () => opts.config().LEGACY_STATUS_PROJECTION_ENABLE,
        checkTimeoutSeconds: () => opts.config().NET_COMMS_TIMEOUT,
      },
      dispatchers,
      onStop: () => built?.close(),
    });
  } catch (err) {
    opts.log.error({ port: cfg.API_PORT, err: errorText(err) }, "api failed to start");
    return "failed";
  }
}
