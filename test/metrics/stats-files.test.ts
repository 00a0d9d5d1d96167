import { afterAll, expect, test } from "bun:test";
import { mkdtemp, readFile, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { processMemory } from "../../src/metrics/memory.ts";
import { writeStatsFiles } from "../../src/metrics/stats-files.ts";

const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

test("writes the three files, each an integer and a newline, mode 0644", async () => {
  const dir = await mkdtemp(join(tmpdir(), "jetmon-stats-"));
  dirs.push(dir);
  expect(await writeStatsFiles({ sitesPerSec: 12.7, queueDepth: 0, totalChecked: 12345 }, dir)).toBe(true);
  expect(await readFile(join(dir, "sitespersec"), "utf8")).toBe("12\n");
  expect(await readFile(join(dir, "sitesqueue"), "utf8")).toBe("0\n");
  expect(await readFile(join(dir, "totals"), "utf8")).toBe("12345\n");
  expect((await stat(join(dir, "totals"))).mode & 0o777).toBe(0o644);
  // Overwrites on the next round.
  await writeStatsFiles({ sitesPerSec: 1, queueDepth: 2, totalChecked: 12400 }, dir);
  expect(await readFile(join(dir, "totals"), "utf8")).toBe("12400\n");
});

test("a missing directory is ignored, not thrown", async () => {
  expect(
    await writeStatsFiles({ sitesPerSec: 1, queueDepth: 1, totalChecked: 1 }, "/nonexistent/jetmon/stats"),
  ).toBe(false);
});

test("processMemory reports true RSS and the heap in whole MB", () => {
  const m = processMemory();
  expect(Number.isInteger(m.rssMb)).toBe(true);
  expect(Number.isInteger(m.heapMb)).toBe(true);
  expect(m.rssMb).toBe(Math.floor(process.memoryUsage().rss / 1048576));
  expect(m.rssMb).toBeGreaterThanOrEqual(m.heapMb);
  expect(m.rssMb).toBeGreaterThan(0);
});
