/**
 * Pre-stop gate (docs/reference/cli-rollout-api.md §2.6), run on the v2 host before v1 stops: the static plan gives
 * this v1 host exactly the requested range, the config pins that same range, pinned safety
 * holds, and the systemd unit verifies. Added: the installed unit (and any other jetmon2*.service
 * beside it) must keep what the shipped units in deploy/systemd/ rely on (./systemd-unit.ts).
 */

import { errorText } from "../error-text.ts";
import { collapseWhitespace } from "../go-format.ts";
import { type GateContext, query } from "./gate-context.ts";
import { pinnedSafetyCheck, requirePinned } from "./pinned-check.ts";
import { GateError } from "./report.ts";
import { checkStaticPlan } from "./static-plan.ts";
import { checkUnit, unitFactsLine } from "./systemd-unit.ts";

export interface PreflightOptions {
  file: string;
  host: string;
  runtimeHost: string;
  bucketMin: number;
  bucketMax: number;
  bucketTotal: number;
  service: string;
  systemdUnit: string;
  skipSystemd: boolean;
}

async function readPlanFile(ctx: GateContext, file: string): Promise<string> {
  try {
    return await ctx.readFile(file);
  } catch (err) {
    throw new GateError(`open static bucket plan: ${errorText(err)}`);
  }
}

const SYSTEMD_DIR = "/etc/systemd/system";

/** The unit, then its drop-ins (`<unit>.d/*.conf`) in name order; an absent unit fails clearly. */
async function unitTexts(ctx: GateContext, unit: string): Promise<string[]> {
  let text: string;
  try {
    text = await ctx.readFile(unit);
  } catch (err) {
    const shipped = unit.slice(unit.lastIndexOf("/") + 1);
    throw new GateError(
      `systemd unit ${unit} is not installed (${errorText(err)}); install deploy/systemd/${shipped.startsWith("jetmon2") ? shipped : "jetmon2.service"} there, or pass --systemd-unit=<path> or --skip-systemd`,
    );
  }
  const dropIns = (await ctx.listDir(`${unit}.d`)).filter((n) => n.endsWith(".conf")).sort();
  const out = [text];
  for (const name of dropIns)
    out.push(await query(`read ${unit}.d/${name}`, () => ctx.readFile(`${unit}.d/${name}`)));
  return out;
}

/** The shipped units' expectations (./systemd-unit.ts): a PASS line, or the gate fails. */
function expectUnit(ctx: GateContext, unit: string, texts: string[], gateConfig?: string): void {
  const r = checkUnit(unit, texts, gateConfig);
  if ("problem" in r) throw new GateError(r.problem);
  ctx.lines.pass(unitFactsLine(unit, r.facts));
}

export async function hostPreflight(ctx: GateContext, opts: PreflightOptions): Promise<void> {
  const file = opts.file.trim();
  if (file === "-")
    throw new GateError("--file=- is not supported for host-preflight; pass a reusable CSV path");
  const planText = await readPlanFile(ctx, file);
  const cfg = await ctx.config();
  await ctx.store();
  const { lines } = ctx;

  const host = opts.host.trim();
  if (host === "") throw new GateError("--host is required");
  if (opts.bucketMin < 0 || opts.bucketMax < 0)
    throw new GateError("--bucket-min and --bucket-max are required");
  if (opts.bucketMax < opts.bucketMin) throw new GateError("--bucket-max must be >= --bucket-min");
  if (opts.bucketTotal < 0) throw new GateError("bucket-total must be > 0");
  const total = opts.bucketTotal > 0 ? opts.bucketTotal : cfg.BUCKET_TOTAL;
  if (total <= 0) throw new GateError("BUCKET_TOTAL must be > 0");
  const runtimeHost = opts.runtimeHost.trim() || host;

  lines.section("static bucket plan");
  checkStaticPlan(lines, file, planText, total, {
    hostId: host,
    bucketMin: opts.bucketMin,
    bucketMax: opts.bucketMax,
  });

  lines.section("pinned pre-stop safety");
  const pinned = requirePinned(cfg);
  if (pinned.min !== opts.bucketMin || pinned.max !== opts.bucketMax) {
    throw new GateError(
      `config pinned range ${pinned.min}-${pinned.max} does not match requested bucket range ${opts.bucketMin}-${opts.bucketMax}`,
    );
  }
  lines.pass(`pinned_range_matches_request=${pinned.min}-${pinned.max}`);
  await pinnedSafetyCheck(ctx, runtimeHost);

  lines.section("systemd unit");
  if (opts.skipSystemd) {
    lines.info("systemd_verify=skipped reason=operator");
  } else {
    const service = opts.service.trim() || "jetmon2";
    const unit = opts.systemdUnit.trim() || `${SYSTEMD_DIR}/${service}.service`;
    const texts = await unitTexts(ctx, unit);
    const result = await query(`systemd-analyze verify ${unit}`, () => ctx.systemdVerify(unit));
    const output = collapseWhitespace(result.output);
    if (result.error !== undefined) {
      throw new GateError(`systemd-analyze verify ${unit}: ${result.error}${output ? `: ${output}` : ""}`);
    }
    lines.pass(`systemd_unit=${unit}`);
    if (output) lines.info(`systemd_verify=${output}`);
    expectUnit(ctx, unit, texts, ctx.configPath);
    // Without --systemd-unit, the other jetmon2*.service units installed beside it too.
    if (opts.systemdUnit.trim() === "") {
      const names = (await ctx.listDir(SYSTEMD_DIR)).filter((n) => /^jetmon2.*\.service$/.test(n)).sort();
      for (const name of names) {
        const other = `${SYSTEMD_DIR}/${name}`;
        if (other !== unit) expectUnit(ctx, other, await unitTexts(ctx, other));
      }
    }
  }
  lines.pass("pre_stop_gate=ready");
  lines.text("host preflight passed");
}
