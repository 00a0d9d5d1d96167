import { connect as tcpConnect } from "node:net";
import { configuredDirs, DIR_KEYS, type DirName, ensureDir } from "../config/dirs.ts";
import {
  dashboardBindWarning,
  dbSettingsFromConfig,
  type Env,
  type LoadedConfig,
  loadConfig,
  pinnedBucketRange,
} from "../config/load.ts";
import { emailTransportLabel, verifierDisplayName } from "../config/validate.ts";
import { rolloutAdviceLines } from "../dashboard/commands.ts";
import { pendingMigrations, unknownMigrations } from "../db/migrate.ts";
import { openCommandPool, type Pool } from "../db/pool.ts";
import { embeddedOwnerStatus } from "../delivery/ownership.ts";
import {
  type DeliveryRequirements,
  deliveryRequirementLines,
  type ValidateLine,
} from "../delivery/validate-checks.ts";
import { hostIdentity } from "../host-identity.ts";
import { UsageError } from "../usage-error.ts";
import type { Command } from "./context.ts";

export interface ValidateFlags extends DeliveryRequirements {
  /** `--host`, trimmed, when given. */
  host?: string;
}

/** What every check sees. */
export interface ValidateEnv {
  configPath: string;
  env: Env;
  flags: ValidateFlags;
  /** The host id checks compare with DELIVERY_OWNER_HOST: `--host` if given, else the OS hostname. */
  hostId: string;
  /** The loaded config, or undefined when it failed to load (see loadError). */
  loaded?: LoadedConfig;
  loadError?: Error;
  /** The database, connected on first use with 3 attempts; the same promise for every caller. Rejects when unreachable or without a config. */
  db(): Promise<Pool>;
  fetch: typeof fetch;
  /** Timeout for each network probe (verifiers, SMTP). */
  probeTimeoutMs: number;
}

/**
 * A check returns its lines; a check that throws is reported as one FAIL line. INFO lines say
 * what was found; they are not counted in the summary.
 */
export type Check = (env: ValidateEnv) => Promise<ValidateLine[]>;

export interface ValidateConfigDeps {
  checks?: Check[];
  /** Waits between DB connect attempts; tests pass a no-op. */
  sleep?: (ms: number) => Promise<void>;
  fetch?: typeof fetch;
  hostname?: () => string;
  dbAttempts?: number;
  probeTimeoutMs?: number;
}

export const VALIDATE_CONFIG_USAGE =
  "usage: jetmon2 validate-config [--config=PATH] [--host=<host>] [--require-owner-match] " +
  "[--require-email-delivery] [--require-api-disabled]";

const pass = (text: string): ValidateLine => ({ level: "PASS", text });
const warn = (text: string): ValidateLine => ({ level: "WARN", text });
const fail = (text: string): ValidateLine => ({ level: "FAIL", text });
const info = (text: string): ValidateLine => ({ level: "INFO", text });

// --- checks --------------------------------------------------------------------------------

export const configLoadCheck: Check = async (v) =>
  v.loaded ? [pass("config parse")] : [fail(`config parse: ${message(v.loadError)}`)];

export const configWarningsCheck: Check = async (v) => (v.loaded?.warnings ?? []).map(warn);

export const rolloutInfoCheck: Check = async (v) => {
  if (!v.loaded) return [];
  const c = v.loaded.config;
  const range = pinnedBucketRange(c);
  return [
    info(`legacy_status_projection=${c.LEGACY_STATUS_PROJECTION_ENABLE ? "enabled" : "disabled"}`),
    info(
      range
        ? `bucket_ownership=pinned range=${range.min}-${range.max}`
        : "bucket_ownership=dynamic jetmon_hosts",
    ),
    // The exact gate commands for this host's config (docs/reference/cli-rollout-api.md §1.5 item 5), as the dashboard shows them.
    ...rolloutAdviceLines({ pinned: range, bucketTotal: c.BUCKET_TOTAL }).map((l) =>
      info(l.replace(/^INFO /, "")),
    ),
  ];
};

export const bindAddressCheck: Check = async (v) => {
  const warning = v.loaded && dashboardBindWarning(v.loaded.config);
  return warning ? [warn(warning)] : [];
};

/** LOG_DIR and STATS_DIR: the same rule the disk probes apply, without creating anything. */
export const foldersCheck: Check = async (v) => {
  if (!v.loaded) return [];
  const dirs = configuredDirs(v.loaded.config);
  return (Object.keys(DIR_KEYS) as DirName[]).flatMap((which) => {
    const key = DIR_KEYS[which];
    if (dirs[which] === "") return [info(`${key} is "" (disk:${which} disabled)`)];
    const problem = ensureDir(dirs[which], key, { create: false });
    return [problem ? fail(`${key}: ${problem}`) : pass(`${key} ${dirs[which]}`)];
  });
};

