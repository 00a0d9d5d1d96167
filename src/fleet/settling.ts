/**
 * A host joining dynamic ownership: it claims its water-fill share at once, and each peer gives
 * up those buckets only at its own next claim (src/monitor/claim-interval.ts). Until then the
 * `jetmon_hosts` ranges overlap. An overlap is "settling" (amber, not red) when every
 * overlapping range involves a joining host: one whose monitor started less than the settle
 * window ago, or which has claimed buckets but published no running monitor row yet. A gap is
 * never settling: those buckets go unchecked. Pure.
 */
import { goQuote } from "../go-format.ts";
import { settleWindowMs } from "../monitor/claim-interval.ts";
import { type HostRow, mapCoverage, rangeProblem } from "../monitor/coverage.ts";
import type { FleetProcess } from "./types.ts";

function formatSeconds(ms: number): string {
  return `${Math.max(0, Math.round(ms / 1000))}s`;
}

/** Why each host counts as joining, by host id; hosts that do not are absent. */
function joiningHosts(
  hosts: readonly HostRow[],
  processes: readonly FleetProcess[],
  windowMs: number,
  nowMs: number,
): Map<string, string> {
  const out = new Map<string, string>();
  for (const h of hosts) {
    const monitors = processes.filter(
      (p) => p.process_type === "monitor" && p.host_id === h.hostId && p.status !== "stopped" && !p.stale,
    );
    if (monitors.length === 0) {
      out.set(h.hostId, `host ${goQuote(h.hostId)} has claimed buckets but published no running monitor yet`);
      continue;
    }
    for (const p of monitors) {
      const started = Date.parse(p.started_at);
      if (Number.isFinite(started) && nowMs - started < windowMs) {
        out.set(h.hostId, `host ${goQuote(h.hostId)} joined ${formatSeconds(nowMs - started)} ago`);
      }
    }
  }
  return out;
}

/**
 * The amber text for ranges whose only problems are overlaps that a join explains, or null
 * (no overlap, a gap too, or an overlap no joining host is part of: red as before).
 */
export function settlingOverlap(
  hosts: readonly HostRow[],
  processes: readonly FleetProcess[],
  total: number,
  graceSec: number,
  nowMs: number,
): string | null {
  if (hosts.some((h) => rangeProblem(h, total))) return null;
  // Every row, whatever its status or age: the same rows the coverage walk reads.
  const all = hosts.map((h) => ({ ...h, status: "active", lastHeartbeat: nowMs }));
  const map = mapCoverage(all, total, graceSec, nowMs);
  if (map.gaps.length > 0 || map.overlaps.length === 0) return null;
  const windowMs = settleWindowMs(graceSec);
  const joining = joiningHosts(hosts, processes, windowMs, nowMs);
  const why = new Set<string>();
  for (const o of map.overlaps) {
    const joiner = o.hosts.find((h) => joining.has(h));
    if (joiner === undefined) return null;
    why.add(joining.get(joiner) ?? "");
  }
  const ranges = map.overlaps.map((o) => `${o.min}-${o.max} (${o.hosts.join(",")})`).join(", ");
  return `dynamic bucket coverage settling: ${[...why].join("; ")}; buckets ${ranges} are claimed twice until the peers' next claim (settle window ${formatSeconds(windowMs)})`;
}
