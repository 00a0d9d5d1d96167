import { describe, expect, test } from "bun:test";
import {
  buildEmail,
  emailHtmlBody,
  emailPlainBody,
  emailSubject,
  MIME_BOUNDARY,
  mimeMessage,
} from "../../src/delivery/email-message.ts";
import { WpcomEmailSender } from "../../src/delivery/email-senders.ts";
import {
  buildNotification,
  decodeAlertPayload,
  isTransport,
  type Notification,
  severityName,
  testNotification,
} from "../../src/delivery/notification.ts";
import { slackBody, teamsBody } from "../../src/delivery/transport-chat.ts";
import { emailDispatcher } from "../../src/delivery/transport-email.ts";
import {
  pagerDutyBody,
  pagerDutyDispatcher,
  pagerDutySeverity,
} from "../../src/delivery/transport-pagerduty.ts";

const base: Notification = {
  siteId: 42,
  siteUrl: "https://example.com",
  eventId: 777,
  eventType: "event.opened",
  severity: 4,
  severityName: "Down",
  state: "Down",
  reason: "verifier_confirmed",
  timestamp: new Date(Date.UTC(2026, 3, 25, 12, 0, 0)),
  dedupKey: "jetmon-event-777",
  recovery: false,
  isTest: false,
};
const recovery = { ...base, recovery: true, severity: 0, severityName: "Up" };
const testN = { ...base, isTest: true };

describe("vocabulary", () => {
  test("severity names by number; unknown is empty", () => {
    expect([0, 1, 2, 3, 4].map(severityName)).toEqual(["Up", "Warning", "Degraded", "SeemsDown", "Down"]);
    expect(severityName(99)).toBe("");
  });
  test("transports", () => {
    for (const t of ["email", "pagerduty", "slack", "teams"]) expect(isTransport(t)).toBe(true);
    for (const t of ["", "Email", "sms", "opsgenie", "EMAIL"]) expect(isTransport(t)).toBe(false);
  });
});

describe("notification from payload", () => {
  const payload = (p: Record<string, unknown>) =>
    JSON.stringify({
      type: "alert.closed",
      occurred_at: "2026-04-25T12:00:00.5Z",
      transition_id: 1,
      event_id: 20,
      site_id: 30,
      reason: "verifier_cleared",
      state: "Resolved",
      severity_before: 4,
      severity_after: 0,
      ...p,
    });
  test("Down -> Up is a recovery with severity 0 and the event dedup key", () => {
    const n = buildNotification(decodeAlertPayload(payload({})), "https://site.example");
    expect(n.recovery).toBe(true);
    expect(n.severity).toBe(0);
    expect(n.dedupKey).toBe("jetmon-event-20");
    expect(n.timestamp.toISOString()).toBe("2026-04-25T12:00:00.500Z");
  });
  test("an escalation is not a recovery", () => {
    const n = buildNotification(decodeAlertPayload(payload({ severity_before: 1, severity_after: 4 })), "u");
    expect(n.recovery).toBe(false);
    expect(n.severityName).toBe("Down");
  });
  test("malformed payloads name the problem", () => {
    expect(() => decodeAlertPayload("{")).toThrow("decode payload:");
    expect(() => decodeAlertPayload(payload({ site_id: "x" }))).toThrow("/site_id");
    expect(() => decodeAlertPayload(payload({ occurred_at: "yesterday" }))).toThrow("/occurred_at");
  });
  test("test notification", () => {
    const n = testNotification("ops", 3, base.timestamp);
    expect(n).toMatchObject({
      siteId: 0,
      siteUrl: "https://test.invalid/ops",
      eventType: "event.test",
      severity: 3,
      state: "Test",
      reason: "test_send",
      isTest: true,
    });
  });
});

describe("pagerduty", () => {
  test("trigger", () => {
    const b = pagerDutyBody(base, "PDKEY");
    expect(b.routing_key).toBe("PDKEY");
    expect(b.event_action).toBe("trigger");
    expect(b.dedup_key).toBe("jetmon-event-777");
    expect(b.payload.severity).toBe("critical");
    expect(b.payload.summary).toBe("Down: https://example.com");
    expect(b.payload.source).toBe("https://example.com");
    expect(b.payload.custom_details).toEqual({
      site_id: 42,
      event_id: 777,
      event_type: "event.opened",
      state: "Down",
      reason: "verifier_confirmed",
      is_test: false,
    });
  });
  test("recovery resolves with the same dedup key; test gets its own key", () => {
    const r = pagerDutyBody(recovery, "K");
    expect([r.event_action, r.dedup_key, r.payload.summary]).toEqual([
      "resolve",
      "jetmon-event-777",
      "Recovered: https://example.com",
    ]);
    const t = pagerDutyBody(testN, "K");
    expect(t.dedup_key).toBe(`jetmon-test-42-${Date.UTC(2026, 3, 25, 12) / 1000}`);
    expect(t.payload.summary).toBe("[Jetmon test] https://example.com");
  });
  test.each([
    [4, "critical"],
    [3, "critical"],
    [2, "warning"],
    [1, "info"],
    [0, "info"],
  ])("severity %p -> %p", (s, want) => expect(pagerDutySeverity(s)).toBe(want as never));
});

