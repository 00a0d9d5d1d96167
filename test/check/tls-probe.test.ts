import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { isDeprecatedTls, probeTls, type TlsInfo, TlsInfoCache } from "../../src/check/tls-probe.ts";
import { type SiteFixture, startSiteFixture } from "../support/sites.ts";

const info = (validTo: string | null): TlsInfo => ({
  validTo: validTo ? new Date(validTo) : null,
  protocol: "TLSv1.3",
  cipher: "TLS_AES_128_GCM_SHA256",
  fingerprint: "AA:BB",
  authorized: true,
  authorizationError: null,
  dnsMs: 1,
  tcpMs: 1,
  tlsMs: 1,
});

describe("TlsInfoCache", () => {
  test("fresh entries are served; after the TTL they are gone", () => {
    let now = Date.UTC(2030, 0, 1);
    const cache = new TlsInfoCache({ ttlMs: 1000, now: () => now });
    cache.set("a:443", info("2031-01-01"));
    expect(cache.get("a:443")?.protocol).toBe("TLSv1.3");
    now += 999;
    expect(cache.get("a:443")).toBeDefined();
    now += 1;
    expect(cache.get("a:443")).toBeUndefined();
  });

  test("an entry whose certificate has expired is not served by get, but is by peek", () => {
    const now = Date.UTC(2030, 0, 1);
    const cache = new TlsInfoCache({ now: () => now });
    cache.set("b:443", info("2029-12-31"));
    expect(cache.peek("b:443")?.validTo?.getUTCFullYear()).toBe(2029);
    expect(cache.get("b:443")).toBeUndefined();
  });

  test("the oldest entry is evicted past maxEntries", () => {
    const cache = new TlsInfoCache({ maxEntries: 2 });
    cache.set("1", info(null));
    cache.set("2", info(null));
    cache.set("3", info(null));
    expect(cache.size).toBe(2);
    expect(cache.peek("1")).toBeUndefined();
    expect(cache.peek("3")).toBeDefined();
  });
});

test("isDeprecatedTls", () => {
  expect(["TLSv1", "TLSv1.1", "SSLv3", "TLSv1.2", "TLSv1.3", null].map(isDeprecatedTls)).toEqual([
    true,
    true,
    true,
    false,
    false,
    false,
  ]);
});

describe("probeTls", () => {
  let sites: SiteFixture;
  beforeAll(async () => {
    sites = await startSiteFixture({ addresses: 1 });
    sites.set("valid", { kind: "ok" }, { tls: "valid" });
    sites.set("self", { kind: "ok" }, { tls: "selfsigned" });
  });
  afterAll(async () => {
    await sites.stop();
  });
  const target = (name: string) => {
    const u = new URL(sites.url(name));
    return { host: u.hostname, port: Number(u.port) };
  };

  test("reads expiry and protocol, and verifies against the given CA", async () => {
    const r = await probeTls({ ...target("valid"), timeoutMs: 2000, ca: sites.ca });
    expect(r.validTo?.toISOString()).toBe("2124-01-01T00:00:00.000Z");
    expect(r.protocol).toBe("TLSv1.3");
    expect(r.authorized).toBe(true);
    expect(r.authorizationError).toBeNull();
    expect(r.tcpMs).toBeGreaterThanOrEqual(0);
  });

  test("an untrusted certificate is still read, with authorized false", async () => {
    const r = await probeTls({ ...target("self"), timeoutMs: 2000, ca: sites.ca });
    expect(r.authorized).toBe(false);
    expect(r.authorizationError).toBe("DEPTH_ZERO_SELF_SIGNED_CERT");
    expect(r.validTo).not.toBeNull();
  });

  test("an expired certificate at TLS 1.1 says CERT_HAS_EXPIRED", async () => {
    sites.set("legacy-expired", { kind: "ok" }, { tls: "legacy-expired" });
    const r = await probeTls({
      ...target("legacy-expired"),
      timeoutMs: 2000,
      ca: sites.ca,
      minVersion: "TLSv1",
    });
    expect(r).toMatchObject({
      protocol: "TLSv1.1",
      authorized: false,
      authorizationError: "CERT_HAS_EXPIRED",
    });
    expect(r.validTo?.toISOString()).toBe("2021-01-01T00:00:00.000Z");
  });

  test("a refused connection rejects with its code", async () => {
    await expect(probeTls({ host: "127.0.0.1", port: 1, timeoutMs: 2000 })).rejects.toMatchObject({
      code: "ECONNREFUSED",
    });
  });

  test("no handshake in time rejects with ETIMEDOUT", async () => {
    // A listener that accepts and never answers the ClientHello.
    const server = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
    await expect(probeTls({ host: "127.0.0.1", port: server.port, timeoutMs: 100 })).rejects.toMatchObject({
      code: "ETIMEDOUT",
    });
    server.stop(true);
  });
});
