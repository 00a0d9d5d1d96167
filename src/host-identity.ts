import { hostname as osHostname } from "node:os";

/**
 * Who this host is, for every mode and subcommand: JETMON_HOSTNAME when set (trimmed), else the
 * OS hostname, else "unknown". Bucket claims, heartbeat rows, delivery ownership, the rollout
 * gates and validate-config all ask here, so they agree about the host.
 */
export function hostIdentity(env: Record<string, string | undefined>, os: () => string = osHostname): string {
  return env.JETMON_HOSTNAME?.trim() || os().trim() || "unknown";
}