describe("slack and teams", () => {
  test("slack alert", () => {
    const b = slackBody(base);
    expect(b.text).toBe("Jetmon Down alert: https://example.com");
    expect(b.blocks.length).toBeGreaterThanOrEqual(2);
    expect(b.blocks[0]).toEqual({
      type: "section",
      text: { type: "mrkdwn", text: ":rotating_light: *Down* \u2014 https://example.com" },
    });
    expect((b.blocks[1] as { fields: { text: string }[] }).fields.map((f) => f.text)).toEqual([
      "*Site ID*\n42",
      "*Event*\n#777",
      "*State*\nDown",
      "*Reason*\nverifier_confirmed",
      "*Time*\n2026-04-25T12:00:00Z",
    ]);
  });
  test("slack emoji and wording for recovery, test, lower severity", () => {
    expect(slackBody(recovery).text).toBe("Jetmon recovery: https://example.com");
    expect(JSON.stringify(slackBody(recovery).blocks[0])).toContain(":white_check_mark: *Recovered*");
    expect(JSON.stringify(slackBody({ ...testN, recovery: true }).blocks[0])).toContain(
      ":mag: *Jetmon test*",
    );
    expect(JSON.stringify(slackBody({ ...base, severity: 2, severityName: "Degraded" }).blocks[0])).toContain(
      ":warning: *Degraded*",
    );
  });
  test("teams card", () => {
    const b = teamsBody(base);
    expect(b.type).toBe("message");
    expect(b.attachments).toHaveLength(1);
    const c = b.attachments[0]!.content;
    expect(c.type).toBe("AdaptiveCard");
    expect(c.version).toBe("1.4");
    expect(c.body[0]).toEqual({
      type: "TextBlock",
      text: "**Down** \u2014 https://example.com",
      wrap: true,
      size: "Large",
      weight: "Bolder",
    });
    expect(JSON.stringify(c.body[1])).toContain('"title":"Event","value":"#777 (event.opened)"');
    expect(JSON.stringify(teamsBody(recovery))).toContain("**Recovered**");
    expect(JSON.stringify(teamsBody({ ...testN, recovery: true }))).toContain("**Jetmon test**");
  });
});

describe("email text", () => {
  test("subjects", () => {
    expect(emailSubject(base)).toBe("[Down] https://example.com");
    expect(emailSubject(recovery)).toBe("[Recovered] https://example.com");
    expect(emailSubject(testN)).toBe("[Jetmon test] https://example.com");
    expect(emailSubject({ ...base, siteUrl: "https://x\r\nBcc: evil@example.com" })).toBe(
      "[Down] https://xBcc: evil@example.com",
    );
  });
  test("plain body", () => {
    expect(emailPlainBody({ ...base, eventType: "event.opened" })).toBe(
      "Site: https://example.com (id 42)\nSeverity: Down\nState: Down\nEvent: #777 (event.opened)\nReason: verifier_confirmed\nTime: 2026-04-25T12:00:00Z\n",
    );
    expect(emailPlainBody({ ...recovery, state: "", reason: "" })).toBe(
      "Recovery: site is back to Up.\n\nSite: https://example.com (id 42)\nSeverity: Up\nEvent: #777 (event.opened)\nTime: 2026-04-25T12:00:00Z\n",
    );
    expect(emailPlainBody(testN).startsWith("*** Jetmon test notification ***\n\n")).toBe(true);
  });
  test("html escapes and banners", () => {
    const h = emailHtmlBody({ ...testN, siteUrl: "<script>", reason: "a & b" });
    expect(h).toContain("&lt;script&gt;");
    expect(h).toContain("a &amp; b");
    expect(h).not.toContain("<script>");
    expect(
      h.startsWith(
        '<html><body style="font-family:sans-serif;"><p><strong>*** Jetmon test notification ***</strong></p><table cellpadding="4">',
      ),
    ).toBe(true);
    expect(emailHtmlBody(recovery)).toContain("<p><strong>Recovery:</strong> site is back to Up.</p>");
    expect(emailHtmlBody(base)).toContain(
      "<tr><td><strong>Site</strong></td><td>https://example.com (id 42)</td></tr>",
    );
  });
  test("MIME: CRLF, boundary, no injected header lines, body CRLF kept", () => {
    const m = buildEmail(
      { ...base, siteUrl: "https://x\r\nBcc: evil@example.com", reason: "a\r\nb" },
      "jetmon@noreply.invalid",
      "ops@example.com",
    );
    const mime = mimeMessage(m, new Date(Date.UTC(2026, 3, 25, 12)), "fixed");
    const [head, ...rest] = mime.split("\r\n\r\n");
    const headers = head!.split("\r\n");
    expect(headers).toEqual([
      "From: jetmon@noreply.invalid",
      "To: ops@example.com",
      "Subject: [Down] https://xBcc: evil@example.com",
      "Date: Sat, 25 Apr 2026 12:00:00 +0000",
      "Message-ID: <fixed@noreply.invalid>",
      "MIME-Version: 1.0",
      `Content-Type: multipart/alternative; boundary="${MIME_BOUNDARY}"`,
    ]);
    const body = rest.join("\r\n\r\n");
    expect(body).toContain("Reason: a\r\nb\r\n");
    expect(body).toContain('Content-Type: text/plain; charset="UTF-8"');
    expect(body).toContain('Content-Type: text/html; charset="UTF-8"');
    expect(mime.endsWith(`--${MIME_BOUNDARY}--\r\n`)).toBe(true);
    expect(mime.replace(/\r\n/g, "")).not.toContain("\n");
  });
  test("non-ASCII subjects are RFC 2047 encoded", () => {
    const m = buildEmail({ ...base, siteUrl: "https://bücher.example" }, "a@b.c", "d@e.f");
    expect(mimeMessage(m, new Date(0), "x")).toContain(
      `Subject: =?UTF-8?B?${Buffer.from("[Down] https://bücher.example").toString("base64")}?=`,
    );
  });
});

