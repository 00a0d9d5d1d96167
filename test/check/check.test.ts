import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { X509Certificate } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { checkSite } from "../../src/check/check.ts";
import { CheckError, isFailedResult } from "../../src/check/errors.ts";
import { TlsInfoCache } from "../../src/check/tls-probe.ts";
import type { CheckRequest } from "../../src/check/types.ts";
import { CHECK_USER_AGENT, USER_AGENT } from "../../src/version.ts";
import { type SiteFixture, startSiteFixture } from "../support/sites.ts";

const VALID_FINGERPRINT = new X509Certificate(
  readFileSync(join(import.meta.dir, "../support/certs/valid.pem")),
).fingerprint256;

let sites: SiteFixture;
beforeAll(async () => {
  sites = await startSiteFixture({ addresses: 3 });
});
afterAll(async () => {
  await sites.stop();
});

let n = 0;
/** A fresh site with the behaviour; returns its name. */
function site(
  behaviour: Parameters<SiteFixture["set"]>[1],
  opts?: Parameters<SiteFixture["set"]>[2],
): string {
  const name = `site-${n++}`;
  sites.set(name, behaviour, opts);
  return name;
}

function req(url: string, extra: Partial<CheckRequest> = {}): CheckRequest {
  return { blogId: 42, url, timeoutSeconds: 5, redirectPolicy: "follow", ...extra };
}

const check = (r: CheckRequest, opts: Parameters<typeof checkSite>[1] = {}) =>
  checkSite(r, { ca: sites.ca, ...opts });

describe("HTTP status", () => {
  test("200 is success, with the request echoed and timings", async () => {
    const name = site({ kind: "ok" });
    const at = Date.UTC(2026, 0, 2, 3, 4, 5);
    const r = await check(req(sites.url(name)), { now: () => at });
    expect(r).toMatchObject({ blogId: 42, url: sites.url(name), httpCode: 200, errorCode: 0, success: true });
    expect(r.checkedAt.getTime()).toBe(at);
    expect(r.rttMs).toBeGreaterThanOrEqual(r.ttfbMs);
    expect(r.sslExpiry).toBeNull();
    expect(isFailedResult(r)).toBe(false);
  });

  test("500 fails with the code kept and no error code", async () => {
    const r = await check(req(sites.url(site({ kind: "status", status: 500 }))));
    expect(r).toMatchObject({ httpCode: 500, errorCode: CheckError.None, success: false });
  });

  test("404 and 403 fail", async () => {
    for (const status of [404, 403]) {
      const r = await check(req(sites.url(site({ kind: "status", status }))));
      expect(r).toMatchObject({ httpCode: status, success: false });
    }
  });

  test("a slow answer inside the timeout succeeds", async () => {
    const r = await check(req(sites.url(site({ kind: "slow", ms: 150 }))));
    expect(r.success).toBe(true);
    expect(r.ttfbMs).toBeGreaterThanOrEqual(140);
  });

  test("behaviour switches while running", async () => {
    const name = site({ kind: "ok" });
    expect((await check(req(sites.url(name)))).success).toBe(true);
    sites.set(name, { kind: "status", status: 503 });
    expect((await check(req(sites.url(name)))).httpCode).toBe(503);
    expect(sites.hits(name)).toBe(2);
  });
});

