/**
 * Finds where JSON text is malformed, because JSON.parse in Bun does not say. Only called
 * after JSON.parse failed; returns undefined if this scanner finds nothing wrong.
 */
export interface JsonSyntaxError {
  line: number;
  column: number;
  message: string;
}

class Stop {
  constructor(
    readonly offset: number,
    readonly message: string,
  ) {}
}

export function locateJsonError(text: string): JsonSyntaxError | undefined {
  try {
    scan(text);
    return undefined;
  } catch (e) {
    if (!(e instanceof Stop)) throw e;
    const before = text.slice(0, e.offset);
    const line = before.split("\n").length;
    const column = e.offset - (before.lastIndexOf("\n") + 1) + 1;
    return { line, column, message: e.message };
  }
}

function scan(text: string): void {
  let i = 0;
  const describe = () =>
    i >= text.length ? "unexpected end of file" : `unexpected ${JSON.stringify(text.charAt(i))}`;
  const fail = (expected: string): never => {
    const hint = text.startsWith("//", i) || text.startsWith("/*", i) ? " (JSON has no comments)" : "";
    throw new Stop(i, `${describe()}, expected ${expected}${hint}`);
  };
  const ws = () => {
    while (i < text.length && " \t\n\r".includes(text.charAt(i))) i++;
  };
  const literal = (word: string) => {
    for (const ch of word) {
      if (text.charAt(i) !== ch) fail(`${JSON.stringify(word)}`);
      i++;
    }
  };
  const string = () => {
    i++; // opening quote
    for (;;) {
      if (i >= text.length) fail('a closing "');
      const ch = text.charAt(i);
      if (ch === '"') {
        i++;
        return;
      }
      if (ch.charCodeAt(0) < 0x20) fail('an escaped control character or a closing "');
      if (ch === "\\") {
        i++;
        const esc = text.charAt(i);
        if (esc === "u") {
          for (let k = 1; k <= 4; k++) {
            if (!/[0-9a-fA-F]/.test(text.charAt(i + k))) {
              i += k;
              fail("four hex digits after \\u");
            }
          }
          i += 5;
          continue;
        }
        if (esc === "" || !'"\\/bfnrt'.includes(esc)) fail("a valid escape after \\");
      }
      i++;
    }
  };
  const digits = () => {
    const start = i;
    while (i < text.length && text.charAt(i) >= "0" && text.charAt(i) <= "9") i++;
    if (i === start) fail("a digit");
  };
  const number = () => {
    if (text.charAt(i) === "-") i++;
    if (text.charAt(i) === "0") i++;
    else digits();
    if (text.charAt(i) === ".") {
      i++;
      digits();
    }
    if (text.charAt(i) === "e" || text.charAt(i) === "E") {
      i++;
      if (text.charAt(i) === "+" || text.charAt(i) === "-") i++;
      digits();
    }
  };
  const value = (): void => {
    ws();
    const ch = text.charAt(i);
    if (ch === "{") object();
    else if (ch === "[") array();
    else if (ch === '"') string();
    else if (ch === "-" || (ch >= "0" && ch <= "9")) number();
    else if (ch === "t") literal("true");
    else if (ch === "f") literal("false");
    else if (ch === "n") literal("null");
    else fail("a value");
  };
  const object = () => {
    i++;
    ws();
    if (text.charAt(i) === "}") {
      i++;
      return;
    }
    for (;;) {
      ws();
      if (text.charAt(i) !== '"')
        fail(text.charAt(i) === "}" ? "another key (no trailing comma)" : "a quoted key");
      string();
      ws();
      if (text.charAt(i) !== ":") fail('":"');
      i++;
      value();
      ws();
      if (text.charAt(i) === ",") {
        i++;
        continue;
      }
      if (text.charAt(i) === "}") {
        i++;
        return;
      }
      fail('"," or "}"');
    }
  };
  const array = () => {
    i++;
    ws();
    if (text.charAt(i) === "]") {
      i++;
      return;
    }
    for (;;) {
      ws();
      if (text.charAt(i) === "]") fail("another value (no trailing comma)");
      value();
      ws();
      if (text.charAt(i) === ",") {
        i++;
        continue;
      }
      if (text.charAt(i) === "]") {
        i++;
        return;
      }
      fail('"," or "]"');
    }
  };
  value();
  ws();
  if (i < text.length) fail("the end of the file");
}
