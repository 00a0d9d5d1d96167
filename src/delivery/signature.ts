/**
 * Webhook request signing (docs/reference/deliverer.md §3.4, ADR-0004):
 * `X-Jetmon-Signature: t=<unix seconds>,v1=<lowercase hex HMAC-SHA256("<t>.<body>")>`, keyed by
 * the whole secret (`whsec_` prefix included). The body is the exact bytes sent.
 */
import { createHmac } from "node:crypto";

export const SIGNATURE_HEADER = "X-Jetmon-Signature";
export const EVENT_HEADER = "X-Jetmon-Event";
export const DELIVERY_HEADER = "X-Jetmon-Delivery";

/** The v1 HMAC alone, as lowercase hex. */
export function signatureV1(secret: string, unixSeconds: number, body: string | Uint8Array): string {
  const mac = createHmac("sha256", secret);
  mac.update(`${unixSeconds}.`);
  mac.update(body);
  return mac.digest("hex");
}

/** The full header value for one attempt. */
export function signatureHeader(secret: string, unixSeconds: number, body: string | Uint8Array): string {
  return `t=${unixSeconds},v1=${signatureV1(secret, unixSeconds, body)}`;
}