export const dbReachableCheck: Check = async (v) => {
  if (!v.loaded) return [];
  const s = dbSettingsFromConfig(v.loaded.config);
  const where = `${s.user}@${s.host}:${s.port}/${s.database}`;
  try {
    await v.db();
    return [pass(`db connect (${where})`)];
  } catch (err) {
    return [fail(`db connect: ${message(err)} (${where})`)];
  }
};

export const migrationsCheck: Check = async (v) => {
  let pool: Pool;
  try {
    pool = await v.db();
  } catch {
    return []; // dbReachableCheck already failed
  }
  const unknown = await unknownMigrations(pool);
  if (unknown.length > 0) {
    return [
      fail(`database records migrations this binary does not know: ${unknown.join(", ")}; upgrade jetmon2`),
    ];
  }
  const pending = await pendingMigrations(pool);
  if (pending.length === 0) return [pass("migrations current")];
  const noun = pending.length === 1 ? "migration" : "migrations";
  return [warn(`${pending.length} pending ${noun}: ${pending.join(", ")}; run jetmon2 migrate`)];
};

export const emailTransportCheck: Check = async (v) => {
  if (!v.loaded) return [];
  const c = v.loaded.config;
  const { label, delivers } = emailTransportLabel(c);
  const lines = [info(`email_transport=${label}`)];
  if (!delivers) {
    lines.push(warn(`email_transport=${label} — alert-contact emails will be logged but not delivered`));
  } else if (label === "smtp") {
    const err = await tcpProbe(c.SMTP_HOST, c.SMTP_PORT, v.probeTimeoutMs);
    const at = `${c.SMTP_HOST}:${c.SMTP_PORT}`;
    lines.push(err ? warn(`smtp server ${at} unreachable: ${err}`) : pass(`smtp server ${at} reachable`));
  } else if (!/^https?:\/\/\S+$/.test(c.WPCOM_EMAIL_ENDPOINT)) {
    lines.push(warn(`WPCOM_EMAIL_ENDPOINT=${JSON.stringify(c.WPCOM_EMAIL_ENDPOINT)} is not an http(s) URL`));
  }
  return lines;
};

export const deliveryOwnerCheck: Check = async (v) => {
  if (!v.loaded) return [];
  const c = v.loaded.config;
  const { level, message } = embeddedOwnerStatus(c.API_PORT, c.DELIVERY_OWNER_HOST, v.hostId);
  return [{ level, text: message }];
};

export const verifiersCheck: Check = async (v) => {
  if (!v.loaded) return [];
  const verifiers = v.loaded.config.VERIFIERS;
  if (verifiers.length === 0) {
    return [warn("no verifiers configured; a failing site is confirmed down without a second opinion")];
  }
  return Promise.all(
    verifiers.map(async (ver, i) => {
      const who = `veriflier "${verifierDisplayName(ver, i)}" at ${ver.host}:${ver.port}`;
      try {
        const res = await v.fetch(`http://${ver.host}:${ver.port}/status`, {
          signal: AbortSignal.timeout(v.probeTimeoutMs),
        });
        if (res.status !== 200) return warn(`${who} unreachable: status returned ${res.status}`);
        const body = (await res.json().catch(() => ({}))) as { version?: unknown };
        return pass(`${who} reachable${typeof body.version === "string" ? ` (${body.version})` : ""}`);
      } catch (err) {
        return warn(`${who} unreachable: ${message(err)}`);
      }
    }),
  );
};

/** The --require-* flags of the deliverer's validate-config (docs/reference/deliverer.md §1.7). */
export const requirementsCheck: Check = async (v) => {
  const { flags } = v;
  if (!flags.requireOwnerMatch && !flags.requireEmailDelivery && !flags.requireApiDisabled) return [];
  if (!v.loaded) return [fail("config is not loaded")];
  return deliveryRequirementLines(v.loaded.config, v.hostId, flags);
};

export const baseChecks: readonly Check[] = [
  configLoadCheck,
  configWarningsCheck,
  rolloutInfoCheck,
  bindAddressCheck,
  foldersCheck,
  dbReachableCheck,
  migrationsCheck,
  emailTransportCheck,
  deliveryOwnerCheck,
  verifiersCheck,
  requirementsCheck,
];

// --- the command ---------------------------------------------------------------------------

/**
 * `jetmon2 validate-config`: runs the checks in order and prints `PASS|WARN|FAIL|INFO <text>`
 * lines, then `validate-config: N pass, N warn, N fail`, then Go's closing `validation passed`
 * when nothing failed (scripts grep for it). Exit 1 on any FAIL; WARN never changes the exit code.
 */
