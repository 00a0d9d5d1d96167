/**
 * The delivery settings of a loaded config, for the two places that start delivery: the
 * deliverer mode and a monitor running delivery embedded. Only these read Config; the
 * workers and transports take plain options.
 */
import type { ConnectionOptions } from "node:tls";
import type { Config } from "../config/schema.ts";
import type { Logger } from "../log.ts";
import type { Clock } from "../time.ts";
import type { AlertTransportOptions } from "./dispatchers.ts";
import type { FetchFn } from "./http-post.ts";

export function alertTransportOptionsFromConfig(
  c: Config,
  extra: { log: Logger; now?: Clock; fetch?: FetchFn; smtpTls?: ConnectionOptions },
): AlertTransportOptions {
  return {
    emailTransport: c.EMAIL_TRANSPORT,
    emailFrom: c.EMAIL_FROM,
    smtp: {
      host: c.SMTP_HOST,
      port: c.SMTP_PORT,
      username: c.SMTP_USERNAME,
      password: c.SMTP_PASSWORD,
      useTls: c.SMTP_USE_TLS,
      tls: extra.smtpTls,
    },
    wpcomEmail: { endpoint: c.WPCOM_EMAIL_ENDPOINT, token: c.WPCOM_EMAIL_AUTH_TOKEN },
    pagerdutyEndpoint: c.PAGERDUTY_EVENTS_ENDPOINT,
    fetch: extra.fetch,
    now: extra.now,
    log: extra.log,
  };
}

/** `DELIVERY_REPLAY_FROM`: -1 (the default) means start a new instance at the current maximum. */
export function replayFromConfig(c: Pick<Config, "DELIVERY_REPLAY_FROM">): number | null {
  return c.DELIVERY_REPLAY_FROM >= 0 ? c.DELIVERY_REPLAY_FROM : null;
}
