/**
 * Writes docs/configuration.md from the config schema. `--check` only compares and exits 1
 * when the file is out of date.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { renderConfigDocs } from "../src/config/docs.ts";

const target = join(import.meta.dir, "..", "docs", "configuration.md");
const wanted = renderConfigDocs();

if (process.argv.includes("--check")) {
  let current = "";
  try {
    current = readFileSync(target, "utf8");
  } catch {}
  if (current !== wanted) {
    console.error("docs/configuration.md is out of date: run bun scripts/gen-config-docs.ts");
    process.exit(1);
  }
  console.log("docs/configuration.md is up to date");
} else {
  writeFileSync(target, wanted);
  console.log(`wrote ${target}`);
}
