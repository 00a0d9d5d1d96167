import { writeFile } from "node:fs/promises";
import { join } from "node:path";

/** Upstream's relative directory: `stats/` under the working directory. */
export const STATS_DIR_DEFAULT = "stats";

export interface RoundStats {
  /** Sites per second of the last round. */
  sitesPerSec: number;
  /** The check pool's work-queue depth after the round. */
  queueDepth: number;
  /** Results processed since start. */
  totalChecked: number;
}

/**
 * Writes `sitespersec`, `sitesqueue` and `totals` (docs/reference/monitor-core.md §7.3): each a decimal
 * integer and `\n`, mode 0644. The directory is not created; a missing directory or any write
 * error is ignored (these files are a legacy convenience, never worth stopping a round for).
 * Resolves to true when all three were written.
 */
export async function writeStatsFiles(stats: RoundStats, dir: string = STATS_DIR_DEFAULT): Promise<boolean> {
  const files: [string, number][] = [
    ["sitespersec", stats.sitesPerSec],
    ["sitesqueue", stats.queueDepth],
    ["totals", stats.totalChecked],
  ];
  const results = await Promise.allSettled(
    files.map(([name, value]) => writeFile(join(dir, name), `${Math.trunc(value)}\n`, { mode: 0o644 })),
  );
  return results.every((r) => r.status === "fulfilled");
}
