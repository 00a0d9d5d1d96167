import { describe, expect, test } from "bun:test";
import { CheckError } from "../../src/check/errors.ts";
import {
  decodeCheckBody,
  decodeCheckResponse,
  decodeStatus,
  fromWireRequest,
  fromWireResult,
  redirectPolicy,
  toWireRequest,
  toWireResult,
  WireDecodeError,
} from "../../src/veriflier/wire.ts";

describe("decodeCheckBody", () => {
  test("Go field names, in any letter case; missing fields are zero values", () => {
    const sites = decodeCheckBody(
      JSON.stringify({
        SITES: [
          {
            blogid: 42,
            url: "https://a.example",
            timeoutseconds: 7,
            KEYWORD: "jp",
            customheaders: { "X-A": "b" },
          },
          { BlogID: 43 },
          null,
        ],
      }),
    );
    expect(sites).toEqual([
      {
        BlogID: 42,
        URL: "https://a.example",
        TimeoutSeconds: 7,
        Keyword: "jp",
        CustomHeaders: { "X-A": "b" },
        RedirectPolicy: "",
        RequestID: "",
      },
      {
        BlogID: 43,
        URL: "",
        TimeoutSeconds: 0,
        Keyword: "",
        CustomHeaders: null,
        RedirectPolicy: "",
        RequestID: "",
      },
      {
        BlogID: 0,
        URL: "",
        TimeoutSeconds: 0,
        Keyword: "",
        CustomHeaders: null,
        RedirectPolicy: "",
        RequestID: "",
      },
    ]);
  });

  test("an exact key wins over a case-folded one", () => {
    const [a] = decodeCheckBody('{"sites":[{"url":"http://lower","URL":"http://exact"}]}');
    const [b] = decodeCheckBody('{"sites":[{"URL":"http://exact","url":"http://lower"}]}');
    expect(a?.URL).toBe("http://exact");
    expect(b?.URL).toBe("http://exact");
  });

  test("null values and unknown keys are ignored", () => {
    const [s] = decodeCheckBody('{"sites":[{"BlogID":1,"Keyword":null,"Extra":true}],"other":1}');
    expect(s).toMatchObject({ BlogID: 1, Keyword: "" });
  });

  test("no sites, or null sites, is an empty batch", () => {
    expect(decodeCheckBody("{}")).toEqual([]);
    expect(decodeCheckBody('{"sites":null}')).toEqual([]);
  });

  const bad: Array<[string, string]> = [
    ["not json", "JSON"],
    ["[]", "body: expected an object, got an array"],
    ['{"sites":{}}', "sites: expected an array, got {}"],
    ['{"sites":[5]}', "sites[0]: expected an object, got 5"],
    ['{"sites":[{"BlogID":"42"}]}', 'sites[0].BlogID: expected an integer, got "42"'],
    ['{"sites":[{},{"BlogID":1.5}]}', "sites[1].BlogID: expected an integer, got 1.5"],
    ['{"sites":[{"URL":5}]}', "sites[0].URL: expected a string, got 5"],
    [
      '{"sites":[{"CustomHeaders":{"a":1}}]}',
      'sites[0].CustomHeaders: expected an object of strings, got {"a":1}',
    ],
  ];
  for (const [body, message] of bad) {
    test(`rejects ${body}`, () => {
      expect(() => decodeCheckBody(body)).toThrow(WireDecodeError);
      expect(() => decodeCheckBody(body)).toThrow(message);
    });
  }
});

describe("responses", () => {
  test("decodeCheckResponse accepts any case and maps to camelCase", () => {
    const [r] = decodeCheckResponse(
      '{"results":[{"blogid":77,"url":"u","host":"h","success":true,"httpcode":200,"errorcode":0,"rttms":12,"requestid":"abc"}]}',
    );
    expect(fromWireResult(r!)).toEqual({
      blogId: 77,
      url: "u",
      host: "h",
      success: true,
      httpCode: 200,
      errorCode: CheckError.None,
      rttMs: 12,
      requestId: "abc",
    });
  });

  test("decodeStatus tolerates junk", () => {
    expect(decodeStatus('{"status":"OK","version":"1.0"}')).toEqual({ status: "OK", version: "1.0" });
    expect(decodeStatus('{"Version":"2"}')).toEqual({ status: "", version: "2" });
    expect(decodeStatus("nope")).toEqual({ status: "", version: "" });
    expect(decodeStatus('{"version":5}')).toEqual({ status: "", version: "" });
  });
});

describe("mapping", () => {
  test("toWireRequest emits exactly the Go names", () => {
    const w = toWireRequest(
      {
        blogId: 1,
        url: "http://x",
        timeoutSeconds: 10,
        keyword: null,
        redirectPolicy: "fail",
        customHeaders: {},
      },
      "id1",
    );
    expect(Object.keys(w)).toEqual([
      "BlogID",
      "URL",
      "TimeoutSeconds",
      "Keyword",
      "CustomHeaders",
      "RedirectPolicy",
      "RequestID",
    ]);
    expect(w).toMatchObject({ Keyword: "", CustomHeaders: null, RedirectPolicy: "fail", RequestID: "id1" });
  });

  test("forbidden rules travel as ForbiddenKeywords only when there are some", () => {
    const base = { blogId: 5, url: "http://x", timeoutSeconds: 3, redirectPolicy: "follow" as const };
    const w = toWireRequest({ ...base, forbidden: ["casino", "HACKED"] }, "id2");
    expect(w.ForbiddenKeywords).toEqual(["casino", "HACKED"]);
    expect("ForbiddenKeywords" in toWireRequest({ ...base, forbidden: [] }, "id3")).toBe(false);
    const [back] = decodeCheckBody(JSON.stringify({ sites: [w] }));
    expect(fromWireRequest(back!).forbidden).toEqual(["casino", "HACKED"]);
    expect(() => decodeCheckBody('{"sites":[{"ForbiddenKeywords":"casino"}]}')).toThrow(
      'sites[0].ForbiddenKeywords: expected an array of strings, got "casino"',
    );
  });

  test("fromWireRequest: empty keyword is none; headers null is none", () => {
    const [w] = decodeCheckBody('{"sites":[{"BlogID":5,"URL":"http://x","RedirectPolicy":"alert"}]}');
    expect(fromWireRequest(w!)).toEqual({
      blogId: 5,
      url: "http://x",
      timeoutSeconds: 0,
      keyword: null,
      customHeaders: undefined,
      redirectPolicy: "alert",
    });
  });

  test("toWireResult echoes the request's URL and id and sets Host", () => {
    const [w] = decodeCheckBody('{"sites":[{"BlogID":5,"URL":"http://x","RequestID":"r"}]}');
    const out = toWireResult(
      w!,
      {
        blogId: 5,
        url: "http://x",
        httpCode: 500,
        errorCode: CheckError.None,
        success: false,
        rttMs: 9,
        dnsMs: 0,
        tcpMs: 0,
        tlsMs: 0,
        ttfbMs: 0,
        sslExpiry: null,
        checkedAt: new Date(),
      },
      "verifier-1",
    );
    expect(out).toEqual({
      BlogID: 5,
      URL: "http://x",
      Host: "verifier-1",
      Success: false,
      HTTPCode: 500,
      ErrorCode: 0,
      RTTMs: 9,
      RequestID: "r",
    });
  });

  test("redirect policy: unknown or empty is follow", () => {
    expect(["", "follow", "alert", "fail", "FAIL", "whatever"].map(redirectPolicy)).toEqual([
      "follow",
      "follow",
      "alert",
      "fail",
      "fail",
      "follow",
    ]);
  });
});
