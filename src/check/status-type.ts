import { CheckError } from "./errors.ts";

/** The failure class of a result (docs/reference/monitor-core.md §2.1 `StatusType`), used in metric names. */
export type StatusType = "success" | "https" | "intermittent" | "redirect" | "blocked" | "server" | "client";

/**
 * First match wins: success; SSL or TLSExpired; timeout; redirect; 403; 5xx; 4xx; otherwise
 * intermittent (so connect failures and keyword misses on a 200 are intermittent).
 */
export function statusType(result: {
  success: boolean;
  errorCode: CheckError;
  httpCode: number;
}): StatusType {
  if (result.success) return "success";
  if (result.errorCode === CheckError.SSL || result.errorCode === CheckError.TLSExpired) return "https";
  if (result.errorCode === CheckError.Timeout) return "intermittent";
  if (result.errorCode === CheckError.Redirect) return "redirect";
  if (result.httpCode === 403) return "blocked";
  if (result.httpCode >= 500) return "server";
  if (result.httpCode >= 400) return "client";
  return "intermittent";
}
