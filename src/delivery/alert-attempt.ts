/**
 * One alert-contact attempt (docs/reference/deliverer.md §4.5). Lookup failures from the database are retried;
 * a contact that is gone or inactive, a transport this process does not offer, a malformed
 * destination or payload are abandoned now. The hourly cap is spent only by sends that are
 * really made, and a capped send is abandoned with 429 and says why.
 */
import { sql } from "drizzle-orm";
import { type Executor, selectRows } from "../db/sql.ts";
import { errorText } from "../error-text.ts";
import type { Logger } from "../log.ts";
import {
  type AlertDispatchers,
  buildNotification,
  decodeAlertPayload,
  isTransport,
  type Notification,
} from "./notification.ts";
import type { ClaimedDelivery, Outcome } from "./queue.ts";
import type { RateWindow } from "./rate-window.ts";

export interface AlertAttemptDeps {
  db: Executor;
  dispatchers: AlertDispatchers;
  rate: RateWindow;
  /** Bound on one transport send. */
  timeoutMs: number;
  log: Logger;
}

interface ContactRow {
  active: number;
  transport: string;
  destination: string | Buffer;
  max_per_hour: number;
}

async function siteUrl(db: Executor, siteId: number): Promise<string> {
  try {
    const [r] = await selectRows<{ monitor_url: string | null }>(
      db,
      sql`SELECT monitor_url FROM jetpack_monitor_sites WHERE blog_id = ${siteId} LIMIT 1`,
    );
    if (r?.monitor_url) return r.monitor_url;
  } catch {
    // The URL only decorates the message; the site id stands in for it.
  }
  return `site:${siteId}`;
}

export async function attemptAlert(deps: AlertAttemptDeps, d: ClaimedDelivery): Promise<Outcome> {
  let contact: ContactRow | undefined;
  try {
    [contact] = await selectRows<ContactRow>(
      deps.db,
      sql`SELECT active, transport, CAST(destination AS CHAR CHARACTER SET utf8mb4) AS destination, max_per_hour
          FROM jetmon_alert_contacts WHERE id = ${d.subscriberId}`,
    );
  } catch (err) {
    return { kind: "failed", statusCode: 0, response: `contact lookup: ${errorText(err)}` };
  }
  if (!contact) return { kind: "abandon", statusCode: 0, response: "contact not found" };
  if (Number(contact.active) !== 1)
    return { kind: "abandon", statusCode: 0, response: "contact is inactive" };
  const dispatcher = isTransport(contact.transport) ? deps.dispatchers[contact.transport] : undefined;
  if (!dispatcher) {
    return {
      kind: "abandon",
      statusCode: 0,
      response: `transport "${contact.transport}" not configured on this instance`,
    };
  }
  let n: Notification;
  try {
    const p = decodeAlertPayload(d.payload);
    n = buildNotification(p, await siteUrl(deps.db, p.site_id));
  } catch (err) {
    return { kind: "abandon", statusCode: 0, response: `build notification: ${errorText(err)}` };
  }
  const maxPerHour = Number(contact.max_per_hour);
  if (!deps.rate.admit(d.subscriberId, maxPerHour)) {
    return {
      kind: "abandon",
      statusCode: 429,
      response: `rate-limited: contact ${d.subscriberId} exceeded max_per_hour=${maxPerHour}`,
    };
  }
  const destination =
    typeof contact.destination === "string" ? contact.destination : contact.destination.toString("utf8");
  let r: Awaited<ReturnType<typeof dispatcher.send>>;
  try {
    r = await dispatcher.send(n, destination, AbortSignal.timeout(deps.timeoutMs));
  } catch (err) {
    r = { ok: false, statusCode: 0, body: "", error: errorText(err) };
  }
  if (r.ok) return { kind: "delivered", statusCode: r.statusCode, response: r.body };
  const detail =
    r.body && r.body !== r.error ? `transport error: ${r.error}: ${r.body}` : `transport error: ${r.error}`;
  return { kind: r.permanent ? "abandon" : "failed", statusCode: r.statusCode, response: detail };
}
