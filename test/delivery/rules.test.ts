import { describe, expect, test } from "bun:test";
import { createHmac } from "node:crypto";
import { alertEventType, webhookEventType } from "../../src/delivery/event-types.ts";
import { mysqlJsonText } from "../../src/delivery/json-text.ts";
import { delivererOwnerStatus, deliveryHealth, embeddedOwnerStatus } from "../../src/delivery/ownership.ts";
import {
  alertPayloadText,
  occurredAt,
  type Transition,
  webhookPayloadText,
} from "../../src/delivery/payload.ts";
import { truncateBytes } from "../../src/delivery/queue.ts";
import { RateWindow } from "../../src/delivery/rate-window.ts";
import { MAX_ATTEMPTS, nextRetryDelayMs } from "../../src/delivery/retry-ladder.ts";
import { signatureHeader, signatureV1 } from "../../src/delivery/signature.ts";
import { Slots } from "../../src/delivery/slots.ts";
import type { Reason } from "../../src/events/vocabulary.ts";
import type { HealthStatus, ProcessState } from "../../src/fleethealth/snapshot.ts";

describe("retry ladder", () => {
  test.each([
    [1, 60_000],
    [2, 300_000],
    [3, 1_800_000],
    [4, 3_600_000],
    [5, 21_600_000],
    [6, null],
    [7, null],
  ])("after %p failed attempts -> %p", (n, want) => {
    expect(nextRetryDelayMs(n)).toBe(want);
  });
  test("six attempts in all", () => expect(MAX_ATTEMPTS).toBe(6));
});

describe("signature", () => {
  test("reference §3.4 test vector", () => {
    const t = Date.UTC(2026, 3, 25, 12, 0, 0) / 1000;
    expect(t).toBe(1777118400);
    const body = '{"type":"event.opened","event_id":42}';
    expect(signatureV1("whsec_TEST_SECRET_VALUE", t, body)).toBe(
      "ba0a0d7886c365e0801d4b4a9dec9ec7a5f71bf05f16afa8359877b6443cd06b",
    );
    expect(signatureHeader("whsec_TEST_SECRET_VALUE", t, body)).toBe(
      "t=1777118400,v1=ba0a0d7886c365e0801d4b4a9dec9ec7a5f71bf05f16afa8359877b6443cd06b",
    );
  });
  test("deterministic, equals an independent HMAC, changes with time and secret", () => {
    const body = '{"a": 1, "é": "ü"}';
    const a = signatureHeader("whsec_x", 100, body);
    expect(signatureHeader("whsec_x", 100, body)).toBe(a);
    const indep = createHmac("sha256", "whsec_x")
      .update(Buffer.from(`100.${body}`, "utf8"))
      .digest("hex");
    expect(a).toBe(`t=100,v1=${indep}`);
    expect(signatureHeader("whsec_x", 101, body)).not.toBe(a);
    expect(signatureHeader("whsec_y", 100, body)).not.toBe(a);
    expect(signatureV1("whsec_x", 100, Buffer.from(body))).toBe(indep);
  });
});

describe("reason to event type", () => {
  test.each([
    ["opened", "event.opened", "alert.opened"],
    ["severity_escalation", "event.severity_changed", "alert.severity_changed"],
    ["severity_deescalation", "event.severity_changed", "alert.severity_changed"],
    ["state_change", "event.state_changed", "alert.state_changed"],
    ["verifier_confirmed", "event.state_changed", "alert.state_changed"],
    ["cause_linked", "event.cause_linked", null],
    ["cause_unlinked", "event.cause_unlinked", null],
    ["verifier_cleared", "event.closed", "alert.closed"],
    ["probe_cleared", "event.closed", "alert.closed"],
    ["false_alarm", "event.closed", "alert.closed"],
    ["manual_override", "event.closed", "alert.closed"],
    ["maintenance_swallowed", "event.closed", "alert.closed"],
    ["superseded", "event.closed", "alert.closed"],
    ["auto_timeout", "event.closed", "alert.closed"],
    ["unknown_reason", null, null],
    ["", null, null],
  ])("%p", (text, hook, alert) => {
    // The column's text as a read types it (events/vocabulary.ts `stored`), unknown ones included.
    const reason = text as Reason;
    expect(webhookEventType(reason)).toBe(hook as never);
    expect(alertEventType(reason)).toBe(alert);
  });
});

