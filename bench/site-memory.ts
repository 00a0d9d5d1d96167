/**
 * Memory per scheduled site: builds N sites shaped as loadSites returns them, syncs them into a
 * Schedule, takes and releases every one once (one check's worth of heap pushes), and prints the
 * JS heap and RSS growth per site. No database or network.
 *
 *   bun bench/site-memory.ts [--sites=100000]
 */
import { heapStats } from "bun:jsc";
import { Schedule } from "../src/monitor/schedule.ts";
import { DEFAULT_SETTINGS, type Site } from "../src/monitor/sites.ts";

const n = Number(process.argv.find((a) => a.startsWith("--sites="))?.slice(8) ?? "100000");

function measure(): { heap: number; rss: number } {
  Bun.gc(true);
  Bun.gc(true);
  return { heap: heapStats().heapSize, rss: process.memoryUsage().rss };
}

const before = measure();
const now = Date.now();
const sites: Site[] = [];
for (let i = 0; i < n; i++) {
  sites.push({
    siteId: i + 1,
    blogId: i + 1,
    bucketNo: i % 1000,
    url: `http://${i}.bench.test:26080/s/b${i}`,
    siteStatus: 1,
    checkIntervalMin: 5,
    lastCheckedAt: now - (i % 300_000),
    sslExpiryDate: null,
    lastAlertSentAt: null,
    settings: DEFAULT_SETTINGS,
  });
}
const loaded = measure();
const schedule = new Schedule((s) => s.checkIntervalMin * 60_000);
schedule.sync(sites, now, 1);
const scheduled = measure();
const due = schedule.takeDue(now + 600_000, n);
for (const slot of due) schedule.release(slot, now + 900_000);
const cycled = measure();
const per = (a: number, b: number) => ((b - a) / n).toFixed(0);
console.log(`sites: ${n}`);
console.log(
  `Site objects (loadSites rows):   ${per(before.heap, loaded.heap)} B/site heap, ${per(before.rss, loaded.rss)} B/site RSS`,
);
console.log(
  `Schedule (slots, map, heap):     ${per(loaded.heap, scheduled.heap)} B/site heap, ${per(loaded.rss, scheduled.rss)} B/site RSS`,
);
console.log(
  `after one take/release per site: ${per(scheduled.heap, cycled.heap)} B/site heap, ${per(scheduled.rss, cycled.rss)} B/site RSS`,
);
console.log(
  `total:                           ${per(before.heap, cycled.heap)} B/site heap, ${per(before.rss, cycled.rss)} B/site RSS`,
);
// Read both after the last measure so neither is collected before it (the figures above would
// otherwise count their release).
console.log(`held: ${sites.length} sites, ${schedule.size} scheduled`);
