/**
 * Folder-to-folder imports in src follow the allowed edges of docs/architecture.md ("Folder edges"),
 * exactly: a new edge fails until the table names it, a listed edge nothing uses fails until it is
 * struck, and no set of folders may import each other round in a cycle. Ground-floor files
 * (`src/*.ts`) import no folder; `src/main.ts` imports only `cli`. Every import counts: static
 * `import ... from`, `export ... from`, `import type`, and dynamic `import()`.
 */
import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { filesMatching, type ImportRef, parseFile, ROOT, srcFolder } from "./graph.ts";

/** The node an import edge starts or ends at: a folder name, or `main.ts` / `(ground)` for src/*.ts. */
function node(file: string): string {
  const folder = srcFolder(file);
  if (folder) return folder;
  return file === "src/main.ts" ? "main.ts" : "(ground)";
}

/** `from -> to` with the imports that make it, for every edge between two different folders. */
function actualEdges(): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const file of filesMatching("src/**/*.ts")) {
    for (const ref of parseFile(file).imports) {
      if (!ref.target?.startsWith("src/")) continue;
      const from = node(file);
      const to = node(ref.target);
      if (from === to || (to === "(ground)" && from !== "(ground)")) continue;
      const key = `${from} -> ${to}`;
      out.set(key, [...(out.get(key) ?? []), where(ref)]);
    }
  }
  return out;
}

const where = (ref: ImportRef) => `${ref.file}:${ref.line} ${ref.kind} ${ref.spec}`;

/** The "Folder edges" list of docs/architecture.md: lines "- `from` -> to, to, ...". */
function allowedEdges(): Set<string> {
  const doc = readFileSync(join(ROOT, "docs/architecture.md"), "utf8");
  const section = doc.split(/^## /m).find((s) => s.startsWith("Folder edges"));
  if (!section) throw new Error('docs/architecture.md has no "## Folder edges" section');
  const out = new Set<string>();
  for (const m of section.matchAll(/^- `([\w.-]+)` -> (.+)$/gm)) {
    for (const to of (m[2] ?? "").split(",")) out.add(`${m[1]} -> ${to.trim().replace(/`/g, "")}`);
  }
  return out;
}

/** Tarjan's strongly connected components with more than one node, each sorted. */
function cycles(edges: Iterable<string>): string[][] {
  const next = new Map<string, string[]>();
  for (const e of edges) {
    const [a = "", b = ""] = e.split(" -> ");
    next.set(a, [...(next.get(a) ?? []), b]);
    if (!next.has(b)) next.set(b, []);
  }
  let counter = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const out: string[][] = [];
  const visit = (v: string): void => {
    index.set(v, counter);
    low.set(v, counter);
    counter++;
    stack.push(v);
    onStack.add(v);
    for (const w of next.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v) ?? 0, low.get(w) ?? 0));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v) ?? 0, index.get(w) ?? 0));
    }
    if (low.get(v) === index.get(v)) {
      const scc: string[] = [];
      for (let w = stack.pop(); w !== undefined; w = stack.pop()) {
        onStack.delete(w);
        scc.push(w);
        if (w === v) break;
      }
      if (scc.length > 1) out.push(scc.sort());
    }
  };
  for (const v of [...next.keys()].sort()) if (!index.has(v)) visit(v);
  return out;
}

describe("folder edges in src", () => {
  const actual = actualEdges();
  const allowed = allowedEdges();

  test("the reader sees static, re-export, type and dynamic imports", () => {
    const kinds = new Set(
      filesMatching("src/**/*.ts").flatMap((f) => parseFile(f).imports.map((r) => r.kind)),
    );
    expect([...kinds].sort()).toEqual(["dynamic", "export-from", "import"]);
    expect(actual.get("main.ts -> cli")?.length).toBeGreaterThan(0);
    expect(actual.size).toBeGreaterThan(40);
  });

  test("every folder edge is in docs/architecture.md's allowed list", () => {
    const extra = [...actual]
      .filter(([edge]) => !allowed.has(edge))
      .map(([edge, refs]) => `${edge}: ${refs.join("; ")}`);
    expect(extra).toEqual([]);
  });

  test("every allowed edge is still used (the list stays exact)", () => {
    expect([...allowed].filter((edge) => !actual.has(edge)).sort()).toEqual([]);
  });

  test("ground-floor files import no folder; main.ts imports only cli", () => {
    const ground = [...actual.keys()].filter(
      (e) => e.startsWith("(ground) ->") || (e.startsWith("main.ts ->") && e !== "main.ts -> cli"),
    );
    expect(ground).toEqual([]);
  });

  test("no folder cycle (no strongly connected component of two or more folders)", () => {
    expect(cycles(actual.keys())).toEqual([]);
    expect(cycles(allowed)).toEqual([]);
  });
});

test("cycles() finds a knot and ignores a chain", () => {
  expect(cycles(["a -> b", "b -> c", "c -> a", "c -> d", "d -> e"])).toEqual([["a", "b", "c"]]);
  expect(cycles(["a -> b", "b -> c", "a -> c"])).toEqual([]);
  expect(cycles(["x -> y", "y -> x", "p -> q", "q -> p"]).length).toBe(2);
});
