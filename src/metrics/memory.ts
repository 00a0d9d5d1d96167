const MiB = 1024 * 1024;

export interface ProcessMemory {
  /** Resident set size from the OS (what `top` shows), whole MB. */
  rssMb: number;
  /** JavaScript heap in use, whole MB. */
  heapMb: number;
}

/**
 * The process's memory in whole MB. Go reported runtime Sys memory under the name "rss"; here
 * `rssMb` is the true RSS and `heapMb` the JS heap (docs/design.md §2, the data contract).
 */
export function processMemory(): ProcessMemory {
  const m = process.memoryUsage();
  return { rssMb: Math.floor(m.rss / MiB), heapMb: Math.floor(m.heapUsed / MiB) };
}
