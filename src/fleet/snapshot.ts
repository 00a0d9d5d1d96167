/**
 * The fleet snapshot pipeline (docs/reference/dashboard-fleethealth.md §6.2): processes, then bucket coverage, delivery,
 * posture, drift and dependencies, then the summary. Only the process list is fatal; any other
 * section whose query fails or passes its bound is red with the reason. Results are cached for
 * a few seconds (failures too, so a sick database is not asked again on every poll), and
 * concurrent callers share one build.
 */
import { DELIVERY_KINDS } from "../delivery/queue-counts.ts";
import { errorText } from "../error-text.ts";
import { rfc3339Nano } from "../time.ts";
import { bounded } from "./bounded.ts";
import { summarizeCoverage } from "./coverage.ts";
import { DELIVERY_RECENT_WINDOW_MS, summarizeDelivery, type TableResult } from "./delivery.ts";
import { rollupDependencies } from "./dependencies.ts";
import { assessProcesses } from "./processes.ts";
import type { FleetSource } from "./queries.ts";
import { summarizeFleet } from "./summary.ts";
import type { FleetOptions, FleetSnapshot, ProjectionDrift } from "./types.ts";

const DEFAULT_GRACE_SEC = 600;
const DEFAULT_RETAIN_STOPPED_HOURS = 24;
const DEFAULT_CACHE_TTL_MS = 5000;
const DEFAULT_QUERY_TIMEOUT_MS = 3000;

/** Thrown when there is nothing to read from; the route answers 503. */
export class FleetSourceMissing extends Error {
  constructor() {
    super("fleet dashboard database source is not configured");
  }
}

export interface ResolvedFleetOptions {
  bucketTotal: number;
  graceSec: number;
  retainStoppedSec: number;
  /** <= 0: no cache. */
  cacheTtlMs: number;
  queryTimeoutMs: number;
}

const positive = (v: number | undefined): v is number => typeof v === "number" && Number.isFinite(v) && v > 0;

/** Defaults as docs/reference/dashboard-fleethealth.md §6.1: grace <= 0 → 600 s, TTL 0 → 5 s (negative disables), bound 3 s. */
export function resolveFleetOptions(o: FleetOptions): ResolvedFleetOptions {
  const retain = o.retainStoppedHours;
  const ttl = o.cacheTtlMs ?? 0;
  return {
    bucketTotal: Number.isFinite(o.bucketTotal) ? Math.trunc(o.bucketTotal) : 0,
    graceSec: positive(o.heartbeatGraceSec) ? o.heartbeatGraceSec : DEFAULT_GRACE_SEC,
    retainStoppedSec:
      (typeof retain === "number" && Number.isFinite(retain) && retain >= 0
        ? retain
        : DEFAULT_RETAIN_STOPPED_HOURS) * 3600,
    cacheTtlMs: ttl === 0 || !Number.isFinite(ttl) ? DEFAULT_CACHE_TTL_MS : ttl,
    queryTimeoutMs: positive(o.queryTimeoutMs) ? o.queryTimeoutMs : DEFAULT_QUERY_TIMEOUT_MS,
  };
}

async function driftSection(source: FleetSource, o: ResolvedFleetOptions): Promise<ProjectionDrift> {
  if (o.bucketTotal <= 0) return { status: "amber", count: 0, error: "BUCKET_TOTAL is not configured" };
  try {
    const count = await bounded("count projection drift", o.queryTimeoutMs, (signal) =>
      source.countProjectionDrift(o.bucketTotal, signal),
    );
    return { status: count > 0 ? "red" : "green", count };
  } catch (err) {
    return { status: "red", count: 0, error: errorText(err) };
  }
}

