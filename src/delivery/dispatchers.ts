/**
 * The alert transports a delivery process offers (docs/reference/deliverer.md §2 BuildAlertDispatchers):
 * PagerDuty, Slack and Teams always; e-mail through the sender `EMAIL_TRANSPORT` picks.
 */
import type { Logger } from "../log.ts";
import type { Clock } from "../time.ts";
import {
  type EmailSender,
  SmtpEmailSender,
  type SmtpOptions,
  StubEmailSender,
  WpcomEmailSender,
} from "./email-senders.ts";
import type { FetchFn } from "./http-post.ts";
import type { AlertDispatchers } from "./notification.ts";
import { slackDispatcher, teamsDispatcher } from "./transport-chat.ts";
import { emailDispatcher } from "./transport-email.ts";
import { pagerDutyDispatcher } from "./transport-pagerduty.ts";

export interface AlertTransportOptions {
  emailTransport: string;
  emailFrom: string;
  /** The sender's timeout and clock come from `timeoutMs` and `now` below. */
  smtp: Omit<SmtpOptions, "timeoutMs" | "now">;
  wpcomEmail: { endpoint: string; token: string };
  /** Overrides the PagerDuty Events v2 URL (tests point it at loopback). */
  pagerdutyEndpoint?: string;
  /** Per-request timeout for the HTTP transports and for SMTP; default 10 s. */
  timeoutMs?: number;
  fetch?: FetchFn;
  now?: Clock;
  log: Logger;
}

export interface BuiltDispatchers {
  dispatchers: AlertDispatchers;
  email: EmailSender;
  /** Releases SMTP connections. */
  close(): void;
}

export function buildAlertDispatchers(o: AlertTransportOptions): BuiltDispatchers {
  const fetchFn = o.fetch ?? fetch;
  const timeoutMs = o.timeoutMs ?? 10_000;
  let email: EmailSender;
  if (o.emailTransport === "wpcom") {
    email = new WpcomEmailSender({
      endpoint: o.wpcomEmail.endpoint,
      token: o.wpcomEmail.token,
      fetch: fetchFn,
      timeoutMs,
    });
    o.log.info(
      { endpoint: o.wpcomEmail.endpoint },
      `alerting/email: using wpcom sender (endpoint=${o.wpcomEmail.endpoint})`,
    );
  } else if (o.emailTransport === "smtp") {
    email = new SmtpEmailSender({ ...o.smtp, timeoutMs, now: o.now ?? Date.now });
    o.log.info(
      { host: o.smtp.host, port: o.smtp.port, use_tls: o.smtp.useTls },
      `alerting/email: using smtp sender (${o.smtp.host}:${o.smtp.port})`,
    );
  } else {
    email = new StubEmailSender(o.log);
    o.log.info("alerting/email: using stub sender (set EMAIL_TRANSPORT to enable real delivery)");
  }
  return {
    dispatchers: {
      email: emailDispatcher({ from: o.emailFrom, sender: email }),
      pagerduty: pagerDutyDispatcher({ fetch: fetchFn, endpoint: o.pagerdutyEndpoint, timeoutMs }),
      slack: slackDispatcher({ fetch: fetchFn, timeoutMs }),
      teams: teamsDispatcher({ fetch: fetchFn, timeoutMs }),
    },
    email,
    close() {
      if (email instanceof SmtpEmailSender) email.close();
    },
  };
}