describe("destinations and senders without a network", () => {
  const never = (() => {
    throw new Error("no request expected");
  }) as unknown as typeof fetch;
  const signal = new AbortController().signal;
  test("email: bad JSON, missing address and a CRLF address are permanent 550s; nothing is sent", async () => {
    const sent: unknown[] = [];
    const d = emailDispatcher({ from: "a@b.c", sender: { send: async (m) => void sent.push(m) } });
    expect(await d.send(base, "{", signal)).toMatchObject({
      ok: false,
      statusCode: 550,
      error: "invalid destination JSON",
      permanent: true,
    });
    expect(await d.send(base, "{}", signal)).toMatchObject({
      ok: false,
      statusCode: 550,
      error: "destination missing address",
      permanent: true,
    });
    expect(await d.send(base, '{"address":"a@b.c\\r\\nBcc: x@y.z"}', signal)).toMatchObject({
      ok: false,
      statusCode: 550,
      permanent: true,
    });
    expect(sent).toHaveLength(0);
    expect(await d.send(base, '{"address":"ops@example.com"}', signal)).toEqual({
      ok: true,
      statusCode: 250,
      body: "delivered",
    });
  });
  test("email: a sender error is a 554 with its text, retried", async () => {
    const d = emailDispatcher({
      from: "a@b.c",
      sender: {
        send: async () => {
          throw new Error("smtp down");
        },
      },
    });
    expect(await d.send(base, '{"address":"ops@example.com"}', signal)).toEqual({
      ok: false,
      statusCode: 554,
      body: "smtp down",
      error: "smtp down",
    });
  });
  test("pagerduty: {}, an empty key or non-JSON never reach the network", async () => {
    const d = pagerDutyDispatcher({ fetch: never, timeoutMs: 1000 });
    for (const dest of ["{}", '{"integration_key":""}', "nope"]) {
      const r = await d.send(base, dest, signal);
      expect(r.ok).toBe(false);
      expect(r.ok === false && r.permanent).toBe(true);
    }
  });
  test("wpcom without an endpoint fails", async () => {
    const s = new WpcomEmailSender({ endpoint: "", token: "", fetch: never, timeoutMs: 1000 });
    await expect(s.send(buildEmail(base, "a@b.c", "d@e.f"))).rejects.toThrow(
      "alerting/email/wpcom: endpoint not configured",
    );
  });
});

describe("alert transports never follow redirects (issue 15)", () => {
  test("postJson: a 302 elsewhere is a failure with its status; the target gets nothing", async () => {
    const { postJson } = await import("../../src/delivery/http-post.ts");
    let stolen = 0;
    const elsewhere = Bun.serve({
      hostname: "127.0.0.1",
      port: 0,
      fetch: () => {
        stolen++;
        return new Response("ok");
      },
    });
    const rx = Bun.serve({
      hostname: "127.0.0.1",
      port: 0,
      fetch: () =>
        new Response(null, { status: 302, headers: { location: `http://127.0.0.1:${elsewhere.port}/x` } }),
    });
    try {
      const r = await postJson(fetch, `http://127.0.0.1:${rx.port}/hook`, { a: 1 }, { timeoutMs: 2000 });
      expect(r).toMatchObject({
        ok: false,
        statusCode: 302,
        error: `redirect not followed (status 302, location http://127.0.0.1:${elsewhere.port}/x)`,
      });
      expect(stolen).toBe(0);
    } finally {
      rx.stop(true);
      elsewhere.stop(true);
    }
  });
});
