/** An error's message, or the thrown value as text: for logs and operator-facing error lines. */
export function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