describe("timeouts and connection failures", () => {
  test("no answer before the timeout is Timeout", async () => {
    const r = await check(req(sites.url(site({ kind: "hang" })), { timeoutSeconds: 0.3 }));
    expect(r).toMatchObject({ httpCode: 0, errorCode: CheckError.Timeout, success: false });
  });

  test("a body that stalls past the timeout after the headers is TruncatedBody, keeping the status", async () => {
    const r = await check(
      req(sites.url(site({ kind: "stall", body: "partial" })), { timeoutSeconds: 0.3, keyword: "jetpack" }),
    );
    expect(r).toMatchObject({
      httpCode: 200,
      errorCode: CheckError.TruncatedBody,
      errorDetail: "body stalled past the timeout",
      success: false,
    });
    // Without a keyword too: the body is always read to its end (up to 1 MiB).
    const plain = await check(
      req(sites.url(site({ kind: "stall", body: "partial" })), { timeoutSeconds: 0.3 }),
    );
    expect(plain).toMatchObject({ httpCode: 200, errorCode: CheckError.TruncatedBody, success: false });
  });

  test("Content-Length short by N bytes, then close: TruncatedBody, even with the keyword already read", async () => {
    const body = `<html>${"x".repeat(100)} jetpack`;
    for (const short of [1, 900]) {
      const r = await check(req(sites.url(site({ kind: "short", body, short })), { keyword: "jetpack" }));
      expect(r).toMatchObject({ httpCode: 200, errorCode: CheckError.TruncatedBody, success: false });
      expect(r.errorDetail).toBe("ECONNRESET");
    }
  });

  test("a chunked body that ends without its last chunk is TruncatedBody", async () => {
    const r = await check(req(sites.url(site({ kind: "chunked-cut", body: "a".repeat(100) }))));
    expect(r).toMatchObject({ httpCode: 200, errorCode: CheckError.TruncatedBody, success: false });
  });

  test("a complete body passes; a failing status is not read for truncation", async () => {
    expect(await check(req(sites.url(site({ kind: "ok", body: "all of it" }))))).toMatchObject({
      success: true,
      errorCode: CheckError.None,
    });
    const r = await check(req(sites.url(site({ kind: "status", status: 500 }))));
    expect(r).toMatchObject({ httpCode: 500, errorCode: CheckError.None, success: false });
  });

  test("connection reset is Connect", async () => {
    const r = await check(req(sites.url(site({ kind: "reset" }))));
    expect(r).toMatchObject({ httpCode: 0, errorCode: CheckError.Connect, errorDetail: "ECONNRESET" });
  });

  test("a closed port is Connect, with phase times never negative", async () => {
    const r = await check(req("http://127.0.0.1:1/"));
    expect(r).toMatchObject({ errorCode: CheckError.Connect, errorDetail: "ECONNREFUSED", success: false });
    for (const t of [r.dnsMs, r.tcpMs, r.tlsMs, r.rttMs, r.ttfbMs]) expect(t).toBeGreaterThanOrEqual(0);
  });

  test("DNS failure is Connect", async () => {
    // .invalid never resolves (RFC 6761); a long timeout keeps a slow resolver from turning it into Timeout.
    const r = await check(req("http://no-such-host.invalid/", { timeoutSeconds: 20 }));
    expect(r).toMatchObject({ errorCode: CheckError.Connect, success: false });
  });

  test("a malformed URL is Connect with RTT 0", async () => {
    const r = await check(req("://invalid-url"));
    expect(r).toMatchObject({ errorCode: CheckError.Connect, errorDetail: "ERR_INVALID_URL", rttMs: 0 });
  });

  test("a non-HTTP scheme is Connect", async () => {
    expect((await check(req("ftp://127.0.0.1/"))).errorCode).toBe(CheckError.Connect);
  });

  test("an invalid custom header is Connect, not a throw", async () => {
    const r = await check(req(sites.url(site({ kind: "ok" })), { customHeaders: { "bad header": "x" } }));
    expect(r).toMatchObject({ errorCode: CheckError.Connect, errorDetail: "ERR_INVALID_HEADER" });
  });

  test("errors from the fetch function are classified by code", async () => {
    const fakeFetch = (async () => {
      throw Object.assign(new TypeError("certificate redirect tls"), { code: "EAI_AGAIN" });
    }) as unknown as typeof fetch;
    const r = await check(req("http://example.test/"), { fetch: fakeFetch });
    expect(r).toMatchObject({ errorCode: CheckError.Connect, errorDetail: "EAI_AGAIN" });
  });

  test("never throws, whatever the fetch function does", async () => {
    const weird = (() => {
      throw "not an error";
    }) as unknown as typeof fetch;
    const r = await check(req("http://example.test/"), { fetch: weird });
    expect(r.success).toBe(false);
    expect(r.errorCode).toBe(CheckError.Connect);
  });
});

