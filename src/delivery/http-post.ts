/**
 * The JSON POST the alert transports share (docs/reference/deliverer.md §4.6): read at most 4096 response bytes,
 * trim, keep 2048. Only a 2xx is success.
 */
import { errorText } from "../error-text.ts";
import type { SendResult } from "./notification.ts";
import { truncateBytes } from "./queue.ts";

export type FetchFn = (input: string | URL | Request, init?: RequestInit) => Promise<Response>;

/** Reads up to `max` bytes of a body, then lets the rest go. */
export async function readBodyPrefix(res: Response, max: number): Promise<string> {
  if (!res.body) return "";
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    while (size < max) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      size += value.byteLength;
    }
  } finally {
    reader.cancel().catch(() => {});
  }
  return truncateBytes(Buffer.concat(chunks).toString("utf8"), max);
}

/**
 * Webhooks and alert transports never follow a redirect (issue 15): a receiver answering 3xx
 * would otherwise get the signed payload delivered wherever it points. The 3xx is a failed
 * attempt with its status recorded; this says where it pointed.
 */
export const NO_REDIRECTS = { redirect: "manual" } as const;

export function redirectText(res: Response): string | null {
  if (res.status < 300 || res.status > 399) return null;
  const to = res.headers.get("location");
  return `redirect not followed (status ${res.status}${to ? `, location ${to}` : ""})`;
}

/** Why a fetch failed, in words an operator can act on. */
export function fetchErrorText(err: unknown, timeoutMs: number): string {
  const name = (err as { name?: string })?.name;
  if (name === "TimeoutError" || name === "AbortError") return `timeout after ${timeoutMs}ms`;
  const code = (err as { code?: string })?.code;
  const msg = errorText(err);
  return code && !msg.includes(code) ? `${code}: ${msg}` : msg;
}

export async function postJson(
  fetchFn: FetchFn,
  url: string,
  body: unknown,
  o: { timeoutMs: number; signal?: AbortSignal; headers?: Record<string, string> },
): Promise<SendResult> {
  const signals = [AbortSignal.timeout(o.timeoutMs)];
  if (o.signal) signals.push(o.signal);
  let res: Response;
  try {
    res = await fetchFn(url, {
      method: "POST",
      headers: { "Content-Type": "application/json", ...o.headers },
      body: JSON.stringify(body),
      signal: AbortSignal.any(signals),
      ...NO_REDIRECTS,
    });
  } catch (err) {
    return { ok: false, statusCode: 0, body: "", error: `post: ${fetchErrorText(err, o.timeoutMs)}` };
  }
  let text = "";
  try {
    text = truncateBytes((await readBodyPrefix(res, 4096)).trim(), 2048);
  } catch {
    // The status is what matters; a body cut short by the peer is not a failure.
  }
  if (res.status < 200 || res.status > 299) {
    return {
      ok: false,
      statusCode: res.status,
      body: text,
      error: redirectText(res) ?? `status ${res.status}`,
    };
  }
  return { ok: true, statusCode: res.status, body: text };
}