describe("MySQL JSON normal form", () => {
  test.each([
    [{ b: 1, a: 2, ccc: 3, aa: 4 }, '{"a": 2, "b": 1, "aa": 4, "ccc": 3}'],
    [[1, "x", null, true], '[1, "x", null, true]'],
    [{}, "{}"],
    [[], "[]"],
    [{ s: 'q"\\\n\u0001/é' }, '{"s": "q\\"\\\\\\n\\u0001/é"}'],
    [{ nested: { z: [1, { y: 2, x: 1 }] } }, '{"nested": {"z": [1, {"x": 1, "y": 2}]}}'],
  ])("%j", (v, want) => {
    expect(mysqlJsonText(v as never)).toBe(want);
  });
  test("rejects non-finite numbers", () => expect(() => mysqlJsonText(Number.NaN)).toThrow());
});

describe("payload", () => {
  const t: Transition = {
    id: 20,
    eventId: 10,
    blogId: 30,
    severityBefore: null,
    severityAfter: 3,
    stateAfter: "Seems Down",
    reason: "opened",
    changedAt: new Date(Date.UTC(2026, 3, 27, 12, 0, 0, 123)),
  };
  test("occurred_at trims like Go RFC3339Nano", () => {
    expect(occurredAt(new Date(Date.UTC(2026, 3, 27, 12, 0, 0, 123)))).toBe("2026-04-27T12:00:00.123Z");
    expect(occurredAt(new Date(Date.UTC(2026, 3, 27, 12, 0, 0, 100)))).toBe("2026-04-27T12:00:00.1Z");
    expect(occurredAt(new Date(Date.UTC(2026, 3, 27, 12, 0, 0, 0)))).toBe("2026-04-27T12:00:00Z");
  });
  test("webhook payload: the seven keys in MySQL order", () => {
    const text = webhookPayloadText("event.opened", t);
    expect(text).toBe(
      '{"type": "event.opened", "state": "Seems Down", "reason": "opened", "site_id": 30, "event_id": 10, "occurred_at": "2026-04-27T12:00:00.123Z", "transition_id": 20}',
    );
  });
  test("alert payload adds severities, NULL as 0; missing state is empty", () => {
    const p = JSON.parse(alertPayloadText("alert.opened", { ...t, stateAfter: null }));
    expect(p).toEqual({
      type: "alert.opened",
      occurred_at: "2026-04-27T12:00:00.123Z",
      transition_id: 20,
      event_id: 10,
      site_id: 30,
      reason: "opened",
      state: "",
      severity_before: 0,
      severity_after: 3,
    });
  });
});

