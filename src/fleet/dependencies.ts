/**
 * Dependency rollup across every shown process (docs/reference/dashboard-fleethealth.md §6.7), so a verifier that three
 * monitors probe appears once with three counts. Unlike the reference, the ` (<version>)` a
 * verifier probe appends to its name is folded into `versions`, so one verifier stays one row
 * whether it answered (with a version) or not (without). Pure.
 */
import { DISABLED } from "../fleethealth/snapshot.ts";
import type { DependencyRollup, FleetProcess } from "./types.ts";

const VERSION_SUFFIX = /^(veriflier:.*\S)\s+\(([^()]*)\)$/;

/** `veriflier:a (1.2)` → name `veriflier:a`, version `1.2`; other names pass through trimmed. */
export function splitDependencyName(raw: string): { name: string; version?: string } {
  const name = raw.trim() || "unknown";
  const m = VERSION_SUFFIX.exec(name);
  const [, base, version] = m ?? [];
  return base === undefined ? { name } : { name: base, version: version?.trim() || undefined };
}

const RANK: Record<DependencyRollup["status"], number> = { red: 3, amber: 2, green: 1, disabled: 0 };

export function rollupDependencies(processes: readonly FleetProcess[]): DependencyRollup[] {
  const groups = new Map<string, DependencyRollup & { versionSet: Set<string>; disabled: number }>();
  for (const p of processes) {
    for (const d of p.dependency_health ?? []) {
      const { name, version } = splitDependencyName(d.name);
      let g = groups.get(name);
      if (!g) {
        g = {
          name,
          status: "green",
          red_count: 0,
          amber_count: 0,
          green_count: 0,
          stale_count: 0,
          disabled: 0,
          versionSet: new Set(),
        };
        groups.set(name, g);
      }
      if (version) g.versionSet.add(version);
      if (p.stale) g.stale_count++;
      if (d.status === "red") {
        g.red_count++;
        g.status = "red";
        if (d.last_error) g.last_error = d.last_error;
      } else if (d.status === "green") {
        g.green_count++;
      } else if (d.status === DISABLED) {
        // Deliberately off on that process: neither healthy nor a problem.
        g.disabled++;
      } else {
        // amber, and anything unknown, which counts as amber.
        g.amber_count++;
        if (g.status !== "red") g.status = "amber";
        if (d.status === "amber" && d.last_error && !g.last_error) g.last_error = d.last_error;
      }
    }
  }
  const out: DependencyRollup[] = [];
  for (const { versionSet, disabled, ...g } of groups.values()) {
    // Off on every process that reports it: say so, rather than green with no green count.
    if (g.red_count + g.amber_count + g.green_count === 0 && disabled > 0) g.status = DISABLED;
    const withDisabled = disabled > 0 ? { ...g, disabled_count: disabled } : g;
    out.push(versionSet.size > 0 ? { ...withDisabled, versions: [...versionSet].sort() } : withDisabled);
  }
  return out.sort(
    (a, b) => RANK[b.status] - RANK[a.status] || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0),
  );
}
