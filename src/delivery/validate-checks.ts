/**
 * The deliverer's lines in `validate-config` (deliverer reference §1.7): which host the checks
 * are for, the e-mail transport, API_PORT, the ownership decision, and the --require-* gates
 * a systemd `ExecStartPre` uses before a dedicated deliverer starts.
 */
import { emailTransportLabel } from "../config/validate.ts";
import { delivererOwnerStatus } from "./ownership.ts";

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

export interface DeliveryValidateOptions extends DeliveryRequirements {
  /** `--host` trimmed, else the OS hostname. */
  host: string;
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

/** The lines in order; FAIL lines (the unmet requirements) come last and mean exit 1. */
export function deliveryValidateChecks(c: DeliveryConfigView, o: DeliveryValidateOptions): ValidateLine[] {
  const host = o.host.trim();
  const lines: ValidateLine[] = [{ level: "INFO", text: `deliverer_host="${host}"` }];
  const email = emailTransportLabel(c);
  lines.push({ level: "INFO", text: `email_transport=${email.label}` });
  if (!email.delivers) {
    lines.push({
      level: "WARN",
      text: `email_transport=${email.label}; alert-contact emails will be logged but not delivered`,
    });
  }
  lines.push(
    c.API_PORT > 0
      ? {
          level: "WARN",
          text: `api_port=${c.API_PORT}; standalone deliverer ignores API_PORT, confirm this is a process-specific config`,
        }
      : { level: "PASS", text: "api_port=disabled" },
  );
  const owner = delivererOwnerStatus(c.DELIVERY_OWNER_HOST, host);
  lines.push({ level: owner.level, text: owner.message });
  // The reference prints only the unmet requirements (as FAIL on stderr).
  lines.push(...deliveryRequirementLines(c, host, o).filter((l) => l.level === "FAIL"));
  return lines;
}