describe("keyword", () => {
  test("present is success; absent is Keyword with the status kept", async () => {
    const yes = await check(
      req(sites.url(site({ kind: "ok", body: "<p>jetpack</p>" })), { keyword: "jetpack" }),
    );
    expect(yes.success).toBe(true);
    const no = await check(
      req(sites.url(site({ kind: "ok", body: "<p>nothing</p>" })), { keyword: "jetpack" }),
    );
    expect(no).toMatchObject({ httpCode: 200, errorCode: CheckError.Keyword, success: false });
  });

  test("case-sensitive", async () => {
    const r = await check(req(sites.url(site({ kind: "ok", body: "JETPACK" })), { keyword: "jetpack" }));
    expect(r.errorCode).toBe(CheckError.Keyword);
  });

  test("an empty or null keyword means no keyword check", async () => {
    for (const keyword of ["", null]) {
      const r = await check(req(sites.url(site({ kind: "ok", body: "x" })), { keyword }));
      expect(r.success).toBe(true);
    }
  });

  const MiB = 1024 * 1024;
  test("only the first 1 MiB is searched", async () => {
    const ending = site({ kind: "body", size: 2 * MiB, keyword: "jetpack", at: MiB - 7 });
    expect((await check(req(sites.url(ending), { keyword: "jetpack" }))).success).toBe(true);
    const straddling = site({ kind: "body", size: 2 * MiB, keyword: "jetpack", at: MiB - 6 });
    expect((await check(req(sites.url(straddling), { keyword: "jetpack" }))).errorCode).toBe(
      CheckError.Keyword,
    );
    const beyond = site({ kind: "body", size: 2 * MiB, keyword: "jetpack", at: MiB + 100 });
    expect((await check(req(sites.url(beyond), { keyword: "jetpack" }))).errorCode).toBe(CheckError.Keyword);
  });

  test("reading stops at the keyword and at the cap, not at the end of a huge body", async () => {
    const size = 256 * MiB;
    const early = site({ kind: "body", size, keyword: "jetpack", at: 1000 });
    expect((await check(req(sites.url(early), { keyword: "jetpack" }))).success).toBe(true);
    const missing = site({ kind: "body", size });
    expect((await check(req(sites.url(missing), { keyword: "jetpack" }))).errorCode).toBe(CheckError.Keyword);
    await Bun.sleep(20);
    expect(sites.bytesSent(early)).toBeLessThan(size / 4);
    expect(sites.bytesSent(missing)).toBeLessThan(size / 4);
  });

  test("forbidden content fails with Keyword and names the rule; list order decides which", async () => {
    const body = "<p>welcome</p><script src=//evil.example/x.js></script> HACKED BY x";
    const one = await check(req(sites.url(site({ kind: "ok", body })), { forbidden: ["HACKED BY"] }));
    expect(one).toMatchObject({
      httpCode: 200,
      errorCode: CheckError.Keyword,
      errorDetail: "forbidden keyword found",
      forbiddenMatch: "HACKED BY",
      success: false,
    });
    const list = await check(
      req(sites.url(site({ kind: "ok", body })), {
        forbidden: ["casino", "evil.example", "HACKED BY"],
        keyword: "welcome",
      }),
    );
    expect(list).toMatchObject({ errorCode: CheckError.Keyword, forbiddenMatch: "evil.example" });
    const clean = await check(
      req(sites.url(site({ kind: "ok", body: "<p>fine</p>" })), { forbidden: ["casino", ""] }),
    );
    expect(clean).toMatchObject({ success: true, errorCode: CheckError.None });
    expect(clean.forbiddenMatch).toBeUndefined();
    // Case-sensitive like check_keyword, and found across chunk boundaries.
    const MiB = 1024 * 1024;
    const spanning = site({ kind: "body", size: 200_000, keyword: "ransom note", at: 65_530, chunk: 65_536 });
    expect(
      (await check(req(sites.url(spanning), { forbidden: ["RANSOM", "ransom note"] }))).forbiddenMatch,
    ).toBe("ransom note");
    const late = site({ kind: "body", size: 2 * MiB, keyword: "casino", at: MiB + 10 });
    expect((await check(req(sites.url(late), { forbidden: ["casino"] }))).success).toBe(true);
  });

  test("no keyword: the body is read only to the 1 MiB cap", async () => {
    const size = 256 * 1024 * 1024;
    const name = site({ kind: "body", size });
    expect((await check(req(sites.url(name)))).success).toBe(true);
    await Bun.sleep(20);
    expect(sites.bytesSent(name)).toBeLessThan(size / 4);
  });
});

