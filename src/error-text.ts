/**
 * An error's message, or the thrown value as text: for logs and operator-facing error lines.
 * drizzle wraps driver errors as `Failed query: <sql>`; then the server's own message (the
 * cause) is what says what went wrong.
 */
export function errorText(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const cause = (err as { cause?: unknown }).cause;
  if (err.message.startsWith("Failed query") && cause !== undefined && cause !== err) return errorText(cause);
  return err.message;
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
  if (typeof e?.code === "string" && byCode[e.code]) return byCode[e.code]!;
  if (typeof e?.message === "string" && e.message !== "") return e.message;
  if (Array.isArray(e?.errors) && e.errors.length > 0) return osErrorText(e.errors[0]);
  if (typeof e?.code === "string") return e.code;
  return String(err);
}
