/** What the benchmarks read from /proc about a process and the machine (Linux only). */
import { readFileSync } from "node:fs";

/** Kernel clock ticks per second (USER_HZ). */
export const CLK_TCK = 100;

/** utime + stime of a process in ticks; NaN when it is gone (or no pid). */
export function cpuTicks(pid: number | undefined): number {
  if (!pid) return Number.NaN;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return Number(fields[11]) + Number(fields[12]);
  } catch {
    return Number.NaN;
  }
}

/** A kB figure from /proc/<pid>/status (current or peak RSS); NaN when it is gone. */
export function statusKb(pid: number, key: "VmRSS" | "VmHWM"): number {
  try {
    const m = new RegExp(`^${key}:\\s+(\\d+) kB`, "m").exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return m ? Number(m[1]) : Number.NaN;
  } catch {
    return Number.NaN;
  }
}

/** The 1, 5 and 15 minute load averages, as /proc/loadavg prints them. */
export function loadAvg(): string {
  try {
    return readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ");
  } catch {
    return "n/a";
  }
}