describe("redirects", () => {
  test("follow: up to 10 redirects are followed", async () => {
    const name = site({ kind: "redirect", hops: 10 });
    const r = await check(req(sites.url(name)));
    expect(r).toMatchObject({ httpCode: 200, success: true, redirects: 10 });
    expect(sites.hits(name)).toBe(11);
  });

  test("follow: the 11th redirect is Redirect with HTTP code 0", async () => {
    const r = await check(req(sites.url(site({ kind: "redirect", hops: 11 }))));
    expect(r).toMatchObject({ httpCode: 0, errorCode: CheckError.Redirect, success: false });
  });

  test("fail: the first redirect is Redirect", async () => {
    const name = site({ kind: "redirect", hops: 1, status: 301 });
    const r = await check(req(sites.url(name), { redirectPolicy: "fail" }));
    expect(r).toMatchObject({ httpCode: 0, errorCode: CheckError.Redirect, success: false });
    expect(sites.hits(name)).toBe(1);
  });

  test("alert: follows and reports the redirects", async () => {
    const r = await check(
      req(sites.url(site({ kind: "redirect", hops: 2, status: 307 })), { redirectPolicy: "alert" }),
    );
    expect(r).toMatchObject({ httpCode: 200, success: true, errorCode: 0, redirects: 2 });
  });

  test("the final status and keyword are the last hop's", async () => {
    const target = site({ kind: "ok", body: "jetpack here" });
    const r = await check(
      req(sites.url(site({ kind: "redirect", hops: 2, to: target })), { keyword: "jetpack" }),
    );
    expect(r).toMatchObject({ httpCode: 200, success: true, redirects: 2 });
    expect(sites.hits(target)).toBe(1);
  });

  test("a 3xx without Location is a final answer", async () => {
    const r = await check(req(sites.url(site({ kind: "status", status: 302 }))));
    expect(r).toMatchObject({ httpCode: 302, success: true, errorCode: 0 });
  });

  test("credentials are not sent to another host; other custom headers are", async () => {
    const target = site({ kind: "ok" });
    site({ kind: "ok" }); // make sure the next site lands on another loopback address
    const from = site({ kind: "redirect", hops: 1, to: target });
    expect(new URL(sites.url(from)).hostname).not.toBe(new URL(sites.url(target)).hostname);
    await check(
      req(sites.url(from), { customHeaders: { Authorization: "Bearer s3cret", "X-Custom-Test": "hi" } }),
    );
    expect(sites.lastHeaders(from).authorization).toBe("Bearer s3cret");
    expect(sites.lastHeaders(target).authorization).toBeUndefined();
    expect(sites.lastHeaders(target)["x-custom-test"]).toBe("hi");
  });
});

