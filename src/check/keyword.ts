/** The body bytes searched for a keyword (Go reads at most 1 MiB), and read to detect truncation. */
export const KEYWORD_BODY_CAP = 1024 * 1024;

export interface BodyRules {
  /** Must appear (check_keyword); null/"" = no rule. */
  required?: string | null;
  /** Must not appear (forbidden_keyword, forbidden_keywords); empty strings are ignored. */
  forbidden: readonly string[];
  cap?: number;
  /**
   * Keep reading after every rule is decided, to the end of the body or the cap, so a body
   * cut short is seen (TruncatedBody). Off: stop as soon as nothing more can change.
   */
  readToEnd: boolean;
}

export interface BodyScan {
  /** True when there was no required keyword, or it was found. */
  requiredFound: boolean;
  /** The first forbidden rule (in list order) found in the body, else null. */
  forbiddenMatch: string | null;
  bytesRead: number;
  /** The body ended (its last byte arrived) within the cap. */
  ended: boolean;
  /** The read failed (reset, close before the end, abort) after `bytesRead` bytes. */
  readError?: unknown;
}

/**
 * Reads a byte stream once, testing each rule as a case-sensitive substring of the UTF-8 bytes.
 * A match may span chunk boundaries: the last `longest - 1` bytes read are kept and searched
 * together with the next chunk.
 */
export async function scanBody(body: AsyncIterable<Uint8Array>, rules: BodyRules): Promise<BodyScan> {
  const cap = rules.cap ?? KEYWORD_BODY_CAP;
  const required = rules.required ? Buffer.from(rules.required, "utf8") : null;
  const forbidden = rules.forbidden
    .filter((f) => f.length > 0)
    .map((f) => ({ rule: f, bytes: Buffer.from(f, "utf8") }));
  const longest = Math.max(required?.length ?? 0, ...forbidden.map((f) => f.bytes.length), 1);
  const out: BodyScan = {
    requiredFound: required === null,
    forbiddenMatch: null,
    bytesRead: 0,
    ended: false,
  };
  const decided = () => out.requiredFound && (out.forbiddenMatch !== null || forbidden.length === 0);
  if (decided() && !rules.readToEnd) return out;
  let carry: Buffer = Buffer.alloc(0);
  try {
    for await (const chunk of body) {
      const room = cap - out.bytesRead;
      const part = chunk.byteLength > room ? chunk.subarray(0, room) : chunk;
      out.bytesRead += part.byteLength;
      if (!decided()) {
        const window =
          carry.length === 0
            ? Buffer.from(part.buffer, part.byteOffset, part.byteLength)
            : Buffer.concat([carry, part]);
        if (required && !out.requiredFound && window.indexOf(required) !== -1) out.requiredFound = true;
        if (out.forbiddenMatch === null) {
          for (const f of forbidden) {
            if (window.indexOf(f.bytes) !== -1) {
              out.forbiddenMatch = f.rule;
              break;
            }
          }
        }
        const keep = Math.min(longest - 1, window.length);
        carry = Buffer.from(window.subarray(window.length - keep));
      }
      if (decided() && !rules.readToEnd) return out;
      if (out.bytesRead >= cap) return out;
    }
  } catch (err) {
    out.readError = err;
    return out;
  }
  out.ended = true;
  return out;
}
