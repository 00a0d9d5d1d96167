/**
 * Issue 12's "don't regress" list as one table: every failure class the checker caught before
 * the fidelity work must still be caught with the same code, and the sites that are fine (HEAD
 * refused, GET answered) must still pass. Each row is a real loopback server.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import * as net from "node:net";
import { join } from "node:path";
import * as tls from "node:tls";
import { checkSite } from "../../src/check/check.ts";
import { CheckError, isFailedResult } from "../../src/check/errors.ts";
import type { CheckRequest, CheckResult } from "../../src/check/types.ts";
import { type SiteFixture, startSiteFixture } from "../support/sites.ts";

const CERTS = join(import.meta.dir, "../support/certs");
const pem = (name: string) => readFileSync(join(CERTS, name), "utf8");

let sites: SiteFixture;
let extra: ReturnType<typeof Bun.serve>;
let silent: net.Server;
const legacy: tls.Server[] = [];
const servers: net.Server[] = [];
const urls: Record<string, string> = {};
const methods: string[] = [];

async function listen(server: net.Server): Promise<number> {
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return (server.address() as net.AddressInfo).port;
}

/** A TLS server limited to old versions, answering every request 200. */
async function legacyTls(cert: string, minVersion: tls.SecureVersion, maxVersion: tls.SecureVersion) {
  const server = tls.createServer(
    { cert: pem(`${cert}.pem`), key: pem(`${cert}.key`), minVersion, maxVersion },
    (socket) => {
      socket.on("error", () => {});
      socket.once("data", () =>
        socket.end("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok"),
      );
    },
  );
  server.on("tlsClientError", () => {});
  legacy.push(server);
  return `https://127.0.0.1:${await listen(server)}/`;
}

beforeAll(async () => {
  sites = await startSiteFixture({ addresses: 1 });
  // Redirect chains that loop or crawl, a method-picky site, empty and error pages.
  extra = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    async fetch(req) {
      const path = new URL(req.url).pathname;
      if (path === "/loop/a") return new Response(null, { status: 302, headers: { location: "/loop/b" } });
      if (path === "/loop/b") return new Response(null, { status: 301, headers: { location: "/loop/a" } });
      const crawl = /^\/crawl\/(\d+)$/.exec(path);
      if (crawl) {
        const left = Number(crawl[1]);
        await Bun.sleep(250);
        if (left === 0) return new Response("arrived");
        return new Response(null, { status: 302, headers: { location: `/crawl/${left - 1}` } });
      }
      if (path === "/picky") {
        methods.push(req.method);
        return req.method === "GET" ? new Response("jetpack") : new Response(null, { status: 405 });
      }
      if (path === "/empty") return new Response("");
      if (path === "/error-page")
        return new Response("<h1>Error establishing a database connection</h1>", { status: 200 });
      return new Response("nope", { status: 404 });
    },
  });
  const base = `http://127.0.0.1:${extra.port}`;
  // Answers with something that is not HTTP.
  const garbage = net.createServer((c) => {
    c.on("error", () => {});
    c.once("data", () => c.end("SSH-2.0-OpenSSH_9.6\r\n\r\n"));
  });
  servers.push(garbage);
  urls.notHttp = `http://127.0.0.1:${await listen(garbage)}/`;
  // Accepts the connection, never reads or writes: a silent TCP peer.
  silent = net.createServer(() => {});
  urls.silent = `http://127.0.0.1:${await listen(silent)}/`;
  urls.loop = `${base}/loop/a`;
  urls.crawl = `${base}/crawl/4`;
  urls.picky = `${base}/picky`;
  urls.empty = `${base}/empty`;
  urls.errorPage = `${base}/error-page`;
  urls.tls10 = await legacyTls("valid", "TLSv1", "TLSv1");
  urls.tls11SelfSigned = await legacyTls("selfsigned", "TLSv1", "TLSv1.1");
  urls.tls11Expired = await legacyTls("expired", "TLSv1", "TLSv1.1");
  for (const [name, b, o] of [
    ["ok", { kind: "ok", body: "jetpack" }],
    ["s500", { kind: "status", status: 500 }],
    ["s503", { kind: "status", status: 503 }],
    ["s404", { kind: "status", status: 404 }],
    ["s403", { kind: "status", status: 403 }],
    ["hang", { kind: "hang" }],
    ["slowHead", { kind: "slow", ms: 2000 }],
    ["chain", { kind: "redirect", hops: 3 }],
    ["chain11", { kind: "redirect", hops: 11 }],
    ["missingKeyword", { kind: "ok", body: "a page without it" }],
    ["expired", { kind: "ok" }, { tls: "expired" }],
    ["selfsigned", { kind: "ok" }, { tls: "selfsigned" }],
    ["wronghost", { kind: "ok" }, { tls: "wronghost" }],
  ] as Array<[string, Parameters<SiteFixture["set"]>[1], Parameters<SiteFixture["set"]>[2]?]>) {
    sites.set(name, b, o);
    urls[name] = sites.url(name);
  }
  urls.refused = "http://127.0.0.1:1/";
  urls.unresolvable = "http://no-such-host.invalid/";
  const plain = new URL(sites.url("ok"));
  plain.protocol = "https:";
  urls.plainOnTlsPort = plain.href;
});

afterAll(async () => {
  await sites.stop();
  extra.stop(true);
  silent.close();
  for (const s of [...legacy, ...servers]) s.close();
});

interface Row {
  label: string;
  site: string;
  req?: Partial<CheckRequest>;
  want: Partial<CheckResult>;
}

