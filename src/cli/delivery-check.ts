/**
 * `jetmon2 delivery-check`: the read-only delivery queue report (docs/reference/deliverer.md §1.8).
 * Exit 0 when every requested threshold holds, 1 on a failed threshold or an error, 2 on a
 * bad flag.
 */
import { dbSettingsFromConfig, loadConfig } from "../config/load.ts";
import { createDb } from "../db/client.ts";
import { openCommandPool, type Pool } from "../db/pool.ts";
import { delivererOwnerStatus } from "../delivery/ownership.ts";
import type { QueueSummary } from "../delivery/queue-counts.ts";
import {
  buildReport,
  parseSince,
  type ReportLimits,
  renderJson,
  renderText,
  summarizeQueue,
} from "../delivery/queue-report.ts";
import { errorText } from "../error-text.ts";
import { hostIdentity } from "../host-identity.ts";
import { type FlagDef, FlagError, flagDefaults, HelpRequested, parseFlags } from "../rollout/flags.ts";
import type { Command } from "./context.ts";

export const DELIVERY_CHECK_USAGE =
  "usage: jetmon2 delivery-check [--host=<host>] [--since=15m] [--max-pending=N] [--max-due=N] " +
  "[--max-abandoned=N] [--max-failed=N] [--require-recent-delivery] [--require-recent-webhook-delivery] " +
  "[--require-recent-alert-delivery] [--output=text|json]";

const FLAGS: FlagDef[] = [
  { name: "host", kind: "string", default: "", help: "deliverer host id (default: this hostname)" },
  { name: "since", kind: "string", default: "15m", help: "window for delivered/abandoned/failed counts" },
  { name: "output", kind: "string", default: "text", help: "text or json" },
  { name: "max-pending", kind: "int", default: -1, help: "fail when pending rows exceed N (-1 off)" },
  { name: "max-due", kind: "int", default: -1, help: "fail when due rows exceed N (-1 off)" },
  {
    name: "max-abandoned",
    kind: "int",
    default: -1,
    help: "fail when abandoned rows since exceed N (-1 off)",
  },
  { name: "max-failed", kind: "int", default: -1, help: "fail when failed rows since exceed N (-1 off)" },
  {
    name: "require-recent-delivery",
    kind: "bool",
    default: false,
    help: "fail without a delivered row since",
  },
  { name: "require-recent-webhook-delivery", kind: "bool", default: false, help: "same, webhooks only" },
  { name: "require-recent-alert-delivery", kind: "bool", default: false, help: "same, alert contacts only" },
];

export interface DeliveryCheckOptions {
  host: string;
  since: string;
  output: "text" | "json";
  limits: ReportLimits;
}

/** What `delivery-check --help` prints: the usage line and every flag with its default. */
export function deliveryCheckHelp(): string {
  return [DELIVERY_CHECK_USAGE, "", ...flagDefaults(FLAGS)].join("\n");
}

/** Parses the flags; throws FlagError with the message printed after `FAIL `. */
export function parseDeliveryCheckArgs(args: readonly string[]): DeliveryCheckOptions {
  let p: ReturnType<typeof parseFlags>;
  try {
    p = parseFlags(FLAGS, args);
  } catch (err) {
    if (err instanceof HelpRequested) throw new FlagError("flag: help requested");
    throw err;
  }
  if (p.positionals.length > 0) throw new FlagError(`unexpected argument "${p.positionals[0]}"`);
  const output = String(p.values.get("output")).trim().toLowerCase();
  if (output !== "text" && output !== "json") throw new FlagError("--output must be text or json");
  const max = (name: string) => {
    const v = Number(p.values.get(name));
    if (v < -1) throw new FlagError(`--${name} must be >= 0, or -1 to disable`);
    return v;
  };
  const flag = (name: string) => p.values.get(name) === true;
  return {
    host: String(p.values.get("host")).trim(),
    since: String(p.values.get("since")),
    output,
    limits: {
      maxPending: max("max-pending"),
      maxDue: max("max-due"),
      maxAbandoned: max("max-abandoned"),
      maxFailed: max("max-failed"),
      requireRecentDelivery: flag("require-recent-delivery"),
      requireRecentWebhookDelivery: flag("require-recent-webhook-delivery"),
      requireRecentAlertDelivery: flag("require-recent-alert-delivery"),
    },
  };
}

export interface DeliveryCheckDeps {
  now?: () => number;
  hostname?: () => string;
  /** DB connect attempts (3, as other subcommands). */
  attempts?: number;
  sleep?: (ms: number) => Promise<void>;
}

export function makeDeliveryCheckCommand(deps: DeliveryCheckDeps = {}): Command {
  return async (ctx) => {
    const now = (deps.now ?? Date.now)();
    let o: DeliveryCheckOptions;
    let cutoff: number;
    try {
      o = parseDeliveryCheckArgs(ctx.args);
      cutoff = parseSince(o.since, now);
    } catch (err) {
      ctx.err(DELIVERY_CHECK_USAGE);
      ctx.err(`FAIL ${errorText(err)}`);
      return 2;
    }
    const text = o.output === "text";
    let config: ReturnType<typeof loadConfig>["config"];
    try {
      config = loadConfig(ctx.configPath, ctx.env).config;
    } catch (err) {
      ctx.err(`FAIL config parse: ${errorText(err)}`);
      return 1;
    }
    if (text) ctx.out("PASS config parse");
    let pool: Pool | undefined;
    try {
      try {
        pool = await openCommandPool(dbSettingsFromConfig(config), deps.attempts ?? 3, { sleep: deps.sleep });
      } catch (err) {
        ctx.err(`FAIL db connect: ${errorText(err)}`);
        return 1;
      }
      if (text) ctx.out("PASS db connect");
      const db = createDb(pool);
      let tables: QueueSummary[];
      try {
        tables = [
          await summarizeQueue(db, "webhook", now, cutoff),
          await summarizeQueue(db, "alert", now, cutoff),
        ];
      } catch (err) {
        ctx.err(`FAIL delivery check: ${errorText(err)}`);
        return 1;
      }
      const host = o.host || hostIdentity(ctx.env, deps.hostname);
      const report = buildReport({
        host,
        now,
        cutoff,
        owner: delivererOwnerStatus(config.DELIVERY_OWNER_HOST, host),
        tables,
        limits: o.limits,
      });
      if (text) for (const line of renderText(report)) ctx.out(line);
      else ctx.out(renderJson(report).replace(/\n$/, ""));
      return report.ok ? 0 : 1;
    } finally {
      await pool?.end().catch(() => {});
    }
  };
}

export const deliveryCheckCommand: Command = makeDeliveryCheckCommand();
