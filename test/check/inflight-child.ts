/**
 * Run by capacity.test.ts in a fresh process started WITHOUT BUN_CONFIG_MAX_HTTP_REQUESTS:
 * raises the fetch cap (re-executing itself), then pushes 300 checks through one pool at a
 * site that answers nobody until 300 requests are waiting. Prints one JSON line.
 */
import { ensureFetchCapacity, fetchCapacity, REEXEC_MARKER_ENV } from "../../src/check/capacity.ts";
import { CheckPool } from "../../src/check/pool.ts";
import { silentLogger } from "../../src/log.ts";
import { startSiteFixture } from "../support/sites.ts";

const WANT = 300;
ensureFetchCapacity(WANT + 50);

const sites = await startSiteFixture({ addresses: 1 });
sites.set("hold", { kind: "hold", until: WANT, timeoutMs: 8000 });
const pool = new CheckPool({ size: WANT, queueLimit: 0, logger: silentLogger });
const results = await Promise.all(
  Array.from({ length: WANT }, (_, i) =>
    pool.submit({ blogId: i, url: sites.url("hold"), timeoutSeconds: 20, redirectPolicy: "follow" }),
  ),
);
console.log(
  JSON.stringify({
    reexeced: process.env[REEXEC_MARKER_ENV] === "1",
    cap: fetchCapacity(),
    peak: sites.peak("hold"),
    releasedBy: sites.holdReleasedBy("hold"),
    ok: results.filter((r) => r?.success).length,
  }),
);
await sites.stop();
process.exit(0);