export function makeValidateConfigCommand(deps: ValidateConfigDeps = {}): Command {
  const checks = deps.checks ?? baseChecks;
  return async (ctx) => {
    const flags = parseFlags(ctx.args);
    if (flags === "help") {
      ctx.out(VALIDATE_CONFIG_USAGE);
      return 0;
    }
    let loaded: LoadedConfig | undefined;
    let loadError: Error | undefined;
    try {
      loaded = loadConfig(ctx.configPath, ctx.env);
    } catch (err) {
      loadError = err instanceof Error ? err : new Error(String(err));
    }
    let pool: Pool | undefined;
    let connecting: Promise<Pool> | undefined;
    const attempts = deps.dbAttempts ?? 3;
    const env: ValidateEnv = {
      configPath: ctx.configPath,
      env: ctx.env,
      flags,
      hostId: flags.host ?? hostIdentity(ctx.env, deps.hostname),
      loaded,
      loadError,
      fetch: deps.fetch ?? fetch,
      probeTimeoutMs: deps.probeTimeoutMs ?? 3000,
      db() {
        connecting ??= (async () => {
          if (!loaded) throw new Error("config is not loaded");
          try {
            pool = await openCommandPool(dbSettingsFromConfig(loaded.config), attempts, {
              sleep: deps.sleep,
              onRetry: (n, err) => ctx.err(`db connect attempt ${n} failed: ${message(err)}, retrying`),
            });
          } catch (err) {
            throw new Error(`db connect failed after ${attempts} attempts: ${message(err)}`);
          }
          return pool;
        })();
        return connecting;
      },
    };

    const counts = { PASS: 0, WARN: 0, FAIL: 0, INFO: 0 };
    try {
      for (const check of checks) {
        let lines: ValidateLine[];
        try {
          lines = await check(env);
        } catch (err) {
          lines = [fail(`${check.name || "check"}: ${message(err)}`)];
        }
        for (const line of lines) {
          counts[line.level]++;
          ctx.out(`${line.level} ${line.text}`);
        }
      }
    } finally {
      await pool?.end().catch(() => {});
    }
    ctx.out(`validate-config: ${counts.PASS} pass, ${counts.WARN} warn, ${counts.FAIL} fail`);
    if (counts.FAIL > 0) return 1;
    ctx.out("validation passed");
    return 0;
  };
}

export const validateConfigCommand: Command = makeValidateConfigCommand();

/** Go flag rules: one or two dashes, `--flag=value` or `--flag value`, bools take no value. */
function parseFlags(args: string[]): ValidateFlags | "help" {
  const flags: ValidateFlags = {
    requireOwnerMatch: false,
    requireEmailDelivery: false,
    requireApiDisabled: false,
  };
  const bools = {
    "require-owner-match": "requireOwnerMatch",
    "require-email-delivery": "requireEmailDelivery",
    "require-api-disabled": "requireApiDisabled",
  } as const;
  for (let i = 0; i < args.length; i++) {
    const m = args[i]?.match(/^--?([^=]+)(?:=(.*))?$/);
    if (!m) throw new UsageError(`unexpected argument ${JSON.stringify(args[i])}`);
    const [, name = "", value] = m;
    if (name === "h" || name === "help") return "help";
    if (name === "host") {
      const v = value ?? args[++i];
      if (v === undefined) throw new UsageError(`flag needs an argument: -host`);
      flags.host = v.trim();
    } else if (name in bools) {
      if (value !== undefined && value !== "true" && value !== "false") {
        throw new UsageError(`invalid boolean value ${JSON.stringify(value)} for -${name}`);
      }
      flags[bools[name as keyof typeof bools]] = value !== "false";
    } else {
      throw new UsageError(`flag provided but not defined: -${name}`);
    }
  }
  return flags;
}

/** Resolves with an error text, or undefined when a TCP connection to host:port opens in time. */
function tcpProbe(host: string, port: number, timeoutMs: number): Promise<string | undefined> {
  return new Promise((resolve) => {
    const socket = tcpConnect({ host, port });
    const done = (result: string | undefined) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(result);
    };
    const timer = setTimeout(() => done(`no connection within ${timeoutMs} ms`), timeoutMs);
    socket.once("connect", () => done(undefined));
    socket.once("error", (err) => done(message(err)));
  });
}

function message(err: unknown): string {
  if (err instanceof AggregateError && err.errors.length > 0) return message(err.errors[0]);
  if (err instanceof Error) return err.message || (err as { code?: string }).code || err.name;
  return String(err);
}
