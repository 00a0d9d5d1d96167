/**
 * Time bounds for the fleet view's queries. The view polls every few seconds; a query that
 * outlives its bound must neither stall the page nor keep a pooled connection (shared with the
 * monitor) busy, so the waiting side gives up at the bound and the statement is killed.
 */
import { errorText } from "../error-text.ts";
import { withTimeout } from "../timeout.ts";

/**
 * Runs `fn` with a signal that aborts after `ms`; rejects at the bound even if `fn` ignores the
 * signal. Errors read `<label>: <cause>` (the label is not repeated when the cause has it).
 */
export async function bounded<T>(
  label: string,
  ms: number,
  fn: (signal: AbortSignal) => Promise<T>,
): Promise<T> {
  try {
    return await withTimeout(ms, fn);
  } catch (err) {
    const text = errorText(err);
    throw new Error(text.startsWith(`${label}:`) ? text : `${label}: ${text}`);
  }
}
