/** Seeds a whole fleet into a test database: process rows, host rows, deliveries, sites, events. */
import { sql } from "drizzle-orm";
import type { Db } from "../../src/db/client.ts";
import { alertDeliveries, events, hosts, sites, webhookDeliveries } from "../../src/db/schema.ts";
import type { SnapshotInput } from "../../src/fleethealth/snapshot.ts";
import { upsertSnapshot } from "../../src/fleethealth/store.ts";
import { ago, NOW } from "./support.ts";

export interface DeliverySeed {
  kind: "webhook" | "alert";
  status: "pending" | "delivered" | "failed" | "abandoned";
  createdAgoSec: number;
  nextAttemptAgoSec?: number;
  lastAttemptAgoSec?: number;
  deliveredAgoSec?: number;
}

export interface FleetSeed {
  processes: (SnapshotInput & { ageSec?: number })[];
  hosts?: { host_id: string; min: number; max: number; ageSec?: number; status?: "active" | "draining" }[];
  deliveries?: DeliverySeed[];
  /** site_status per site; bucket = index % 10. */
  sites?: number[];
  /** Open http events: [site index, state]. */
  openEvents?: [number, string][];
}

const TABLES = [
  "jetmon_process_health",
  "jetmon_hosts",
  "jetmon_webhook_deliveries",
  "jetmon_alert_deliveries",
  "jetpack_monitor_sites",
  "jetmon_events",
];

let nextId = 1;

export async function seedFleet(db: Db, seed: FleetSeed): Promise<void> {
  for (const t of TABLES) await db.execute(sql.raw(`DELETE FROM ${t}`));
  for (const { ageSec = 5, ...p } of seed.processes) {
    await upsertSnapshot(db, { started_at: ago(3600), updated_at: ago(ageSec), ...p }, NOW);
  }
  for (const h of seed.hosts ?? []) {
    await db.insert(hosts).values({
      hostId: h.host_id,
      bucketMin: h.min,
      bucketMax: h.max,
      lastHeartbeat: ago(h.ageSec ?? 5),
      status: h.status ?? "active",
    });
  }
  for (const d of seed.deliveries ?? []) {
    const id = nextId++;
    const common = {
      transitionId: id,
      eventId: id,
      eventType: "event.opened",
      payload: { id },
      status: d.status,
      createdAt: ago(d.createdAgoSec),
      nextAttemptAt: d.nextAttemptAgoSec === undefined ? null : ago(d.nextAttemptAgoSec),
      lastAttemptAt: d.lastAttemptAgoSec === undefined ? null : ago(d.lastAttemptAgoSec),
      deliveredAt: d.deliveredAgoSec === undefined ? null : ago(d.deliveredAgoSec),
    };
    if (d.kind === "webhook") await db.insert(webhookDeliveries).values({ webhookId: 1, ...common });
    else await db.insert(alertDeliveries).values({ alertContactId: 1, severity: 4, ...common });
  }
  const siteStatuses = seed.sites ?? [];
  for (let i = 0; i < siteStatuses.length; i++) {
    await db.insert(sites).values({
      blogId: 1000 + i,
      bucketNo: i % 10,
      monitorUrl: `https://site-${i}.example`,
      monitorActive: 1,
      siteStatus: siteStatuses[i]!,
    });
  }
  for (const [i, state] of seed.openEvents ?? []) {
    await db
      .insert(events)
      .values({ blogId: 1000 + i, checkType: "http", severity: 4, state, startedAt: ago(600) });
  }
}

/** A healthy dynamic fleet over BUCKET_TOTAL=10: two monitors, an idle deliverer, one verifier. */
export function greenFleet(): FleetSeed & { processes: (SnapshotInput & { ageSec?: number })[] } {
  const deps = (version: string) => [
    { name: "mysql", status: "green", latency_ms: 2, checked_at: "2026-04-30T12:00:00Z" },
    { name: `veriflier:v1 (${version})`, status: "green", latency_ms: 9, checked_at: "2026-04-30T12:00:00Z" },
  ];
  const monitor = (host: string, min: number, max: number, version: string): SnapshotInput => ({
    host_id: host,
    process_type: "monitor",
    pid: 100,
    version: "0.1.0",
    go_version: "bun 1.4.5",
    state: "running",
    health_status: "green",
    bucket_min: min,
    bucket_max: max,
    bucket_ownership: "dynamic jetmon_hosts",
    api_port: 8090,
    dashboard_port: 8080,
    delivery_workers_enabled: host === "host-a",
    delivery_owner_host: "host-a",
    go_sys_mem_mb: 40,
    rss_mem_mb: 90,
    dependency_health: deps(version),
  });
  return {
    processes: [
      monitor("host-a", 0, 4, "1.0"),
      monitor("host-b", 5, 9, "1.0"),
      {
        host_id: "host-c",
        process_type: "deliverer",
        state: "idle",
        health_status: "green",
        delivery_owner_host: "host-a",
        dependency_health: [{ name: "mysql", status: "green", checked_at: "2026-04-30T12:00:00Z" }],
      },
    ],
    hosts: [
      { host_id: "host-a", min: 0, max: 4 },
      { host_id: "host-b", min: 5, max: 9 },
    ],
    deliveries: [
      {
        kind: "webhook",
        status: "delivered",
        createdAgoSec: 120,
        deliveredAgoSec: 100,
        lastAttemptAgoSec: 100,
      },
    ],
    sites: [1, 1, 1],
  };
}