/** One uncached build at `nowMs`. Rejects only when the process list cannot be read. */
async function buildFleetSnapshot(
  source: FleetSource,
  nowMs: number,
  o: ResolvedFleetOptions,
): Promise<FleetSnapshot> {
  const ms = o.queryTimeoutMs;
  const rows = await bounded("query process health", ms, (signal) => source.listProcesses(signal));
  const { processes, hidden } = assessProcesses(rows, nowMs, o);

  const cutoffMs = nowMs - DELIVERY_RECENT_WINDOW_MS;
  const [hostRows, tables, drift] = await Promise.all([
    bounded("query jetmon_hosts", ms, (signal) => source.listHosts(signal)).catch((err: unknown) =>
      err instanceof Error ? err : new Error(errorText(err)),
    ),
    Promise.all(
      DELIVERY_KINDS.map(
        (kind): Promise<TableResult> =>
          bounded(`${kind} delivery summary`, ms, (signal) =>
            source.deliveryCounts(kind, nowMs, cutoffMs, signal),
          ).then(
            (counts) => ({ kind, counts }),
            (err: unknown) => ({ kind, error: err instanceof Error ? err : new Error(errorText(err)) }),
          ),
      ),
    ),
    driftSection(source, o),
  ]);

  const bucket_coverage = summarizeCoverage({
    hosts: hostRows,
    processes,
    bucketTotal: o.bucketTotal,
    graceSec: o.graceSec,
    nowMs,
  });
  const delivery = summarizeDelivery(tables, rfc3339Nano(cutoffMs), processes);
  const dependencies = rollupDependencies(processes);
  const process_counts: Record<string, number> = {};
  for (const p of processes) process_counts[p.process_type] = (process_counts[p.process_type] ?? 0) + 1;

  return {
    generated_at: rfc3339Nano(nowMs),
    summary: summarizeFleet({ processes, coverage: bucket_coverage, delivery, drift, dependencies }),
    processes,
    process_counts,
    hidden_stopped_processes: hidden,
    bucket_coverage,
    delivery,
    projection_drift: drift,
    ...(dependencies.length > 0 ? { dependencies } : {}),
  };
}

export interface FleetSnapshotterDeps {
  source: FleetSource | null | undefined;
  options: FleetOptions | (() => FleetOptions);
  /** Epoch ms; defaults to Date.now. */
  now?: () => number;
}

export interface FleetSnapshotter {
  /** The current snapshot: a private copy, from the cache when it is fresh. */
  snapshot(): Promise<FleetSnapshot>;
  /** Forgets the cached result (e.g. after a config reload). */
  reset(): void;
}

interface CacheEntry {
  key: string;
  expiresAt: number;
  result: { ok: true; value: FleetSnapshot } | { ok: false; error: unknown };
}

export function createFleetSnapshotter(deps: FleetSnapshotterDeps): FleetSnapshotter {
  const now = deps.now ?? Date.now;
  const options = () =>
    resolveFleetOptions(typeof deps.options === "function" ? deps.options() : deps.options);
  let cache: CacheEntry | null = null;
  // Bumped by reset(), so a build that started before it cannot refill the cache.
  let generation = 0;
  let inflight: { key: string; promise: Promise<CacheEntry["result"]> } | null = null;

  const settle = (r: CacheEntry["result"]): FleetSnapshot => {
    if (!r.ok) throw r.error;
    return structuredClone(r.value);
  };

  return {
    async snapshot() {
      const source = deps.source;
      if (!source) throw new FleetSourceMissing();
      const o = options();
      const key = JSON.stringify(o);
      const at = now();
      if (cache && cache.key === key && at < cache.expiresAt) return settle(cache.result);
      if (inflight && inflight.key === key) return settle(await inflight.promise);

      const promise = buildFleetSnapshot(source, at, o).then(
        (value) => ({ ok: true as const, value }),
        (error: unknown) => ({ ok: false as const, error }),
      );
      const mine = { key, promise };
      const started = generation;
      inflight = mine;
      const result = await promise;
      if (inflight === mine) inflight = null;
      if (o.cacheTtlMs > 0 && started === generation) cache = { key, expiresAt: at + o.cacheTtlMs, result };
      return settle(result);
    },
    reset() {
      generation++;
      cache = null;
      inflight = null;
    },
  };
}
