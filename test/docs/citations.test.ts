import { describe, expect, test } from "bun:test";
import { existsSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { citationProblems, headingNumbers, type ReadDoc } from "./citations.ts";

const ROOT = join(import.meta.dir, "../..");

const readRepo: ReadDoc = (path) => {
  const full = join(ROOT, path);
  return existsSync(full) && statSync(full).isFile() ? readFileSync(full, "utf8") : undefined;
};

function sourceFiles(): { path: string; text: string }[] {
  const glob = new Bun.Glob("src/**/*.ts");
  return [...glob.scanSync({ cwd: ROOT })].sort().map((path) => ({ path, text: readRepo(path) ?? "" }));
}

describe("citation checker", () => {
  const fixtures: Record<string, string> = {
    "docs/reference/x.md":
      "# Title\n## 1. One\n### 1.5 Five\n### 1.6b Six\n## B. Bee\n### B.7 Seven\nADR-0004 here\n",
    "docs/design.md": "# Design\n## 5. Defects\n1. a\n2. b\n3. c\n4. d\n",
  };
  const read: ReadDoc = (path) => fixtures[path];
  const cases: [string, string[]][] = [
    ["/** docs/reference/x.md §1.5 and §1.6b. */", []],
    ["// (docs/reference/x.md §1-§1.5, §B.7)", []],
    ["/** docs/design.md defect 3; docs/design.md defects 1-2 and 4 */", []],
    ["/** signing (docs/reference/x.md §1.5, ADR-0004) */", []],
    ["/** nothing cited */", []],
    [
      "/** reference §1.5 */",
      ["f.ts:1: §1.5 does not follow a file name (write docs/reference/<file>.md §1.5)"],
    ],
    [
      "/** docs/reference/x.md, then §1.5 */",
      ["f.ts:1: §1.5 does not follow a file name (write docs/reference/<file>.md §1.5)"],
    ],
    ["/** docs/reference/x.md §9.1 */", ["f.ts:1: docs/reference/x.md has no heading §9.1"]],
    ["/** docs/reference/x.md §1.5x */", ["f.ts:1: docs/reference/x.md has no heading §1.5x"]],
    ["/** DESIGN.md defect 3 */", ["f.ts:1: DESIGN.md is not a file in the repo"]],
    ["/** docs/nope.md §1 */", ["f.ts:1: docs/nope.md is not a file in the repo"]],
    ["/** docs/design.md defects 4 and 7 */", ["f.ts:1: docs/design.md lists no defect 7"]],
    ["/** stack-notes B.7 */", ["f.ts:1: a reference file named without docs/reference/<file>.md"]],
    ["/** docs/design.md, ADR-0005 */", ["f.ts:1: ADR-0005 is not described by a file this line names"]],
  ];
  for (const [line, expected] of cases) {
    test(line, () => {
      expect(citationProblems([{ path: "f.ts", text: line }], read)).toEqual(expected);
    });
  }

  test("heading numbers", () => {
    expect([...headingNumbers(fixtures["docs/reference/x.md"] ?? "")]).toEqual([
      "1",
      "1.5",
      "1.6b",
      "B",
      "B.7",
    ]);
  });
});

test("every pointer in src names a file and a heading that exist", () => {
  const files = sourceFiles();
  expect(files.length).toBeGreaterThan(50);
  expect(citationProblems(files, readRepo)).toEqual([]);
});

test("the README links every doc in docs/", () => {
  const readme = readRepo("README.md") ?? "";
  const docs = [...new Bun.Glob("docs/*.md").scanSync({ cwd: ROOT })].sort();
  expect(docs.filter((path) => !readme.includes(`](${path})`))).toEqual([]);
});

test("docs/architecture.md names only files and folders that exist", () => {
  const text = readRepo("docs/architecture.md") ?? "";
  const paths = [...text.matchAll(/`([^`\s*<>]+\/[^`\s*<>]*)`/g)]
    .map((m) => m[1] ?? "")
    .filter((path) => !path.startsWith("/"));
  expect(paths.length).toBeGreaterThan(40);
  const exists = (path: string) => existsSync(join(ROOT, path)) || existsSync(join(ROOT, "src", path));
  expect(paths.filter((path) => !exists(path))).toEqual([]);
});
