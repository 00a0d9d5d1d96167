/** The body bytes searched for a keyword (Go reads at most 1 MiB). */
export const KEYWORD_BODY_CAP = 1024 * 1024;

export interface KeywordScan {
  found: boolean;
  /** Body bytes consumed (at most the cap). */
  bytesRead: number;
  /** Set when reading stopped on an error before the keyword was found or the body ended. */
  readError?: unknown;
}

/**
 * Searches a byte stream for `keyword` (case-sensitive, UTF-8 bytes), stopping as soon as it
 * is found or `cap` bytes have been read. A match may span chunk boundaries: the last
 * `keyword.length - 1` bytes of what was read are kept and searched together with the next
 * chunk. The caller cancels the stream afterwards.
 */
export async function scanForKeyword(
  body: AsyncIterable<Uint8Array>,
  keyword: string,
  cap = KEYWORD_BODY_CAP,
): Promise<KeywordScan> {
  const needle = Buffer.from(keyword, "utf8");
  if (needle.length === 0) return { found: true, bytesRead: 0 };
  let carry: Buffer = Buffer.alloc(0);
  let bytesRead = 0;
  try {
    for await (const chunk of body) {
      const room = cap - bytesRead;
      const part = chunk.byteLength > room ? chunk.subarray(0, room) : chunk;
      bytesRead += part.byteLength;
      const window =
        carry.length === 0
          ? Buffer.from(part.buffer, part.byteOffset, part.byteLength)
          : Buffer.concat([carry, part]);
      if (window.indexOf(needle) !== -1) return { found: true, bytesRead };
      if (bytesRead >= cap) return { found: false, bytesRead };
      const keep = Math.min(needle.length - 1, window.length);
      carry = Buffer.from(window.subarray(window.length - keep));
    }
  } catch (err) {
    return { found: false, bytesRead, readError: err };
  }
  return { found: false, bytesRead };
}
