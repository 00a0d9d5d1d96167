import type { Config } from "./schema.ts";

/** A closed bucket range, min..max inclusive. */
export interface BucketRange {
  min: number;
  max: number;
}

/**
 * The pinned range: the PINNED_* pair when both are set, else the legacy BUCKET_NO_* pair
 * when both are set, else null (dynamic ownership).
 */
export function pinnedBucketRange(
  c: Pick<Config, "PINNED_BUCKET_MIN" | "PINNED_BUCKET_MAX" | "BUCKET_NO_MIN" | "BUCKET_NO_MAX">,
): BucketRange | null {
  if (c.PINNED_BUCKET_MIN !== null && c.PINNED_BUCKET_MAX !== null) {
    return { min: c.PINNED_BUCKET_MIN, max: c.PINNED_BUCKET_MAX };
  }
  if (c.BUCKET_NO_MIN !== null && c.BUCKET_NO_MAX !== null) {
    return { min: c.BUCKET_NO_MIN, max: c.BUCKET_NO_MAX };
  }
  return null;
}

/** `verifier #i` for an unnamed verifier. */
export function verifierDisplayName(v: { name: string }, index: number): string {
  return v.name.trim() !== "" ? v.name : `verifier #${index}`;
}

/**
 * Jetmon 2's validation rules in its order, with its messages: the first failing rule's
 * message, or undefined. The blank-bind-address rewrite is not here: see normaliseConfig.
 */
export function firstRuleViolation(c: Config): string | undefined {
  if (c.AUTH_TOKEN.trim() === "") return "AUTH_TOKEN is required";
  if (c.NUM_WORKERS <= 0) return "NUM_WORKERS must be > 0";
  if (c.BUCKET_TOTAL <= 0) return "BUCKET_TOTAL must be > 0";
  if (c.BUCKET_TARGET < 1 || c.BUCKET_TARGET > c.BUCKET_TOTAL) {
    return "BUCKET_TARGET must be between 1 and BUCKET_TOTAL";
  }
  const pinned = pinnedRangeViolation(c);
  if (pinned) return pinned;
  if (c.NET_COMMS_TIMEOUT <= 0) return "NET_COMMS_TIMEOUT must be > 0";
  if (c.LOG_FORMAT !== "text" && c.LOG_FORMAT !== "json") return "LOG_FORMAT must be 'text' or 'json'";
  if (!["all", "changes", "off"].includes(c.CHECK_HISTORY_MODE))
    return "CHECK_HISTORY_MODE must be one of: all, changes, off";
  const email = emailViolation(c);
  if (email) return email;
  for (const [i, v] of c.VERIFIERS.entries()) {
    const who = `VERIFIERS[${i}] (${verifierDisplayName(v, i)})`;
    if (v.host.trim() === "") return `${who}: host is required`;
    if (v.port <= 0) return `${who}: port is required`;
  }
  return undefined;
}

function pinnedRangeViolation(c: Config): string | undefined {
  const pinnedSet = c.PINNED_BUCKET_MIN !== null || c.PINNED_BUCKET_MAX !== null;
  const pinnedBoth = c.PINNED_BUCKET_MIN !== null && c.PINNED_BUCKET_MAX !== null;
  const legacySet = c.BUCKET_NO_MIN !== null || c.BUCKET_NO_MAX !== null;
  const legacyBoth = c.BUCKET_NO_MIN !== null && c.BUCKET_NO_MAX !== null;
  if (pinnedSet && !pinnedBoth) return "PINNED_BUCKET_MIN and PINNED_BUCKET_MAX must be set together";
  if (legacySet && !legacyBoth) return "BUCKET_NO_MIN and BUCKET_NO_MAX must be set together";
  if (
    pinnedBoth &&
    legacyBoth &&
    (c.PINNED_BUCKET_MIN !== c.BUCKET_NO_MIN || c.PINNED_BUCKET_MAX !== c.BUCKET_NO_MAX)
  ) {
    return "PINNED_BUCKET_* conflicts with legacy BUCKET_NO_* range";
  }
  const range = pinnedBucketRange(c);
  if (!range) return undefined;
  if (range.min < 0) return "pinned bucket min must be >= 0";
  if (range.max < range.min) return "pinned bucket max must be >= min";
  if (range.max >= c.BUCKET_TOTAL) return "pinned bucket max must be < BUCKET_TOTAL";
  return undefined;
}

function emailViolation(c: Config): string | undefined {
  switch (c.EMAIL_TRANSPORT) {
    case "":
    case "stub":
      return undefined;
    case "smtp":
      if (c.SMTP_HOST.trim() === "") return "SMTP_HOST is required when EMAIL_TRANSPORT is 'smtp'";
      if (c.SMTP_PORT <= 0) return "SMTP_PORT must be > 0 when EMAIL_TRANSPORT is 'smtp'";
      return undefined;
    case "wpcom":
      if (c.WPCOM_EMAIL_ENDPOINT.trim() === "") {
        return "WPCOM_EMAIL_ENDPOINT is required when EMAIL_TRANSPORT is 'wpcom'";
      }
      return undefined;
    default:
      return "EMAIL_TRANSPORT must be one of: stub, smtp, wpcom";
  }
}

/** The email transport as operators see it ("" is stub), and whether it really sends mail (smtp, wpcom). */
export function emailTransportLabel(c: Pick<Config, "EMAIL_TRANSPORT">): {
  label: string;
  delivers: boolean;
} {
  const label = c.EMAIL_TRANSPORT === "" ? "stub" : c.EMAIL_TRANSPORT;
  return { label, delivers: label === "smtp" || label === "wpcom" };
}
