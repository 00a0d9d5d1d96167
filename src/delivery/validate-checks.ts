/**
 * The deliverer's lines in `validate-config` (deliverer reference §1.7): which host the checks
 * are for, the e-mail transport, API_PORT, the ownership decision, and the --require-* gates
 * a systemd `ExecStartPre` uses before a dedicated deliverer starts.
 */
import { emailTransportLabel } from "./dispatchers.ts";
import { delivererOwnerStatus } from "./ownership.ts";

export interface ValidateLine {
  level: "PASS" | "WARN" | "FAIL" | "INFO";
  text: string;
}

export interface DeliveryValidateOptions {
  /** `--host` trimmed, else the OS hostname. */
  host: string;
  requireOwnerMatch: boolean;
  requireEmailDelivery: boolean;
  requireApiDisabled: boolean;
}

export interface DeliveryConfigView {
  DELIVERY_OWNER_HOST: string;
  EMAIL_TRANSPORT: string;
  API_PORT: number;
}

/** The lines in order; FAIL lines (the unmet requirements) come last and mean exit 1. */
export function deliveryValidateChecks(c: DeliveryConfigView, o: DeliveryValidateOptions): ValidateLine[] {
  const host = o.host.trim();
  const lines: ValidateLine[] = [{ level: "INFO", text: `deliverer_host="${host}"` }];
  const email = emailTransportLabel(c.EMAIL_TRANSPORT);
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

  const ownerName = c.DELIVERY_OWNER_HOST.trim();
  if (o.requireOwnerMatch) {
    if (host === "") lines.push({ level: "FAIL", text: "validated host id is empty" });
    else if (ownerName === "") {
      lines.push({
        level: "FAIL",
        text: `DELIVERY_OWNER_HOST must be set to "${host}" for single-owner deliverer rollout`,
      });
    } else if (ownerName !== host) {
      lines.push({
        level: "FAIL",
        text: `DELIVERY_OWNER_HOST="${ownerName}" does not match deliverer host "${host}"`,
      });
    }
  }
  if (o.requireEmailDelivery && !email.delivers) {
    lines.push({
      level: "FAIL",
      text: `EMAIL_TRANSPORT="${email.label}" does not deliver email; set smtp or wpcom`,
    });
  }
  if (o.requireApiDisabled && c.API_PORT > 0) {
    lines.push({ level: "FAIL", text: `API_PORT=${c.API_PORT} must be 0 for standalone deliverer config` });
  }
  return lines;
}
