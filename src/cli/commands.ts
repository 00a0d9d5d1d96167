import { GATE_NAMES } from "../rollout/commands.ts";
import type { Command } from "./context.ts";

export interface CommandEntry {
  summary: string;
  load: () => Promise<Command>;
  /** What `<command> --help` prints (exit 0). Rollout prints its own, per gate. */
  help?: () => Promise<string>;
}

const ENV_NOTE = "Host identity: JETMON_HOSTNAME, else the OS hostname. Pid file: JETMON_PID_FILE.";

/**
 * Every mode and subcommand, loaded on demand so `jetmon2 version` does not pay for
 * the monitor's imports. Literal import paths keep them inside the compiled binary.
 */
export const MODES: Record<string, CommandEntry> = {
  monitor: {
    summary: "check the sites in this host's buckets, serve the host dashboard (default)",
    load: () => import("./monitor.ts").then((m) => m.monitorCommand),
    help: async () =>
      [
        "usage: jetmon2 [--config PATH] [--mode=monitor]",
        "Checks the sites in this host's buckets until SIGINT/SIGTERM, then drains (30 s) and exits.",
        "SIGHUP reloads the config (`jetmon2 reload`). Dashboard: DASHBOARD_BIND_ADDR:DASHBOARD_PORT.",
        ENV_NOTE,
      ].join("\n"),
  },
  deliverer: {
    summary: "send webhooks and alert-contact notifications from event transitions",
    load: () => import("./deliverer.ts").then((m) => m.delivererCommand),
    help: async () =>
      [
        "usage: jetmon2 [--config PATH] --mode=deliverer",
        "Sends webhooks and alert-contact notifications when this host owns delivery",
        "(DELIVERY_OWNER_HOST); SIGHUP reloads the config, SIGINT/SIGTERM drain and exit.",
        ENV_NOTE,
      ].join("\n"),
  },
  veriflier: {
    summary: "remote confirmation worker: POST /check, GET /status",
    load: () => import("./veriflier.ts").then((m) => m.veriflierCommand),
    help: async () =>
      [
        "usage: jetmon2 [--config PATH] --mode=veriflier",
        "Serves POST /check and GET /status on VERIFLIER_BIND_ADDR:VERIFLIER_PORT until SIGINT/SIGTERM.",
        "Config: the VERIFLIER_* keys of docs/configuration.md (file given by --config, or env).",
      ].join("\n"),
  },
};

export const SUBCOMMANDS: Record<string, CommandEntry> = {
  migrate: {
    summary: "apply pending database migrations",
    load: () => import("./migrate.ts").then((m) => m.migrateCommand),
    help: async () =>
      "usage: jetmon2 [--config PATH] migrate\nApplies pending migrations; takes no arguments.",
  },
  "validate-config": {
    summary: "check the config, the database and dependencies; PASS/WARN/FAIL lines",
    load: () => import("./validate-config.ts").then((m) => m.validateConfigCommand),
    help: () => import("./validate-config.ts").then((m) => m.VALIDATE_CONFIG_USAGE),
  },
  status: {
    summary: "print the running monitor's state; exit 0 green, 1 amber, 2 red, 3 not running",
    load: () => import("./control.ts").then((m) => m.statusCommand),
    help: async () =>
      [
        "usage: jetmon2 [--config PATH] status [--output=text|json]",
        "text prints /api/state and the verdict; json prints /api/host.",
        "Exit 0 green, 1 amber, 2 red, 3 not running or unreachable.",
      ].join("\n"),
  },
  drain: {
    summary: "ask the running monitor (pid file) to drain and exit",
    load: () => import("./control.ts").then((m) => m.drainCommand),
    help: async () =>
      "usage: jetmon2 drain [--wait=35s] [--no-wait]\nSends SIGINT to the jetmon2 named by JETMON_PID_FILE and waits for it to exit.",
  },
  reload: {
    summary: "ask the running monitor (pid file) to reload its config; prints its answer",
    load: () => import("./control.ts").then((m) => m.reloadCommand),
    help: async () =>
      "usage: jetmon2 reload [--wait=10s]\nSends SIGHUP to the jetmon2 named by JETMON_PID_FILE and prints whether it accepted the new config (exit 0) or rejected it (exit 1).",
  },
  version: {
    summary: "print version, commit and build date (also --version)",
    load: async () => (await import("./version.ts")).versionCommand,
    help: async () =>
      "usage: jetmon2 version\nPrints: jetmon2 <version> (commit <sha>, built <date>, bun <version>)",
  },
  "delivery-check": {
    summary: "read-only report of the webhook and alert delivery queues",
    load: () => import("./delivery-check.ts").then((m) => m.deliveryCheckCommand),
    help: () => import("./delivery-check.ts").then((m) => m.deliveryCheckHelp()),
  },
  rollout: {
    summary: "rollout gates (jetmon2 rollout <gate> --help for each):",
    load: () => import("./rollout.ts").then((m) => m.rolloutCommand),
  },
};

export function usage(): string {
  const pad = (s: string) => s.padEnd(18);
  return [
    "Usage: jetmon2 [--config PATH] [--mode=monitor|deliverer|veriflier]",
    "       jetmon2 [--config PATH] <subcommand> [flags]",
    "       jetmon2 <mode or subcommand> --help",
    "",
    "Modes:",
    ...Object.entries(MODES).map(([k, v]) => `  --mode=${pad(k)}${v.summary}`),
    "",
    "Subcommands:",
    ...Object.entries(SUBCOMMANDS).map(([k, v]) => `  ${pad(k)}       ${v.summary}`),
    ...GATE_NAMES.map((g) => `    rollout ${g}`),
    "",
    "Config: --config PATH, else $JETMON_CONFIG, else config/config.json.",
    "Database: DB_HOST, DB_PORT, DB_USER, DB_PASSWORD, DB_NAME.",
    ENV_NOTE,
  ].join("\n");
}
