/** Slack incoming webhooks and Microsoft Teams adaptive cards (docs/reference/deliverer.md §4.6). */
import { rfc3339 } from "../time.ts";
import { destinationField, httpUrlProblem, WebhookUrlDestination } from "./destination.ts";
import { type FetchFn, postJson } from "./http-post.ts";
import type { AlertDispatcher, Notification } from "./notification.ts";

function slackEmoji(n: Notification): string {
  if (n.isTest) return ":mag:";
  if (n.recovery) return ":white_check_mark:";
  return n.severity >= 3 ? ":rotating_light:" : ":warning:";
}

function headline(n: Notification): string {
  if (n.isTest) return "Jetmon test";
  return n.recovery ? "Recovered" : n.severityName;
}

export function slackBody(n: Notification) {
  const text = n.isTest
    ? `Jetmon test notification for ${n.siteUrl}`
    : n.recovery
      ? `Jetmon recovery: ${n.siteUrl}`
      : `Jetmon ${n.severityName} alert: ${n.siteUrl}`;
  const fields = [
    { type: "mrkdwn", text: `*Site ID*\n${n.siteId}` },
    { type: "mrkdwn", text: `*Event*\n#${n.eventId}` },
  ];
  if (n.state) fields.push({ type: "mrkdwn", text: `*State*\n${n.state}` });
  if (n.reason) fields.push({ type: "mrkdwn", text: `*Reason*\n${n.reason}` });
  fields.push({ type: "mrkdwn", text: `*Time*\n${rfc3339(n.timestamp.getTime())}` });
  return {
    text,
    blocks: [
      {
        type: "section",
        text: { type: "mrkdwn", text: `${slackEmoji(n)} *${headline(n)}* \u2014 ${n.siteUrl}` },
      },
      { type: "section", fields },
    ],
  };
}

export function teamsBody(n: Notification) {
  const facts = [
    { title: "Site ID", value: String(n.siteId) },
    { title: "Event", value: `#${n.eventId} (${n.eventType})` },
  ];
  if (n.state) facts.push({ title: "State", value: n.state });
  if (n.reason) facts.push({ title: "Reason", value: n.reason });
  facts.push({ title: "Time", value: rfc3339(n.timestamp.getTime()) });
  return {
    type: "message",
    attachments: [
      {
        contentType: "application/vnd.microsoft.card.adaptive",
        content: {
          $schema: "http://adaptivecards.io/schemas/adaptive-card.json",
          type: "AdaptiveCard",
          version: "1.4",
          body: [
            {
              type: "TextBlock",
              text: `**${headline(n)}** \u2014 ${n.siteUrl}`,
              wrap: true,
              size: "Large",
              weight: "Bolder",
            },
            { type: "FactSet", facts },
          ],
        },
      },
    ],
  };
}

function chatDispatcher(
  build: (n: Notification) => unknown,
  o: { fetch: FetchFn; timeoutMs: number },
): AlertDispatcher {
  return {
    async send(n, destination, signal) {
      const d = destinationField(destination, WebhookUrlDestination, "webhook_url", 0);
      if ("failure" in d) return d.failure;
      const problem = httpUrlProblem(d.value);
      if (problem)
        return {
          ok: false,
          statusCode: 0,
          body: "",
          error: `destination webhook_url: ${problem}`,
          permanent: true,
        };
      return postJson(o.fetch, d.value, build(n), { timeoutMs: o.timeoutMs, signal });
    },
  };
}

export function slackDispatcher(o: { fetch: FetchFn; timeoutMs: number }): AlertDispatcher {
  return chatDispatcher(slackBody, o);
}

export function teamsDispatcher(o: { fetch: FetchFn; timeoutMs: number }): AlertDispatcher {
  return chatDispatcher(teamsBody, o);
}
