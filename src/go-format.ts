/** Text helpers shared by the gates: Go-style quoting and whitespace collapsing. */

/** Go's %q for the strings these commands print (ASCII and printable Unicode). */
export function goQuote(s: string): string {
  let out = '"';
  for (const ch of s) {
    const c = ch.codePointAt(0) ?? 0;
    if (ch === '"') out += '\\"';
    else if (ch === "\\") out += "\\\\";
    else if (ch === "\n") out += "\\n";
    else if (ch === "\r") out += "\\r";
    else if (ch === "\t") out += "\\t";
    else if (c < 0x20 || c === 0x7f) out += `\\x${c.toString(16).padStart(2, "0")}`;
    else if (c >= 0x80 && c < 0xa0) out += `\\u${c.toString(16).padStart(4, "0")}`;
    else out += ch;
  }
  return `${out}"`;
}

/** strings.Fields joined by single spaces. */
export function collapseWhitespace(s: string): string {
  return s.trim().split(/\s+/).filter(Boolean).join(" ");
}
