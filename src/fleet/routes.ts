/**
 * The fleet dashboard routes (docs/reference/dashboard-fleethealth.md §6.1, §1.3 hardening): `GET|HEAD /fleet` (the page) and
 * `GET|HEAD /api/fleet` (JSON). Other methods get 405 with `Allow: GET, HEAD`. The plugin adds
 * no catch-all: unknown paths stay the host app's 404.
 */
import { Elysia } from "elysia";
import type { Db } from "../db/client.ts";
import { errorText } from "../error-text.ts";
import { log as defaultLog, type Logger } from "../log.ts";
import { htmlResponse, jsonResponse, textResponse } from "../web/http.ts";
import { withSharedStyle } from "../web/page-style.ts";
import pageHtml from "./page.html" with { type: "text" };
import { createFleetSource, type FleetSource } from "./queries.ts";
import { createFleetSnapshotter, type FleetSnapshotter, FleetSourceMissing } from "./snapshot.ts";
import type { FleetOptions } from "./types.ts";

/** The page with the shared CSS, inlined into the compiled binary. */
const PAGE = withSharedStyle(pageHtml);

/** The paths this plugin serves; a host app that filters paths before routing must allow them. */
export const FLEET_PATHS = ["/fleet", "/api/fleet"] as const;

const text = (status: number, body: string, extra: Record<string, string> = {}) =>
  textResponse(status, `${body}\n`, extra);

export interface FleetRoutesOptions {
  /** The shared MySQL; null/undefined makes /api/fleet answer 503. */
  db?: Db | null;
  /** Replaces the MySQL reads (tests, or a source built elsewhere). */
  source?: FleetSource | null;
  /** BUCKET_TOTAL, BUCKET_HEARTBEAT_GRACE_SEC, FLEET_RETAIN_STOPPED_HOURS; a function is read per build (reload). */
  options: FleetOptions | (() => FleetOptions);
  /** Epoch ms; defaults to Date.now. */
  now?: () => number;
  log?: Logger;
}

export function createFleetRoutes(opts: FleetRoutesOptions) {
  const logger = opts.log ?? defaultLog;
  const source = opts.source ?? (opts.db ? createFleetSource(opts.db) : null);
  const snapshotter: FleetSnapshotter = createFleetSnapshotter({
    source,
    options: opts.options,
    now: opts.now,
  });
  const notAllowed = () => text(405, "method not allowed", { allow: "GET, HEAD" });

  return new Elysia()
    .get("/fleet", () => htmlResponse(PAGE))
    .all("/fleet", notAllowed)
    .get("/api/fleet", async () => {
      try {
        const snap = await snapshotter.snapshot();
        return jsonResponse(snap);
      } catch (err) {
        if (err instanceof FleetSourceMissing) return text(503, "fleet dashboard source is not configured");
        // The database's words stay in the log: the page is unauthenticated.
        logger.error({ err: errorText(err) }, "fleet dashboard query failed");
        return text(500, "fleet dashboard query failed");
      }
    })
    .all("/api/fleet", notAllowed);
}
