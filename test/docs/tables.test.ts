/** Every Markdown table row in README.md and docs/ belongs to a table: a row cut off by a blank line renders as text. */
import { describe, expect, it } from "bun:test";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

const root = join(import.meta.dir, "../..");
const files = [
  "README.md",
  ...readdirSync(join(root, "docs"))
    .filter((f) => f.endsWith(".md"))
    .map((f) => `docs/${f}`),
];

describe("Markdown tables", () => {
  it.each(files)("%s: each row follows a header and its |---| line", (file) => {
    const lines = readFileSync(join(root, file), "utf8").split("\n");
    const orphans: string[] = [];
    let fenced = false;
    lines.forEach((line, i) => {
      if (line.startsWith("```")) fenced = !fenced;
      if (fenced || !line.startsWith("|")) return;
      const prev = lines[i - 1] ?? "";
      const next = lines[i + 1] ?? "";
      const header = /^\|[\s:|-]+\|$/.test(next) && next.includes("-");
      if (!prev.startsWith("|") && !header) orphans.push(`${i + 1}: ${line.slice(0, 60)}`);
    });
    expect(orphans).toEqual([]);
  });
});