// httpCode 0 means no final response was judged.
const ROWS: Row[] = [
  { label: "200", site: "ok", want: { httpCode: 200, errorCode: CheckError.None, success: true } },
  { label: "500", site: "s500", want: { httpCode: 500, errorCode: CheckError.None, success: false } },
  { label: "503", site: "s503", want: { httpCode: 503, errorCode: CheckError.None, success: false } },
  { label: "404", site: "s404", want: { httpCode: 404, errorCode: CheckError.None, success: false } },
  { label: "403", site: "s403", want: { httpCode: 403, errorCode: CheckError.None, success: false } },
  {
    label: "refused TCP",
    site: "refused",
    want: { httpCode: 0, errorCode: CheckError.Connect, errorDetail: "ECONNREFUSED" },
  },
  {
    label: "a reply that is not HTTP",
    site: "notHttp",
    want: { httpCode: 0, errorCode: CheckError.Connect, errorDetail: "Malformed_HTTP_Response" },
  },
  {
    label: "silent TCP",
    site: "silent",
    req: { timeoutSeconds: 0.5 },
    want: { httpCode: 0, errorCode: CheckError.Timeout },
  },
  {
    label: "TTFB past the timeout (request read, never answered)",
    site: "hang",
    req: { timeoutSeconds: 0.5 },
    want: { httpCode: 0, errorCode: CheckError.Timeout },
  },
  {
    label: "headers later than the timeout",
    site: "slowHead",
    req: { timeoutSeconds: 0.5 },
    want: { httpCode: 0, errorCode: CheckError.Timeout },
  },
  {
    label: "total timeout over a redirect chain, each hop within it",
    site: "crawl",
    req: { timeoutSeconds: 0.6 },
    want: { httpCode: 0, errorCode: CheckError.Timeout },
  },
  {
    label: "redirect chain of 3 followed",
    site: "chain",
    want: { httpCode: 200, errorCode: CheckError.None, success: true },
  },
  {
    label: "redirect chain of 11",
    site: "chain11",
    want: { httpCode: 0, errorCode: CheckError.Redirect, errorDetail: "too many redirects" },
  },
  {
    label: "redirect loop",
    site: "loop",
    want: { httpCode: 0, errorCode: CheckError.Redirect, errorDetail: "too many redirects" },
  },
  {
    label: "redirect under policy fail",
    site: "chain",
    req: { redirectPolicy: "fail" },
    want: { httpCode: 0, errorCode: CheckError.Redirect },
  },
  {
    label: "missing keyword",
    site: "missingKeyword",
    req: { keyword: "jetpack" },
    want: { httpCode: 200, errorCode: CheckError.Keyword, errorDetail: "keyword not found" },
  },
  {
    label: "empty body with a keyword",
    site: "empty",
    req: { keyword: "jetpack" },
    want: { httpCode: 200, errorCode: CheckError.Keyword },
  },
  {
    label: "empty body without a keyword is up",
    site: "empty",
    want: { httpCode: 200, errorCode: CheckError.None, success: true },
  },
  {
    label: "200 error page",
    site: "errorPage",
    req: { keyword: "jetpack" },
    want: { httpCode: 200, errorCode: CheckError.Keyword },
  },
  {
    label: "expired certificate",
    site: "expired",
    want: { httpCode: 0, errorCode: CheckError.TLSExpired, errorDetail: "CERT_HAS_EXPIRED" },
  },
  {
    label: "self-signed certificate",
    site: "selfsigned",
    want: { httpCode: 0, errorCode: CheckError.SSL, errorDetail: "DEPTH_ZERO_SELF_SIGNED_CERT" },
  },
  {
    label: "wrong-host certificate",
    site: "wronghost",
    want: { httpCode: 0, errorCode: CheckError.SSL, errorDetail: "ERR_TLS_CERT_ALTNAME_INVALID" },
  },
  {
    label: "handshake mismatch: plain HTTP on the TLS port",
    site: "plainOnTlsPort",
    want: { httpCode: 0, errorCode: CheckError.SSL },
  },
  {
    label: "handshake mismatch: TLS 1.1-only with an untrusted certificate",
    site: "tls11SelfSigned",
    want: { httpCode: 0, errorCode: CheckError.SSL, errorDetail: "EPROTO" },
  },
  {
    label: "TLS 1.1-only with an expired certificate: TLSExpired, not SSL",
    site: "tls11Expired",
    want: {
      httpCode: 0,
      errorCode: CheckError.TLSExpired,
      errorDetail: "CERT_HAS_EXPIRED",
      tlsVersion: "TLSv1.1",
    },
  },
  {
    label: "TLS 1.0-only, trusted: advisory, still up",
    site: "tls10",
    want: { httpCode: 200, errorCode: CheckError.TLSDeprecated, success: true, tlsVersion: "TLSv1" },
  },
  {
    label: "unresolvable name",
    site: "unresolvable",
    req: { timeoutSeconds: 20 },
    want: { httpCode: 0, errorCode: CheckError.Connect },
  },
  {
    label: "HEAD refused, GET answers: up",
    site: "picky",
    req: { keyword: "jetpack" },
    want: { httpCode: 200, errorCode: CheckError.None, success: true },
  },
];

describe("failure classes caught as before issue 12", () => {
  for (const row of ROWS) {
    test(row.label, async () => {
      const url = urls[row.site];
      if (!url) throw new Error(`no site ${row.site}`);
      const r = await checkSite(
        { blogId: 7, url, timeoutSeconds: 5, redirectPolicy: "follow", ...row.req },
        { ca: sites.ca },
      );
      expect(r).toMatchObject(row.want);
      expect(isFailedResult(r)).toBe(row.want.success !== true);
    }, 30_000);
  }

  test("the picky site was only ever asked GET", () => {
    expect(methods.length).toBeGreaterThan(0);
    expect(new Set(methods)).toEqual(new Set(["GET"]));
  });
});
