import { expect, test } from "bun:test";
import { parseCustomHeaders } from "../../src/check/custom-headers.ts";

// Reference monitor-core §2.5, ParseCustomHeaders.
const cases: Array<[string | null | undefined, Record<string, string> | undefined]> = [
  [null, undefined],
  [undefined, undefined],
  ["", undefined],
  ["not json", undefined],
  ["[1,2]", undefined],
  ['"text"', undefined],
  ["{}", undefined],
  ['{"X-Foo":"bar","X-Baz":"qux"}', { "X-Foo": "bar", "X-Baz": "qux" }],
  ['{"X-Foo":"bar","X-Num":5,"X-Null":null}', { "X-Foo": "bar" }],
];
for (const [raw, want] of cases) {
  test(JSON.stringify(raw), () => expect(parseCustomHeaders(raw)).toEqual(want));
}

test("an object a driver already decoded is read the same way", () => {
  expect(parseCustomHeaders({ "X-A": "1", n: 2 })).toEqual({ "X-A": "1" });
  expect(parseCustomHeaders(["X-A"])).toBeUndefined();
  expect(parseCustomHeaders(null)).toBeUndefined();
});
