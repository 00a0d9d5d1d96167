import { expect, test } from "bun:test";
import { buildNotification, rfc3339Seconds } from "../../src/wpcom/payload.ts";

test("rfc3339Seconds drops milliseconds and keeps Z", () => {
  expect(rfc3339Seconds(new Date("2024-05-01T12:34:56.789Z"))).toBe("2024-05-01T12:34:56Z");
  expect(rfc3339Seconds(new Date(0))).toBe("1970-01-01T00:00:00Z");
});

test("buildNotification gives the exact §6.2 body, local check first", () => {
  const n = buildNotification({
    blogId: 42,
    monitorUrl: "https://example.com",
    statusId: 2,
    lastCheck: new Date("2024-05-01T12:00:00.500Z"),
    lastStatusChange: new Date("2024-05-01T12:00:01Z"),
    statusType: "server",
    local: { host: "mon-1", success: false, rttMs: 123.7, httpCode: 500 },
    verifiers: [
      { host: "v1", success: false, rttMs: 80, httpCode: 503 },
      { host: "v2", success: true, rttMs: 90, httpCode: 200 },
    ],
  });
  expect(JSON.stringify(n)).toBe(
    '{"blog_id":42,"monitor_url":"https://example.com","status_id":2,' +
      '"last_check":"2024-05-01T12:00:00Z","last_status_change":"2024-05-01T12:00:01Z",' +
      '"status_type":"server","checks":[' +
      '{"type":1,"host":"mon-1","status":0,"rtt":123,"code":500},' +
      '{"type":2,"host":"v1","status":0,"rtt":80,"code":503},' +
      '{"type":2,"host":"v2","status":1,"rtt":90,"code":200}]}',
  );
});

test("no verifiers gives only the local check", () => {
  const n = buildNotification({
    blogId: 1,
    monitorUrl: "http://a",
    statusId: 1,
    lastCheck: new Date(0),
    lastStatusChange: new Date(0),
    statusType: "success",
    local: { host: "h", success: true, rttMs: 5, httpCode: 200 },
  });
  expect(n.checks).toEqual([{ type: 1, host: "h", status: 1, rtt: 5, code: 200 }]);
});
