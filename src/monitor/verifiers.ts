import type { Verifier as VerifierConfig } from "../config/schema.ts";
import { VeriflierClient } from "../veriflier/client.ts";
import type { Verifier } from "./ports.ts";

/** A configured verifier as the incident lifecycle calls it, over the wire client. */
export function verifierFromConfig(v: VerifierConfig): Verifier {
  const client = new VeriflierClient({ host: v.host, port: v.port, token: v.auth_token });
  const address = client.addr();
  return {
    name: v.name.trim() || address,
    address,
    check: (req) => client.checkOne(req, req.timeoutSeconds),
  };
}

/**
 * The verifier clients for the current config (docs/reference/monitor-core.md §1.17): rebuilt, all of them, only
 * when the list of `host:port|auth_token` keys changes, so a reload that leaves VERIFIERS alone
 * keeps the existing clients.
 */
export class VerifierSet {
  private key: string | null = null;
  private list: Verifier[] = [];

  constructor(private readonly make: (v: VerifierConfig) => Verifier = verifierFromConfig) {}

  current(configured: readonly VerifierConfig[]): Verifier[] {
    const key = configured.map((v) => `${v.host}:${v.port}|${v.auth_token}|${v.name}`).join("\n");
    if (key !== this.key) {
      this.key = key;
      this.list = configured.map((v) => this.make(v));
    }
    return this.list;
  }
}
