import { describe, expect, it } from "bun:test";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const DIR = join(import.meta.dir, "../../deploy/systemd");
const UNITS = ["jetmon2.service", "jetmon2-deliverer.service", "jetmon2-veriflier.service"];
const MODES: Record<string, string> = {
  "jetmon2.service": "monitor",
  "jetmon2-deliverer.service": "deliverer",
  "jetmon2-veriflier.service": "veriflier",
};

function directives(text: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const line of text.split("\n")) {
    const m = /^([A-Za-z]+)=(.*)$/.exec(line.trim());
    if (m) out.set(m[1]!, [...(out.get(m[1]!) ?? []), m[2]!]);
  }
  return out;
}

describe("deploy/systemd units", () => {
  it.each(UNITS)("%s has the directives a fleet relies on", (unit) => {
    const d = directives(readFileSync(join(DIR, unit), "utf8"));
    expect(d.get("WorkingDirectory")).toEqual(["/var/lib/jetmon2"]);
    expect(d.get("ExecStart")?.[0]).toMatch(
      new RegExp(`^/opt/jetmon2/jetmon2 --config /etc/jetmon2/\\S+\\.json --mode=${MODES[unit]}$`),
    );
    expect(d.get("KillSignal")).toEqual(["SIGTERM"]);
    // The drain gives up after 30 s; systemd must wait longer before SIGKILL.
    expect(Number(d.get("TimeoutStopSec")?.[0]?.replace(/s$/, ""))).toBeGreaterThan(30);
    expect(d.get("NoNewPrivileges")).toEqual(["yes"]);
    expect(d.get("ProtectSystem")).toEqual(["strict"]);
    expect(Number(d.get("LimitNOFILE")?.[0])).toBeGreaterThanOrEqual(65536);
  });

  it("the monitor reloads through jetmon2 reload, with the pid file it writes", () => {
    const d = directives(readFileSync(join(DIR, "jetmon2.service"), "utf8"));
    expect(d.get("ExecReload")).toEqual(["/opt/jetmon2/jetmon2 reload --wait=10s"]);
    expect(d.get("Environment")).toContain("JETMON_PID_FILE=/run/jetmon2/jetmon2.pid");
    expect(d.get("RuntimeDirectory")).toEqual(["jetmon2"]);
  });

  it("systemd-analyze verify accepts every unit (binary path pointed at an executable)", () => {
    const tmp = mkdtempSync(join(tmpdir(), "jetmon2-units-"));
    const paths = UNITS.map((u) => {
      const p = join(tmp, u);
      writeFileSync(p, readFileSync(join(DIR, u), "utf8").replaceAll("/opt/jetmon2/jetmon2", "/bin/true"));
      return p;
    });
    const r = Bun.spawnSync(["systemd-analyze", "verify", ...paths]);
    expect(r.stderr.toString()).toBe("");
    expect(r.exitCode).toBe(0);
  });
});
