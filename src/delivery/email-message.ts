/**
 * Alert e-mail text (docs/reference/deliverer.md §4.7): subject, plain and HTML bodies, and the MIME message the
 * SMTP sender hands over. Header values are stripped of CR and LF so nothing in a site URL or
 * an address can add a header line. Unlike Go's, the message carries `Date` and `Message-ID`
 * (mail servers and spam filters expect both).
 */
import { randomUUID } from "node:crypto";
import { rfc3339 } from "../time.ts";
import type { Notification } from "./notification.ts";

export interface EmailMessage {
  from: string;
  to: string;
  subject: string;
  plain: string;
  html: string;
}

export const MIME_BOUNDARY = "JetmonAlertBoundary_4d8f31a2";

function oneLine(s: string): string {
  return s.replace(/[\r\n]/g, "");
}

export function emailSubject(n: Notification): string {
  const url = oneLine(n.siteUrl);
  if (n.isTest) return `[Jetmon test] ${url}`;
  if (n.recovery) return `[Recovered] ${url}`;
  return `[${oneLine(n.severityName)}] ${url}`;
}

function rows(n: Notification): [string, string][] {
  const out: [string, string][] = [
    ["Site", `${n.siteUrl} (id ${n.siteId})`],
    ["Severity", n.severityName],
  ];
  if (n.state) out.push(["State", n.state]);
  out.push(["Event", `#${n.eventId} (${n.eventType})`]);
  if (n.reason) out.push(["Reason", n.reason]);
  out.push(["Time", rfc3339(n.timestamp.getTime())]);
  return out;
}

export function emailPlainBody(n: Notification): string {
  let s = "";
  if (n.isTest) s += "*** Jetmon test notification ***\n\n";
  if (n.recovery) s += "Recovery: site is back to Up.\n\n";
  for (const [k, v] of rows(n)) s += `${k}: ${v}\n`;
  return s;
}

export function htmlEscape(s: string): string {
  return s
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;")
    .replace(/'/g, "&#39;");
}

export function emailHtmlBody(n: Notification): string {
  let s = '<html><body style="font-family:sans-serif;">';
  if (n.isTest) s += "<p><strong>*** Jetmon test notification ***</strong></p>";
  if (n.recovery) s += "<p><strong>Recovery:</strong> site is back to Up.</p>";
  s += '<table cellpadding="4">';
  for (const [k, v] of rows(n)) s += `<tr><td><strong>${k}</strong></td><td>${htmlEscape(v)}</td></tr>`;
  return `${s}</table></body></html>`;
}

export function buildEmail(n: Notification, from: string, to: string): EmailMessage {
  return { from, to, subject: emailSubject(n), plain: emailPlainBody(n), html: emailHtmlBody(n) };
}

/** RFC 2047 for a header value that is not plain ASCII. */
function headerText(s: string): string {
  const v = oneLine(s);
  return /^[\x20-\x7e]*$/.test(v) ? v : `=?UTF-8?B?${Buffer.from(v, "utf8").toString("base64")}?=`;
}

function crlf(s: string): string {
  return s.replace(/\r?\n/g, "\r\n");
}

/** The multipart/alternative message, CRLF line endings throughout. */
export function mimeMessage(m: EmailMessage, date: Date, messageId: string = randomUUID()): string {
  const domain =
    oneLine(m.from)
      .split("@")[1]
      ?.replace(/[<>\s]/g, "") || "jetmon.invalid";
  const lines = [
    `From: ${oneLine(m.from)}`,
    `To: ${oneLine(m.to)}`,
    `Subject: ${headerText(m.subject)}`,
    `Date: ${date.toUTCString().replace("GMT", "+0000")}`,
    `Message-ID: <${messageId}@${domain}>`,
    "MIME-Version: 1.0",
    `Content-Type: multipart/alternative; boundary="${MIME_BOUNDARY}"`,
    "",
    `--${MIME_BOUNDARY}`,
    'Content-Type: text/plain; charset="UTF-8"',
    "Content-Transfer-Encoding: 8bit",
    "",
    crlf(m.plain),
    `--${MIME_BOUNDARY}`,
    'Content-Type: text/html; charset="UTF-8"',
    "Content-Transfer-Encoding: 8bit",
    "",
    crlf(m.html),
    `--${MIME_BOUNDARY}--`,
    "",
  ];
  return lines.join("\r\n");
}
