/**
 * One webhook attempt (docs/reference/deliverer.md §3.9): look the webhook up, sign the stored payload text and
 * POST exactly that text. A lookup that fails for a database reason is retried; a webhook that
 * is gone, inactive, or whose URL can never work is abandoned now with the reason stored
 * (docs/design.md defect 11).
 */
import { sql } from "drizzle-orm";
import { type Executor, selectRows } from "../db/sql.ts";
import { errorText } from "../error-text.ts";
import type { Clock } from "../time.ts";
import { httpUrlProblem } from "./destination.ts";
import { type FetchFn, fetchErrorText, NO_REDIRECTS, readBodyPrefix, redirectText } from "./http-post.ts";
import type { ClaimedDelivery, Outcome } from "./queue.ts";
import { DELIVERY_HEADER, EVENT_HEADER, SIGNATURE_HEADER, signatureHeader } from "./signature.ts";

export interface WebhookAttemptDeps {
  db: Executor;
  fetch: FetchFn;
  now: Clock;
  /** Whole-request timeout, response body included. */
  timeoutMs: number;
  userAgent: string;
}

export async function attemptWebhook(deps: WebhookAttemptDeps, d: ClaimedDelivery): Promise<Outcome> {
  let hook: { url: string; active: number; secret: string } | undefined;
  try {
    [hook] = await selectRows<{ url: string; active: number; secret: string }>(
      deps.db,
      sql`SELECT url, active, secret FROM jetmon_webhooks WHERE id = ${d.subscriberId}`,
    );
  } catch (err) {
    return { kind: "failed", statusCode: 0, response: `webhook lookup: ${errorText(err)}` };
  }
  if (!hook) return { kind: "abandon", statusCode: 0, response: "webhook not found" };
  if (Number(hook.active) !== 1) return { kind: "abandon", statusCode: 0, response: "webhook is inactive" };
  const problem = httpUrlProblem(hook.url);
  if (problem) return { kind: "abandon", statusCode: 0, response: problem };

  const body = d.payload;
  const t = Math.floor(deps.now() / 1000);
  let res: Response;
  try {
    res = await deps.fetch(hook.url, {
      method: "POST",
      headers: {
        "Content-Type": "application/json",
        "User-Agent": deps.userAgent,
        [EVENT_HEADER]: d.eventType,
        [DELIVERY_HEADER]: String(d.id),
        [SIGNATURE_HEADER]: signatureHeader(hook.secret, t, body),
      },
      body,
      signal: AbortSignal.timeout(deps.timeoutMs),
      ...NO_REDIRECTS,
    });
  } catch (err) {
    return { kind: "failed", statusCode: 0, response: `transport: ${fetchErrorText(err, deps.timeoutMs)}` };
  }
  let text: string;
  try {
    text = await readBodyPrefix(res, 2048);
  } catch (err) {
    text = `read body: ${fetchErrorText(err, deps.timeoutMs)}`;
  }
  if (res.status >= 200 && res.status <= 299)
    return { kind: "delivered", statusCode: res.status, response: text };
  const redirect = redirectText(res);
  return {
    kind: "failed",
    statusCode: res.status,
    response: redirect ? `${redirect}${text ? `: ${text}` : ""}` : text,
  };
}
