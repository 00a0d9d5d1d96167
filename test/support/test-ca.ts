/**
 * A throwaway CA made with openssl at test time, for certificates whose lifetime is relative to
 * now (one that expires in 5 days, its renewal). The committed certs in ./certs have fixed
 * dates and no CA key, so they cannot do this.
 *
 *   const ca = makeTestCa();               // ca.pem / ca.key in a temp dir
 *   const soon = ca.leaf("soon", 5);       // { cert, key } PEM, valid 5 days from now
 *   ca.dispose();
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface Leaf {
  cert: string;
  key: string;
}

export interface TestCa {
  /** PEM path of the CA certificate (for NODE_EXTRA_CA_CERTS). */
  caPath: string;
  caPem: string;
  /** A leaf for localhost and 127.0.0.1 issued by the CA, valid from now for `days` days. */
  leaf(name: string, days: number): Leaf;
  dispose(): void;
}

const EC = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];

function openssl(args: string[], cwd: string): void {
  const p = Bun.spawnSync(["openssl", ...args], { cwd, stdout: "pipe", stderr: "pipe" });
  if (p.exitCode !== 0) throw new Error(`openssl ${args[0]} failed: ${p.stderr.toString()}`);
}

export function makeTestCa(): TestCa {
  const dir = mkdtempSync(join(tmpdir(), "jetmon-test-ca-"));
  openssl(
    [
      "req",
      "-x509",
      "-new",
      ...EC,
      "-keyout",
      "ca.key",
      "-out",
      "ca.pem",
      "-days",
      "3650",
      "-subj",
      "/CN=jetmon2 fidelity test CA",
      "-addext",
      "basicConstraints=critical,CA:TRUE",
      "-addext",
      "keyUsage=critical,keyCertSign,cRLSign",
    ],
    dir,
  );
  return {
    caPath: join(dir, "ca.pem"),
    caPem: readFileSync(join(dir, "ca.pem"), "utf8"),
    leaf(name, days) {
      openssl(
        [
          "req",
          "-x509",
          "-new",
          ...EC,
          "-keyout",
          `${name}.key`,
          "-out",
          `${name}.pem`,
          "-CA",
          "ca.pem",
          "-CAkey",
          "ca.key",
          "-days",
          String(days),
          "-subj",
          "/CN=localhost",
          "-addext",
          "subjectAltName=DNS:localhost,IP:127.0.0.1",
          "-addext",
          "basicConstraints=critical,CA:FALSE",
        ],
        dir,
      );
      return {
        cert: readFileSync(join(dir, `${name}.pem`), "utf8"),
        key: readFileSync(join(dir, `${name}.key`), "utf8"),
      };
    },
    dispose() {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
