/**
 * An error's message (its name when the message is empty), or the thrown value as text: for
 * logs, stored `last_response` text and operator-facing error lines. drizzle wraps driver
 * errors as "Failed query: <sql>"; for those the cause says what went wrong.
 */
export function errorText(err: unknown): string {
  const e = err as { message?: unknown; name?: unknown; cause?: { message?: unknown } } | null | undefined;
  const own =
    err instanceof Error ? err.message || err.name : typeof e?.message === "string" ? e.message : String(err);
  const cause = e?.cause?.message;
  return typeof cause === "string" && cause !== "" && own.startsWith("Failed query") ? cause : own;
}

/** Go's wording for the OS errors an operator sees (`no such file or directory`, `connection refused`, ...). */
export function osErrorText(err: unknown): string {
  const e = err as { code?: unknown; message?: unknown; errors?: unknown[] };
  const byCode: Record<string, string> = {
    ENOENT: "no such file or directory",
    EACCES: "permission denied",
    EISDIR: "is a directory",
    ECONNREFUSED: "connection refused",
  };
  const known = typeof e?.code === "string" ? byCode[e.code] : undefined;
  if (known) return known;
  if (typeof e?.message === "string" && e.message !== "") return e.message;
  if (Array.isArray(e?.errors) && e.errors.length > 0) return osErrorText(e.errors[0]);
  if (typeof e?.code === "string") return e.code;
  return String(err);
}
