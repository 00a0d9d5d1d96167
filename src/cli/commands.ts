import type { Command } from "./context.ts";

/**
 * Every mode and subcommand, loaded on demand so `jetmon2 version` does not pay for
 * the monitor's imports. Literal import paths keep them inside the compiled binary.
 */
export const MODES: Record<string, { summary: string; load: () => Promise<Command> }> = {
  monitor: {
    summary: "check the sites in this host's buckets, serve the host dashboard (default)",
    load: () => import("./monitor.ts").then((m) => m.monitorCommand),
  },
  deliverer: {
    summary: "send webhooks and alert-contact notifications from event transitions",
    load: () => import("./deliverer.ts").then((m) => m.delivererCommand),
  },
  veriflier: {
    summary: "remote confirmation worker: POST /check, GET /status",
    load: () => import("./veriflier.ts").then((m) => m.veriflierCommand),
  },
};

export const SUBCOMMANDS: Record<string, { summary: string; load: () => Promise<Command> }> = {
  migrate: {
    summary: "apply pending database migrations",
    load: () => import("./migrate.ts").then((m) => m.migrateCommand),
  },
  "validate-config": {
    summary: "check the config, the database and dependencies; PASS/WARN/FAIL lines",
    load: () => import("./validate-config.ts").then((m) => m.validateConfigCommand),
  },
  status: {
    summary: "print the running monitor's /api/state",
    load: () => import("./control.ts").then((m) => m.statusCommand),
  },
  drain: {
    summary: "ask the running monitor (pid file) to drain and exit",
    load: () => import("./control.ts").then((m) => m.drainCommand),
  },
  reload: {
    summary: "ask the running monitor (pid file) to reload its config",
    load: () => import("./control.ts").then((m) => m.reloadCommand),
  },
  version: {
    summary: "print version, commit and build date",
    load: async () => (await import("./version.ts")).versionCommand,
  },
  "delivery-check": {
    summary: "read-only report of the webhook and alert delivery queues",
    load: () => import("./delivery-check.ts").then((m) => m.deliveryCheckCommand),
  },
  rollout: {
    summary:
      "rollout gates: state-report, host-preflight, cutover-check, activity-check, rollback-check, projection-drift, static-plan-check",
    load: () => import("./rollout.ts").then((m) => m.rolloutCommand),
  },
};

export function usage(): string {
  const pad = (s: string) => s.padEnd(18);
  return [
    "Usage: jetmon2 [--config PATH] [--mode=monitor|deliverer|veriflier]",
    "       jetmon2 [--config PATH] <subcommand> [flags]",
    "",
    "Modes:",
    ...Object.entries(MODES).map(([k, v]) => `  --mode=${pad(k)}${v.summary}`),
    "",
    "Subcommands:",
    ...Object.entries(SUBCOMMANDS).map(([k, v]) => `  ${pad(k)}       ${v.summary}`),
    "",
    "Config: --config PATH, else $JETMON_CONFIG, else config/config.json.",
    "Database: DB_HOST, DB_PORT, DB_USER, DB_PASSWORD, DB_NAME.",
  ].join("\n");
}
