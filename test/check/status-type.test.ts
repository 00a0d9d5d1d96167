import { expect, test } from "bun:test";
import { CheckError } from "../../src/check/errors.ts";
import { type StatusType, statusType } from "../../src/check/status-type.ts";

// Reference monitor-core §2.5, StatusType table.
const cases: Array<[string, boolean, CheckError, number, StatusType]> = [
  ["success", true, CheckError.None, 200, "success"],
  ["success with a deprecated TLS advisory", true, CheckError.TLSDeprecated, 200, "success"],
  ["SSL", false, CheckError.SSL, 0, "https"],
  ["TLS expired", false, CheckError.TLSExpired, 0, "https"],
  ["timeout", false, CheckError.Timeout, 0, "intermittent"],
  ["redirect", false, CheckError.Redirect, 0, "redirect"],
  ["403", false, CheckError.None, 403, "blocked"],
  ["500", false, CheckError.None, 500, "server"],
  ["503", false, CheckError.None, 503, "server"],
  ["400", false, CheckError.None, 400, "client"],
  ["404", false, CheckError.None, 404, "client"],
  ["connect", false, CheckError.Connect, 0, "intermittent"],
  ["keyword miss on a 200", false, CheckError.Keyword, 200, "intermittent"],
];
for (const [label, success, errorCode, httpCode, want] of cases) {
  test(label, () => expect(statusType({ success, errorCode, httpCode })).toBe(want));
}
