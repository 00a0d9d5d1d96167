/** Response helpers shared by the host and fleet dashboards: no-store plus the security headers of docs/reference/dashboard-fleethealth.md §1.3. */
const READ_HEADERS: Readonly<Record<string, string>> = {
  "cache-control": "no-store",
  "content-security-policy":
    "default-src 'self'; base-uri 'none'; connect-src 'self'; form-action 'none'; frame-ancestors 'none'; " +
    "object-src 'none'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'",
  "referrer-policy": "no-referrer",
  "x-content-type-options": "nosniff",
  "x-frame-options": "DENY",
};

export function textResponse(status: number, body: string, extra: Record<string, string> = {}): Response {
  return new Response(body, {
    status,
    headers: { ...READ_HEADERS, "content-type": "text/plain; charset=utf-8", ...extra },
  });
}

const JSON_HEADERS = { ...READ_HEADERS, "content-type": "application/json" };
const HTML_HEADERS = { ...READ_HEADERS, "content-type": "text/html; charset=utf-8" };

/** JSON as Go wrote it: one value and a trailing newline. */
export function jsonResponse(value: unknown): Response {
  return new Response(`${JSON.stringify(value)}\n`, { headers: JSON_HEADERS });
}

export function htmlResponse(page: string): Response {
  return new Response(page, { headers: HTML_HEADERS });
}
