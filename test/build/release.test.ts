import { afterAll, describe, expect, it } from "bun:test";
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { packageRelease } from "../../build.ts";

const dir = mkdtempSync(join(tmpdir(), "jetmon2-release-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("release archives", () => {
  it("one tar.gz per platform with binary, units, sample config and README, listed in SHA256SUMS", async () => {
    const bins: Record<string, string> = {};
    for (const t of ["linux-x64", "darwin-arm64"]) {
      bins[t] = join(dir, `bin-${t}`);
      writeFileSync(bins[t]!, `#!/bin/sh\necho ${t}\n`);
      chmodSync(bins[t]!, 0o755);
    }
    const archives = await packageRelease({ outdir: dir, version: "9.8.7", binaries: bins, log: () => {} });
    expect(archives.map((a) => a.slice(dir.length + 1))).toEqual([
      "jetmon2-9.8.7-linux-x64.tar.gz",
      "jetmon2-9.8.7-darwin-arm64.tar.gz",
    ]);
    const list = Bun.spawnSync(["tar", "-tzf", archives[0]!]).stdout.toString().trim().split("\n").sort();
    for (const f of [
      "jetmon2-9.8.7-linux-x64/jetmon2",
      "jetmon2-9.8.7-linux-x64/README.md",
      "jetmon2-9.8.7-linux-x64/config/config-sample.json",
      "jetmon2-9.8.7-linux-x64/config/veriflier-sample.json",
      "jetmon2-9.8.7-linux-x64/deploy/systemd/jetmon2.service",
      "jetmon2-9.8.7-linux-x64/deploy/systemd/jetmon2-deliverer.service",
      "jetmon2-9.8.7-linux-x64/deploy/systemd/jetmon2-veriflier.service",
    ]) {
      expect(list).toContain(f);
    }
    const check = Bun.spawnSync(["sha256sum", "-c", "SHA256SUMS"], { cwd: dir });
    expect(check.stdout.toString()).toBe(
      "jetmon2-9.8.7-linux-x64.tar.gz: OK\njetmon2-9.8.7-darwin-arm64.tar.gz: OK\n",
    );
    expect(check.exitCode).toBe(0);
    const x = Bun.spawnSync([
      "tar",
      "-xzOf",
      archives[0]!,
      "jetmon2-9.8.7-linux-x64/jetmon2",
    ]).stdout.toString();
    expect(x).toBe("#!/bin/sh\necho linux-x64\n");
  });
});