describe("ownership", () => {
  test.each([
    [
      "",
      "host-a",
      true,
      "WARN",
      'delivery_owner_host is unset; standalone deliverer on host "host-a" will run delivery workers',
    ],
    [
      "  ",
      "host-a",
      true,
      "WARN",
      'delivery_owner_host is unset; standalone deliverer on host "host-a" will run delivery workers',
    ],
    [
      "host-a",
      "host-a",
      true,
      "INFO",
      'delivery_owner_host="host-a" matched; delivery workers enabled on this host',
    ],
    [
      " host-a ",
      "host-a",
      true,
      "INFO",
      'delivery_owner_host="host-a" matched; delivery workers enabled on this host',
    ],
    [
      "Host-A",
      "host-a",
      false,
      "INFO",
      'delivery_owner_host="Host-A"; standalone deliverer idle on host "host-a"',
    ],
    [
      "host-a",
      "host-b",
      false,
      "INFO",
      'delivery_owner_host="host-a"; standalone deliverer idle on host "host-b"',
    ],
  ])("standalone owner %p on %p", (owner, host, enabled, level, message) => {
    expect(delivererOwnerStatus(owner, host)).toEqual({ enabled, level: level as "INFO", message });
  });

  test.each([
    [0, "", "host-a", false, "INFO", "delivery_workers=disabled api_port=disabled"],
    [
      8090,
      "",
      "host-a",
      true,
      "WARN",
      'delivery_owner_host is unset; host "host-a" will run delivery workers because API_PORT is enabled',
    ],
    [
      8090,
      "host-a",
      "host-a",
      true,
      "INFO",
      'delivery_owner_host="host-a" matched; delivery workers enabled on this host',
    ],
    [
      8090,
      "host-a",
      "host-b",
      false,
      "INFO",
      'delivery_owner_host="host-a"; delivery workers disabled on host "host-b"',
    ],
    [
      0,
      "host-a",
      "host-a",
      false,
      "INFO",
      'delivery_owner_host="host-a" ignored because API_PORT is disabled',
    ],
  ])("embedded api=%p owner %p on %p", (api, owner, host, enabled, level, message) => {
    expect(embeddedOwnerStatus(api, owner, host)).toEqual({ enabled, level: level as "INFO", message });
  });

  // The one deliverer health rule; the rows from the dead fleethealth/deliverer.ts table are
  // folded in (an idle deliverer whose owner became blank is amber: a restart would start workers).
  test.each<[string, HealthStatus, boolean, string, string, ProcessState, HealthStatus]>([
    [
      "owner set, all green (TestDelivererProcessHealthSnapshot)",
      "green",
      true,
      "host-a",
      "host-a",
      "running",
      "green",
    ],
    ["workers on without owner: green becomes amber", "green", true, "  ", "host-a", "running", "amber"],
    ["workers on without owner: red stays red", "red", true, "", "host-a", "running", "red"],
    ["amber rollup stays amber", "amber", true, "x", "x", "running", "amber"],
    ["idle non-owner is green", "green", false, "host-b", "host-a", "idle", "green"],
    ["idle, owner became blank: restart due", "green", false, "", "host-a", "idle", "amber"],
    ["idle, owner became this host: restart due", "green", false, "host-a", "host-a", "idle", "amber"],
    ["running, owner moved away: restart due", "green", true, "host-b", "host-a", "running", "amber"],
    ["red wins over a mismatch", "red", true, "host-b", "host-a", "running", "red"],
    ["stopping is amber", "green", true, "x", "x", "stopping", "amber"],
    ["stopped is amber even when red", "red", true, "x", "x", "stopped", "amber"],
  ])("deliveryHealth: %s", (_n, rollup, workersEnabled, ownerRaw, host, state, want) => {
    expect(deliveryHealth({ rollup, workersEnabled, ownerRaw, host, state })).toBe(want);
  });
});

describe("rate window", () => {
  test("cap 3: three admitted, the fourth refused, the window slides", () => {
    let now = 1_000_000;
    const w = new RateWindow(() => now);
    const t = now;
    expect(w.admit(1, 3)).toBe(true);
    now = t + 1000;
    expect(w.admit(1, 3)).toBe(true);
    now = t + 2000;
    expect(w.admit(1, 3)).toBe(true);
    now = t + 4000;
    expect(w.admit(1, 3)).toBe(false);
    expect(w.admit(2, 3)).toBe(true); // contacts are isolated
    now = t + 3_600_000 + 1000;
    expect(w.admit(1, 3)).toBe(true);
  });
  test("0 means unlimited", () => {
    const w = new RateWindow(() => 0);
    for (let i = 0; i < 100; i++) expect(w.admit(1, 0)).toBe(true);
  });
});

describe("slots", () => {
  test("cap 2: third acquire fails until a release; isolated per subscriber; 0 deletes the key", () => {
    const s = new Slots(2);
    expect(s.acquire(1)).toBe(true);
    expect(s.acquire(1)).toBe(true);
    expect(s.acquire(1)).toBe(false);
    expect(s.free(1)).toBe(0);
    expect(s.saturated()).toEqual([1]);
    expect(s.acquire(2)).toBe(true);
    s.release(1);
    expect(s.acquire(1)).toBe(true);
    s.release(1);
    s.release(1);
    s.release(2);
    expect(s.size()).toBe(0);
    expect(s.free(1)).toBe(2);
  });
});

describe("truncateBytes", () => {
  test("short strings unchanged; long cut to 2048 bytes on a character boundary", () => {
    expect(truncateBytes("x".repeat(100))).toBe("x".repeat(100));
    expect(Buffer.byteLength(truncateBytes("x".repeat(3000)))).toBe(2048);
    expect(truncateBytes("hello world", 5)).toBe("hello");
    const cut = truncateBytes(`${"x".repeat(2047)}é`);
    expect(cut).toBe("x".repeat(2047));
  });
});
