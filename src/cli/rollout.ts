/**
 * `jetmon2 rollout <gate> [flags]`: the gates an operator runs around a host's v1-to-v2
 * cutover and rollback (docs/reference/cli-rollout-api.md §2). Exit codes: 0 pass, 1 gate failure,
 * 2 usage error (no or unknown gate, bad or missing flag, bad --output).
 */

import { errorText } from "../error-text.ts";
import { goQuote } from "../go-format.ts";
import { activityCheck } from "../rollout/activity-check.ts";
import {
  GATE_NAMES,
  type GateFlags,
  type GateName,
  type GateSpec,
  gateHelp,
  gateSpec,
  parseGateArgs,
  ROLLOUT_USAGE,
} from "../rollout/commands.ts";
import { cutoverCheck } from "../rollout/cutover-check.ts";
import { dynamicCheck } from "../rollout/dynamic-check.ts";
import { createGateContext, type GateContext, type RolloutDeps } from "../rollout/gate-context.ts";
import { hostPreflight } from "../rollout/host-preflight.ts";
import { pinnedSafetyCheck } from "../rollout/pinned-check.ts";
import { projectionDrift } from "../rollout/projection-drift.ts";
import { Lines, type OutputMode, parseOutputMode, runGate } from "../rollout/report.ts";
import { rollbackCheck } from "../rollout/rollback-check.ts";
import {
  buildStateReport,
  failedStateReport,
  renderStateReport,
  type StateReport,
} from "../rollout/state-report.ts";
import { planAssertionFromFlags, staticPlanCheck } from "../rollout/static-plan.ts";
import type { CliContext, Command } from "./context.ts";
import { defaultRolloutDeps } from "./rollout-deps.ts";

type Gate = (ctx: GateContext, f: GateFlags) => Promise<void>;

const range = (f: GateFlags) => ({ bucketMin: f.int("bucket-min"), bucketMax: f.int("bucket-max") });

const GATE_BODIES: Record<Exclude<GateName, "state-report" | "static-plan-check">, Gate> = {
  "host-preflight": (ctx, f) =>
    hostPreflight(ctx, {
      file: f.str("file"),
      host: f.str("host"),
      runtimeHost: f.str("runtime-host"),
      ...range(f),
      bucketTotal: f.int("bucket-total"),
      service: f.str("service"),
      systemdUnit: f.str("systemd-unit"),
      skipSystemd: f.bool("skip-systemd"),
    }),
  "pinned-check": (ctx, f) => pinnedSafetyCheck(ctx, f.str("host")),
  "cutover-check": (ctx, f) =>
    cutoverCheck(ctx, {
      host: f.str("host"),
      ...range(f),
      since: f.str("since"),
      requireAll: f.bool("require-all"),
      limit: f.int("limit"),
      statusPort: f.int("status-port"),
      skipStatus: f.bool("skip-status"),
    }),
  "activity-check": (ctx, f) =>
    activityCheck(ctx, { ...range(f), since: f.str("since"), requireAll: f.bool("require-all") }),
  "rollback-check": (ctx, f) => rollbackCheck(ctx, { host: f.str("host"), ...range(f) }),
  "dynamic-check": (ctx) => dynamicCheck(ctx),
  "projection-drift": (ctx, f) =>
    projectionDrift(ctx, {
      ...range(f),
      limit: f.int("limit"),
      repair: f.bool("repair"),
      yes: f.bool("yes"),
    }),
};

export type RolloutDepsFactory = (ctx: CliContext) => RolloutDeps & { close?(): Promise<void> };

export function createRolloutCommand(makeDeps: RolloutDepsFactory): Command {
  return async (ctx) => {
    const [name, ...args] = ctx.args;
    // No gate or an unknown gate is a usage error: exit 2, like every other command.
    if (name === undefined) {
      ctx.err("rollout: missing gate name");
      ctx.err(ROLLOUT_USAGE);
      return 2;
    }
    if (name === "-h" || name === "--help" || name === "help") {
      ctx.out(ROLLOUT_USAGE);
      return 0;
    }
    const spec = gateSpec(name);
    if (!spec) {
      ctx.err(`unknown rollout subcommand ${goQuote(name)} (want: ${GATE_NAMES.join(", ")})`);
      return 2;
    }
    const flags = parseGateArgs(spec, args);
    if (flags === "help") {
      ctx.err(gateHelp(spec));
      return 0;
    }
    const mode = parseOutputMode(flags.str("output"));
    if (!mode) {
      ctx.err("FAIL --output must be text or json");
      return 2;
    }
    if (needsFile(spec) && flags.str("file").trim() === "") {
      ctx.err(`rollout ${spec.name}: missing required flag --file`);
      ctx.err(spec.usage);
      return 2;
    }
    if (flags.positionals.length > 0) {
      ctx.err(spec.usage);
      return 1;
    }
    const deps = makeDeps(ctx);
    try {
      return await runParsed(spec, flags, mode, ctx, deps);
    } finally {
      await deps.close?.();
    }
  };
}

const needsFile = (spec: GateSpec) => spec.name === "host-preflight" || spec.name === "static-plan-check";

async function runParsed(
  spec: GateSpec,
  flags: GateFlags,
  mode: OutputMode,
  ctx: CliContext,
  deps: RolloutDeps,
): Promise<number> {
  const command = `rollout ${spec.name}`;
  const io = { out: ctx.out, err: ctx.err, now: deps.now };
  if (spec.name === "state-report") return stateReport(flags.str("since"), mode, ctx, deps);
  if (spec.name === "static-plan-check") {
    // Assertion flags are checked before the JSON wrapper, as in Go: FAIL on stderr, exit 1.
    let assertion: ReturnType<typeof planAssertionFromFlags>;
    try {
      assertion = planAssertionFromFlags(flags.str("host"), flags.int("bucket-min"), flags.int("bucket-max"));
    } catch (err) {
      ctx.err(`FAIL ${errorText(err)}`);
      return 1;
    }
    return runGate(command, mode, io, (lines) =>
      staticPlanCheck(createGateContext(deps, lines), {
        file: flags.str("file"),
        bucketTotal: flags.int("bucket-total"),
        assertion,
      }),
    );
  }
  const body = GATE_BODIES[spec.name];
  return runGate(command, mode, io, (lines) => body(createGateContext(deps, lines), flags));
}

/** state-report is informational: exit 0 whenever the report is built, even if `ok` is false. */
async function stateReport(
  since: string,
  mode: OutputMode,
  ctx: CliContext,
  deps: RolloutDeps,
): Promise<number> {
  const text = mode === "text";
  let report: StateReport;
  let built = false;
  // The gate context words load and connect failures as every gate does; text mode prints its PASS lines.
  const gate = createGateContext(deps, new Lines(text ? ctx.out : () => {}));
  try {
    const cfg = await gate.config();
    const store = await gate.store();
    report = await buildStateReport({ cfg, store, nowMs: deps.now(), hostname: deps.hostname(), since });
    built = true;
  } catch (err) {
    report = failedStateReport(deps.now(), errorText(err));
  }
  if (!text) {
    ctx.out(JSON.stringify(report, null, 2));
  } else if (built) {
    for (const line of renderStateReport(report)) ctx.out(line);
  } else {
    ctx.err(`FAIL ${report.issues?.[0] ?? "state report not built"}`);
  }
  return built ? 0 : 1;
}

export const rolloutCommand: Command = createRolloutCommand(defaultRolloutDeps);