describe("headers", () => {
  test("the user agent is Go's, which site firewalls allowlist; custom headers reach the server", async () => {
    const name = site({ kind: "ok" });
    await check(req(sites.url(name), { customHeaders: { "X-Custom-Test": "hello" } }));
    const h = sites.lastHeaders(name);
    expect(h["user-agent"]).toBe("jetmon/2.0 (Jetpack Site Uptime Monitor by WordPress.com)");
    expect(h["user-agent"]).toBe(CHECK_USER_AGENT);
    expect(h["x-custom-test"]).toBe("hello");
    // The project's own string is opt-in.
    await check(req(sites.url(name)), { userAgent: USER_AGENT });
    expect(sites.lastHeaders(name)["user-agent"]).toMatch(/^jetmon2\/\d/);
  });

  test("custom headers override the user agent; a custom Host is ignored", async () => {
    const name = site({ kind: "ok" });
    await check(req(sites.url(name), { customHeaders: { "user-agent": "mine/1", Host: "evil.example" } }));
    const h = sites.lastHeaders(name);
    expect(h["user-agent"]).toBe("mine/1");
    expect(h.host).toBe(new URL(sites.url(name)).host);
  });
});

describe("HTTPS", () => {
  test("a valid certificate: success with expiry and protocol; the cache saves the second probe", async () => {
    const cache = new TlsInfoCache();
    const url = sites.url(site({ kind: "ok" }, { tls: "valid" }));
    const first = await check(req(url), { tlsCache: cache });
    expect(first).toMatchObject({ httpCode: 200, success: true, errorCode: 0, tlsVersion: "TLSv1.3" });
    expect(first.sslExpiry?.toISOString()).toBe("2124-01-01T00:00:00.000Z");
    expect(cache.size).toBe(1);
    const second = await check(req(url), { tlsCache: cache });
    expect(second.sslExpiry?.toISOString()).toBe("2124-01-01T00:00:00.000Z");
    expect([second.dnsMs, second.tcpMs, second.tlsMs]).toEqual([0, 0, 0]);
  });

  test("a replaced certificate is never judged on the cached one: another fingerprint means a new probe", async () => {
    const cache = new TlsInfoCache();
    const url = sites.url(site({ kind: "ok" }, { tls: "valid" }));
    const origin = new URL(url).host;
    // What the cache would hold from the site's previous certificate.
    const stale = {
      validTo: new Date("2026-12-07T00:00:00Z"),
      protocol: "TLSv1.2",
      cipher: "OLD",
      fingerprint: "00:OLD",
      authorized: true,
      authorizationError: null,
      dnsMs: 0,
      tcpMs: 0,
      tlsMs: 0,
    };
    cache.set(origin, stale);
    const r = await check(req(url), { tlsCache: cache });
    expect(r.sslExpiry?.toISOString()).toBe("2124-01-01T00:00:00.000Z");
    expect(r.tlsVersion).toBe("TLSv1.3");
    expect(r.tlsCipher).not.toBe("OLD");
    expect(cache.peek(origin)?.fingerprint).toBe(VALID_FINGERPRINT);
  });

  test("the same certificate: the expiry is the check's own handshake's, the cache only adds protocol", async () => {
    const cache = new TlsInfoCache();
    const url = sites.url(site({ kind: "ok" }, { tls: "valid" }));
    const origin = new URL(url).host;
    cache.set(origin, {
      validTo: new Date("2030-01-01T00:00:00Z"),
      protocol: "TLSv1.3",
      cipher: "TLS_AES_256_GCM_SHA384",
      fingerprint: VALID_FINGERPRINT,
      authorized: true,
      authorizationError: null,
      dnsMs: 0,
      tcpMs: 0,
      tlsMs: 0,
    });
    const r = await check(req(url), { tlsCache: cache });
    expect(r.sslExpiry?.toISOString()).toBe("2124-01-01T00:00:00.000Z");
    expect(r.tlsCipher).toBe("TLS_AES_256_GCM_SHA384"); // no probe ran
    expect([r.dnsMs, r.tcpMs, r.tlsMs]).toEqual([0, 0, 0]);
  });

  test("an expired certificate is TLSExpired, with its expiry", async () => {
    const r = await check(req(sites.url(site({ kind: "ok" }, { tls: "expired" }))));
    expect(r).toMatchObject({ httpCode: 0, errorCode: CheckError.TLSExpired, success: false });
    expect(r.sslExpiry?.toISOString()).toBe("2021-01-01T00:00:00.000Z");
  });

  test("a certificate that expires after a good handshake is TLSExpired", async () => {
    const after = Date.UTC(2125, 0, 1);
    const r = await check(req(sites.url(site({ kind: "ok" }, { tls: "valid" }))), { now: () => after });
    expect(r).toMatchObject({ httpCode: 200, errorCode: CheckError.TLSExpired, success: false });
  });

  test("wrong host, self-signed and unknown CA are SSL", async () => {
    const wrong = await check(req(sites.url(site({ kind: "ok" }, { tls: "wronghost" }))));
    expect(wrong).toMatchObject({ errorCode: CheckError.SSL, errorDetail: "ERR_TLS_CERT_ALTNAME_INVALID" });
    const self = await check(req(sites.url(site({ kind: "ok" }, { tls: "selfsigned" }))));
    expect(self).toMatchObject({ errorCode: CheckError.SSL, errorDetail: "DEPTH_ZERO_SELF_SIGNED_CERT" });
    const untrusted = await checkSite(req(sites.url(site({ kind: "ok" }, { tls: "valid" }))));
    expect(untrusted.errorCode).toBe(CheckError.SSL);
  });

  test("TLS 1.1 only: TLSDeprecated, advisory (still success)", async () => {
    const r = await check(
      req(sites.url(site({ kind: "ok", body: "jetpack" }, { tls: "legacy" })), { keyword: "jetpack" }),
    );
    expect(r).toMatchObject({
      httpCode: 200,
      errorCode: CheckError.TLSDeprecated,
      success: true,
      tlsVersion: "TLSv1.1",
    });
    expect(r.tlsCipher).toMatch(/^[A-Z0-9-]+$/);
    expect(isFailedResult(r)).toBe(false);
  });

  test("TLS 1.1 only with a 500 still fails", async () => {
    const r = await check(req(sites.url(site({ kind: "status", status: 500 }, { tls: "legacy" }))));
    expect(r).toMatchObject({ httpCode: 500, errorCode: CheckError.TLSDeprecated, success: false });
  });

  test("TLS 1.1 only with an expired certificate is TLSExpired, with its expiry, like TLS 1.2+", async () => {
    const r = await check(req(sites.url(site({ kind: "ok" }, { tls: "legacy-expired" }))));
    expect(r).toMatchObject({
      httpCode: 0,
      errorCode: CheckError.TLSExpired,
      errorDetail: "CERT_HAS_EXPIRED",
      success: false,
      tlsVersion: "TLSv1.1",
    });
    expect(r.sslExpiry?.toISOString()).toBe("2021-01-01T00:00:00.000Z");
    expect(r.tlsCipher).toMatch(/^[A-Z0-9-]+$/);
    expect(isFailedResult(r)).toBe(true);
  });

  test("TLS 1.1 only, trusted, but past its notAfter by the check's clock: TLSExpired, status kept", async () => {
    const after = Date.UTC(2125, 0, 1);
    const r = await check(req(sites.url(site({ kind: "ok" }, { tls: "legacy" }))), { now: () => after });
    expect(r).toMatchObject({ httpCode: 200, errorCode: CheckError.TLSExpired, success: false });
    expect(r.sslExpiry?.toISOString()).toBe("2124-01-01T00:00:00.000Z");
  });

  test("TLS 1.1 only with an untrusted (not expired) certificate stays SSL", async () => {
    const r = await checkSite(req(sites.url(site({ kind: "ok" }, { tls: "legacy" }))));
    expect(r).toMatchObject({
      httpCode: 0,
      errorCode: CheckError.SSL,
      errorDetail: "EPROTO",
      success: false,
    });
  });

  test("plain HTTP spoken to an HTTPS port is SSL", async () => {
    const url = new URL(sites.url(site({ kind: "ok" })));
    url.protocol = "https:";
    const r = await check(req(url.toString()));
    expect(r.errorCode).toBe(CheckError.SSL);
  });
});
