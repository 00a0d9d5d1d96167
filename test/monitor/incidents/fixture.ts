/**
 * Builds an Incidents on the test database with fake Verifier and Notifier ports, a manual
 * clock, recorded metrics and captured logs, plus fabricated sites and check results.
 */
import { blankResult } from "../../../src/check/check.ts";
import { CheckError } from "../../../src/check/errors.ts";
import type { CheckResult } from "../../../src/check/types.ts";
import type { Db } from "../../../src/db/client.ts";
import { type IncidentConfig, Incidents } from "../../../src/monitor/incidents/lifecycle.ts";
import type { Notifier, Verifier, VerifierReply, VerifierRequest } from "../../../src/monitor/ports.ts";
import { type Site, type SiteSettings, siteSettings } from "../../../src/monitor/sites.ts";
import type { NotifyOutcome } from "../../../src/wpcom/client.ts";
import type { WpcomNotification } from "../../../src/wpcom/payload.ts";
import { type MetricsRecorder, recordingMetrics } from "../metrics.ts";
import { capturingLogger, seedSites } from "../support.ts";

export const T0 = Date.UTC(2026, 11, 2, 8, 0, 0);

/** What a fake verifier answers: down, up, or an error (transport failure / timeout). */
export type Vote = "down" | "up" | "error";

export interface FakeVerifier extends Verifier {
  requests: { req: VerifierRequest; timeoutMs: number }[];
  vote: Vote;
}

export function fakeVerifier(name: string, vote: Vote): FakeVerifier {
  const v: FakeVerifier = {
    name,
    address: `${name}.test:7803`,
    requests: [],
    vote,
    async check(req, timeoutMs): Promise<VerifierReply> {
      v.requests.push({ req, timeoutMs });
      if (v.vote === "error") throw new Error(`${name} unreachable`);
      const down = v.vote === "down";
      return {
        blogId: req.blogId,
        url: req.url,
        host: name,
        success: !down,
        httpCode: down ? 500 : 200,
        errorCode: 0,
        rttMs: 12,
        requestId: req.requestId ?? "",
      };
    },
  };
  return v;
}

export interface FakeNotifier extends Notifier {
  sent: WpcomNotification[];
  outcome: NotifyOutcome;
}

export function fakeNotifier(): FakeNotifier {
  const n: FakeNotifier = {
    sent: [],
    outcome: "delivered",
    async notify(x) {
      n.sent.push(x);
      return n.outcome;
    },
    flush: async () => {},
    state: () => ({ circuitOpen: false, queueDepth: 0, dropped: 0, consecutiveFailures: 0 }),
  };
  return n;
}

export interface Rig {
  incidents: Incidents;
  verifiers: FakeVerifier[];
  wpcom: FakeNotifier;
  metrics: MetricsRecorder;
  logs: ReturnType<typeof capturingLogger>;
  cfg: IncidentConfig;
  clock: { now: number };
}

export function rig(
  db: Db,
  opts: { config?: Partial<IncidentConfig>; verifiers?: FakeVerifier[] } = {},
): Rig {
  const cfg: IncidentConfig = {
    NUM_OF_CHECKS: 3,
    PEER_OFFLINE_LIMIT: 2,
    NET_COMMS_TIMEOUT: 10,
    ALERT_COOLDOWN_MINUTES: 0,
    LEGACY_STATUS_PROJECTION_ENABLE: true,
    ...opts.config,
  };
  const verifiers = opts.verifiers ?? [fakeVerifier("v1", "down"), fakeVerifier("v2", "down")];
  const wpcom = fakeNotifier();
  const metrics = recordingMetrics();
  const logs = capturingLogger();
  const clock = { now: T0 };
  const incidents = new Incidents({
    db,
    hostname: "test-host",
    log: logs.log,
    metrics,
    now: () => clock.now,
    wpcom,
    verifiers: () => verifiers,
    config: () => cfg,
  });
  return { incidents, verifiers, wpcom, metrics, logs, cfg, clock };
}

let nextSiteId = 1;

/** A site's core fields and settings side by side, as a test names them (times in epoch ms). */
export type SiteOver = Partial<Omit<Site, "settings">> & Partial<SiteSettings>;

const asDate = (ms: number | null | undefined): Date | null => (ms == null ? null : new Date(ms));

/** A site row in the database and the matching in-memory Site. */
export async function site(db: Db, blogId: number, over: SiteOver = {}): Promise<Site> {
  const s: Site = {
    siteId: over.siteId ?? nextSiteId++,
    blogId,
    bucketNo: over.bucketNo ?? blogId % 10,
    url: over.url ?? `https://site-${blogId}.test/`,
    siteStatus: over.siteStatus ?? 1,
    checkIntervalMin: over.checkIntervalMin ?? 5,
    lastCheckedAt: over.lastCheckedAt ?? null,
    sslExpiryDate: over.sslExpiryDate ?? null,
    lastAlertSentAt: over.lastAlertSentAt ?? null,
    // siteSettings reads only the settings' own fields of `over`.
    settings: siteSettings(over),
  };
  await seedSites(db, [
    {
      blogId,
      url: s.url,
      siteStatus: s.siteStatus,
      maintenanceStart: asDate(s.settings.maintenanceStart),
      maintenanceEnd: asDate(s.settings.maintenanceEnd),
      alertCooldownMinutes: s.settings.alertCooldownMinutes,
      lastAlertSentAt: asDate(s.lastAlertSentAt),
      timeoutSeconds: s.settings.timeoutSeconds,
    },
  ]);
  return s;
}

/** A failed check: HTTP `httpCode` (0 = no response) with `errorCode`. */
export function failure(
  s: Site,
  at: number,
  httpCode = 500,
  errorCode: CheckError = CheckError.None,
): CheckResult {
  return { ...blankResult(s, new Date(at)), httpCode, errorCode, rttMs: 40 };
}

export function success(s: Site, at: number, sslExpiry: Date | null = null): CheckResult {
  return { ...blankResult(s, new Date(at)), httpCode: 200, success: true, rttMs: 30, sslExpiry };
}

/** Feeds `n` failures a second apart (moving the clock), returning the last outcome. */
export async function failTimes(r: Rig, s: Site, n: number, httpCode = 500): Promise<boolean> {
  let retrySoon = false;
  for (let i = 0; i < n; i++) {
    r.clock.now += 1000;
    retrySoon = (await r.incidents.handle(s, failure(s, r.clock.now, httpCode))).retrySoon;
  }
  return retrySoon;
}
