import { expect, test } from "bun:test";
import { dbTime } from "../../src/db/sql.ts";
import { recoveryReason } from "../../src/events/lifecycle.ts";
import { legacyStatusFor } from "../../src/events/projection.ts";
import {
  AuditEventType,
  isResolutionReason,
  LegacyStatus,
  Reason,
  ResolutionReason,
  Severity,
  State,
} from "../../src/events/vocabulary.ts";

test("severity scale is strictly increasing Up < Warning < Degraded < SeemsDown < Down", () => {
  const scale = [Severity.Up, Severity.Warning, Severity.Degraded, Severity.SeemsDown, Severity.Down];
  expect(scale).toEqual([0, 1, 2, 3, 4]);
});

test("states are the exact stored strings", () => {
  expect(Object.values(State)).toEqual([
    "Up",
    "Warning",
    "Degraded",
    "Seems Down",
    "Down",
    "Paused",
    "Maintenance",
    "Unknown",
    "Resolved",
  ]);
});

test("reasons are the exact stored strings", () => {
  expect((Object.values(Reason) as string[]).sort()).toEqual(
    [
      "opened",
      "severity_escalation",
      "severity_deescalation",
      "state_change",
      "verifier_confirmed",
      "verifier_cleared",
      "probe_cleared",
      "false_alarm",
      "manual_override",
      "maintenance_swallowed",
      "superseded",
      "auto_timeout",
      "cause_linked",
      "cause_unlinked",
    ].sort(),
  );
});

test.each([
  ["verifier_cleared", true],
  ["probe_cleared", true],
  ["false_alarm", true],
  ["auto_timeout", true],
  ["opened", false],
  ["verifier_confirmed", false],
  ["", false],
])("isResolutionReason(%p) = %p", (r, want) => {
  expect(isResolutionReason(r)).toBe(want);
  if (want) expect(Object.values(ResolutionReason) as string[]).toContain(r);
});

test("legacy statuses and audit event types", () => {
  expect(LegacyStatus).toEqual({ Down: 0, Running: 1, ConfirmedDown: 2 });
  expect(Object.values(AuditEventType)).toEqual([
    "retry_dispatched",
    "veriflier_sent",
    "maintenance_active",
    "alert_suppressed",
    "wpcom_sent",
    "wpcom_retry",
    "config_change",
    "api_access",
  ]);
});

test.each([
  ["http", "Seems Down", false, 0],
  ["http", "Down", false, 2],
  ["http", "Warning", false, 1],
  ["http", "Down", true, 1],
  ["http", null, true, 1],
  ["tls_expiry", "Degraded", false, null],
  ["tls_expiry", "Warning", true, null],
])("legacyStatusFor(%p, %p, closed=%p) = %p", (checkType, state, closed, want) => {
  expect(legacyStatusFor(checkType as string, state as State | null, closed as boolean)).toBe(want as never);
});

test("dbTime truncates to whole seconds", () => {
  expect(dbTime(new Date("2024-01-01T00:00:00.999Z")).toISOString()).toBe("2024-01-01T00:00:00.000Z");
});

test("recoveryReason", () => {
  expect(recoveryReason("Down")).toBe("verifier_cleared");
  expect(recoveryReason("Seems Down")).toBe("probe_cleared");
});
