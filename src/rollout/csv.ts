/**
 * A CSV reader with the settings the static plan uses in Go (encoding/csv with
 * FieldsPerRecord=-1, TrimLeadingSpace=true): RFC 4180 quoting, variable field counts,
 * empty lines skipped, errors worded like Go's ParseError.
 */

export class CsvError extends Error {}

const QUOTE = 'extraneous or missing " in quoted-field';

function parseError(recordLine: number, line: number, column: number, what: string): CsvError {
  const where = recordLine === line ? "" : `record on line ${recordLine}; `;
  return new CsvError(`${where}parse error on line ${line}, column ${column}: ${what}`);
}

export function readCsv(text: string): string[][] {
  const records: string[][] = [];
  const src = text.replace(/\r\n/g, "\n");
  let pos = 0;
  let line = 1;
  while (pos < src.length) {
    if (src[pos] === "\n") {
      pos++;
      line++;
      continue;
    }
    const recordLine = line;
    const fields: string[] = [];
    let lineStart = pos;
    for (;;) {
      while (src[pos] === " " || src[pos] === "\t") pos++;
      if (src[pos] === '"') {
        pos++;
        let field = "";
        for (;;) {
          if (pos >= src.length) throw parseError(recordLine, line, pos - lineStart + 1, QUOTE);
          const ch = src.charAt(pos);
          if (ch === '"') {
            if (src[pos + 1] === '"') {
              field += '"';
              pos += 2;
              continue;
            }
            pos++;
            break;
          }
          if (ch === "\n") {
            line++;
            lineStart = pos + 1;
          }
          field += ch;
          pos++;
        }
        if (pos < src.length && src[pos] !== "," && src[pos] !== "\n") {
          throw parseError(recordLine, line, pos - lineStart + 1, QUOTE);
        }
        fields.push(field);
      } else {
        let end = pos;
        while (end < src.length && src[end] !== "," && src[end] !== "\n") end++;
        const field = src.slice(pos, end);
        const bare = field.indexOf('"');
        if (bare >= 0)
          throw parseError(recordLine, line, pos - lineStart + bare + 1, 'bare " in non-quoted-field');
        fields.push(field);
        pos = end;
      }
      if (pos < src.length && src[pos] === ",") {
        pos++;
        continue;
      }
      break;
    }
    records.push(fields);
    if (pos < src.length && src[pos] === "\n") {
      pos++;
      line++;
    }
  }
  return records;
}
