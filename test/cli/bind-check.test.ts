import { describe, expect, it } from "bun:test";
import { bindProblem } from "../../src/cli/bind-check.ts";

describe("bindProblem", () => {
  it("port 0 is off: never a problem", () =>
    expect(bindProblem("DASHBOARD_PORT", "127.0.0.1", 0)).toBeNull());

  it("a free port is fine and left free", () => {
    const probe = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
    const port = probe.port;
    probe.stop(true);
    expect(bindProblem("DASHBOARD_PORT", "127.0.0.1", port)).toBeNull();
    Bun.listen({ hostname: "127.0.0.1", port, socket: { data() {} } }).stop(true);
  });

  it("a taken port names the address, the reason and the key", () => {
    const holder = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
    try {
      expect(bindProblem("DASHBOARD_PORT", "", holder.port)).toBe(
        `cannot listen on 127.0.0.1:${holder.port}: address already in use (EADDRINUSE); free the port or change DASHBOARD_PORT (0 disables it)`,
      );
    } finally {
      holder.stop(true);
    }
  });

  it("an address this host does not have", () => {
    expect(bindProblem("VERIFLIER_PORT", "192.0.2.1", 7803)).toBe(
      "cannot listen on 192.0.2.1:7803: address not available on this host (EADDRNOTAVAIL); free the port or change VERIFLIER_PORT (0 disables it)",
    );
  });
});
