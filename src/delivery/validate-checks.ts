/**
 * The deliverer's --require-* gates in `validate-config` (docs/reference/deliverer.md §1.7), which a
 * systemd `ExecStartPre` uses before a dedicated deliverer starts.
 */
import { emailTransportLabel } from "../config/validate.ts";

export interface ValidateLine {
  level: "PASS" | "WARN" | "FAIL" | "INFO";
  text: string;
}

/** The --require-* flags. */
export interface DeliveryRequirements {
  requireOwnerMatch: boolean;
  requireEmailDelivery: boolean;
  requireApiDisabled: boolean;
}

export interface DeliveryConfigView {
  DELIVERY_OWNER_HOST: string;
  EMAIL_TRANSPORT: string;
  API_PORT: number;
}

/**
 * The requested --require-* gates in the reference order: a FAIL line (message as the reference
 * words it) for each unmet one, a PASS line for each met one. `host` is compared as given.
 */
export function deliveryRequirementLines(
  c: DeliveryConfigView,
  host: string,
  r: DeliveryRequirements,
): ValidateLine[] {
  const out: ValidateLine[] = [];
  const fail = (text: string) => out.push({ level: "FAIL", text });
  const pass = (text: string) => out.push({ level: "PASS", text });
  if (r.requireOwnerMatch) {
    const owner = c.DELIVERY_OWNER_HOST.trim();
    if (host === "") fail("validated host id is empty");
    else if (owner === "")
      fail(`DELIVERY_OWNER_HOST must be set to "${host}" for single-owner deliverer rollout`);
    else if (owner !== host) fail(`DELIVERY_OWNER_HOST="${owner}" does not match deliverer host "${host}"`);
    else pass(`delivery owner matches host "${host}"`);
  }
  if (r.requireEmailDelivery) {
    const { label, delivers } = emailTransportLabel(c);
    if (delivers) pass(`EMAIL_TRANSPORT="${label}" delivers email`);
    else fail(`EMAIL_TRANSPORT="${label}" does not deliver email; set smtp or wpcom`);
  }
  if (r.requireApiDisabled) {
    if (c.API_PORT > 0) fail(`API_PORT=${c.API_PORT} must be 0 for standalone deliverer config`);
    else pass("api_port=disabled");
  }
  return out;
}
