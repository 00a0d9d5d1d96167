/**
 * JSON text in the normal form MySQL 8 gives a JSON column when it is read back: object keys
 * ordered by byte length and then bytewise, `", "` and `": "` separators. MariaDB stores JSON
 * text verbatim, so text written in this form reads back byte for byte on both servers; that
 * is what lets the bytes stored, signed and sent be one and the same (docs/design.md defect 10).
 */

export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

function compareKeys(a: string, b: string): number {
  const ba = Buffer.from(a, "utf8");
  const bb = Buffer.from(b, "utf8");
  if (ba.length !== bb.length) return ba.length - bb.length;
  return Buffer.compare(ba, bb);
}

export function mysqlJsonText(v: JsonValue): string {
  if (v === null || typeof v === "boolean" || typeof v === "string") return JSON.stringify(v);
  if (typeof v === "number") {
    if (!Number.isFinite(v)) throw new Error(`JSON cannot hold the number ${v}`);
    return JSON.stringify(v);
  }
  if (Array.isArray(v)) return `[${v.map(mysqlJsonText).join(", ")}]`;
  const entries = Object.entries(v).sort(([a], [b]) => compareKeys(a, b));
  return `{${entries.map(([k, x]) => `${JSON.stringify(k)}: ${mysqlJsonText(x)}`).join(", ")}}`;
}
