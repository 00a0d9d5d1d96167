/**
 * Reads a site's `custom_headers` JSON column: outside input (any JSON; a string on MariaDB,
 * where JSON is LONGTEXT; already parsed when a driver decodes it). Empty, null or invalid JSON
 * means no headers; entries whose value is not a string are dropped (Go's decoder stops at the
 * first such value and keeps what it had; keeping every valid entry is the steadier rule).
 */
export function parseCustomHeaders(raw: unknown): Record<string, string> | undefined {
  let parsed = raw;
  if (typeof parsed === "string") {
    if (parsed.trim() === "") return undefined;
    try {
      parsed = JSON.parse(parsed);
    } catch {
      return undefined;
    }
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) return undefined;
  const headers: Record<string, string> = {};
  let count = 0;
  for (const [name, value] of Object.entries(parsed)) {
    if (typeof value === "string") {
      headers[name] = value;
      count++;
    }
  }
  return count > 0 ? headers : undefined;
}
