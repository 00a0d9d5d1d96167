/**
 * The API's JSON responses and error envelope (docs/reference/cli-rollout-api.md §3.6):
 * `application/json; charset=utf-8`, newline-terminated; errors are
 * `{"error":{"code","message","request_id"?}}`, request_id omitted when there is none.
 */

/** Every error code the API answers with, by HTTP status (docs/reference/cli-rollout-api.md §3.6, plus 405 and 413 of our own). */
export const ERROR_STATUS = {
  invalid_body: 400,
  invalid_limit: 400,
  invalid_cursor: 400,
  invalid_site_id: 400,
  invalid_event_id: 400,
  invalid_webhook_id: 400,
  invalid_alert_contact_id: 400,
  invalid_delivery_id: 400,
  invalid_blog_id: 400,
  invalid_url: 400,
  invalid_state_filter: 400,
  invalid_severity: 400,
  invalid_monitor_active: 400,
  invalid_active: 400,
  invalid_include_cli_metadata: 400,
  invalid_started_at__gte: 400,
  invalid_started_at__lt: 400,
  invalid_check_type_filter: 400,
  invalid_window: 400,
  invalid_status: 400,
  invalid_transport: 400,
  invalid_gateway_context: 400,
  missing_token: 401,
  invalid_token: 401,
  token_revoked: 401,
  token_expired: 401,
  insufficient_scope: 403,
  forbidden_gateway_context: 403,
  endpoint_not_found: 404,
  site_not_found: 404,
  event_not_found: 404,
  webhook_not_found: 404,
  alert_contact_not_found: 404,
  delivery_not_found: 404,
  method_not_allowed: 405,
  site_exists: 409,
  idempotency_conflict: 409,
  delivery_not_retryable: 409,
  body_too_large: 413,
  invalid_redirect_policy: 422,
  invalid_custom_headers: 422,
  invalid_field: 422,
  invalid_event_type: 422,
  invalid_alert_contact: 422,
  rate_limited: 429,
  db_error: 500,
  auth_error: 500,
  auth_state_missing: 500,
  internal_error: 500,
  db_unavailable: 503,
  transport_not_configured: 503,
} as const;

export type ErrorCode = keyof typeof ERROR_STATUS;

/** Thrown by handlers and helpers; the router turns it into the envelope. */
export class ApiError extends Error {
  readonly status: number;
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.status = ERROR_STATUS[code];
  }
}

const JSON_TYPE = "application/json; charset=utf-8";

/** A JSON response: one value and a trailing newline, as Go's encoder writes it. */
export function apiJson(status: number, value: unknown, headers: Record<string, string> = {}): Response {
  return new Response(`${JSON.stringify(value)}\n`, {
    status,
    headers: { "content-type": JSON_TYPE, "cache-control": "no-store", ...headers },
  });
}

/** 204 with no body. */
export function noContent(headers: Record<string, string> = {}): Response {
  return new Response(null, { status: 204, headers });
}

export function errorResponse(
  err: ApiError,
  requestId?: string,
  headers: Record<string, string> = {},
): Response {
  const body: { code: string; message: string; request_id?: string } = {
    code: err.code,
    message: err.message,
  };
  if (requestId) body.request_id = requestId;
  return apiJson(err.status, { error: body }, { ...err.headers, ...headers });
}

/** A list body: `{"data": [...], "page": {"next", "limit"}}`. */
export function listBody<T>(data: T[], next: string | null, limit: number) {
  return { data, page: { next, limit } };
}
