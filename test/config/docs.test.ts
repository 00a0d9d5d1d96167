import { expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { renderConfigDocs } from "../../src/config/docs.ts";
import { CONFIG_KEYS } from "../../src/config/schema.ts";

test("docs/configuration.md matches the schema (regenerate: bun scripts/gen-config-docs.ts)", () => {
  const onDisk = readFileSync(join(import.meta.dir, "../../docs/configuration.md"), "utf8");
  expect(onDisk).toBe(renderConfigDocs());
});

test("every key has a row", () => {
  const docs = renderConfigDocs();
  for (const key of CONFIG_KEYS) expect(docs).toContain(`| \`${key}\` |`);
});
