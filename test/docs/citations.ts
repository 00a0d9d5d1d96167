/**
 * Finds source-comment pointers that lead nowhere: a `*.md` path that is not a file in the repo, a `§`
 * that does not follow a file name or names no heading of that file, a design defect that is not in
 * docs/design.md's list, and an ADR the cited file never mentions.
 */

export interface SourceFile {
  path: string;
  text: string;
}

/** Reads a repo-relative file, or undefined when there is none. */
export type ReadDoc = (path: string) => string | undefined;

const TOKEN = /([A-Za-z0-9_./-]*[A-Za-z0-9_-]\.md)\b|§\s?([A-Z](?:\.\d+)*|\d+(?:\.\d+)*[a-z]?)/g;
/** What may sit between two sections of one file: `§1.3-§1.5`, `§3.5, §6`, `§2.1 and §2.4`. */
const CHAIN = /^\s*(?:,|-|–|\/|and|or)?\s*$/;
const BARE_NAME =
  /\b(?:monitor-core|cli-rollout-api|dashboard-fleethealth|deliverer|stack-notes|seed-pr90)\s+[A-Z]\.\d/;
const DEFECTS = /docs\/design\.md(?: §\d+)?,? defects? (\d+(?:(?:-|, | and )\d+)*)/g;
const ADR = /\bADR-\d+\b/g;

/** The section numbers a markdown file's headings carry: `### 1.6b x` gives 1.6b, `## B. x` gives B. */
export function headingNumbers(markdown: string): Set<string> {
  const out = new Set<string>();
  for (const m of markdown.matchAll(/^#{1,6}\s+([A-Z](?:\.\d+)*|\d+(?:\.\d+)*[a-z]?)\.?\s/gm)) {
    if (m[1] !== undefined) out.add(m[1]);
  }
  return out;
}

/** The numbers of a markdown file's numbered list items (`3. text`), as docs/design.md lists its defects. */
function listNumbers(markdown: string): Set<string> {
  return new Set([...markdown.matchAll(/^(\d+)\. /gm)].map((m) => m[1] ?? ""));
}

function numbersIn(list: string): string[] {
  const out: string[] = [];
  for (const part of list.split(/, | and /)) {
    const [from, to] = part.split("-").map(Number);
    if (from === undefined) continue;
    for (let n = from; n <= (to ?? from); n++) out.push(String(n));
  }
  return out;
}

/** Every broken pointer, as `path:line: what is wrong`. */
export function citationProblems(files: SourceFile[], read: ReadDoc): string[] {
  const problems: string[] = [];
  const docs = new Map<string, string | undefined>();
  const doc = (path: string) => {
    if (!docs.has(path)) docs.set(path, read(path));
    return docs.get(path);
  };
  for (const file of files) {
    file.text.split("\n").forEach((line, i) => {
      const at = `${file.path}:${i + 1}`;
      let current: string | undefined;
      let previous: "file" | "section" | undefined;
      let end = 0;
      for (const m of line.matchAll(TOKEN)) {
        const gap = line.slice(end, m.index);
        end = m.index + m[0].length;
        const path = m[1];
        if (path !== undefined) {
          current = path;
          previous = "file";
          if (doc(path) === undefined) problems.push(`${at}: ${path} is not a file in the repo`);
          continue;
        }
        const section = m[2] ?? "";
        const follows = previous === "file" ? /^\s*$/.test(gap) : previous === "section" && CHAIN.test(gap);
        if (!follows || current === undefined) {
          problems.push(
            `${at}: §${section} does not follow a file name (write docs/reference/<file>.md §${section})`,
          );
          previous = undefined;
          continue;
        }
        previous = "section";
        const text = doc(current);
        if (text !== undefined && !headingNumbers(text).has(section)) {
          problems.push(`${at}: ${current} has no heading §${section}`);
        }
      }
      if (BARE_NAME.test(line))
        problems.push(`${at}: a reference file named without docs/reference/<file>.md`);
      for (const m of line.matchAll(DEFECTS)) {
        const items = listNumbers(doc("docs/design.md") ?? "");
        for (const n of numbersIn(m[1] ?? "")) {
          if (!items.has(n)) problems.push(`${at}: docs/design.md lists no defect ${n}`);
        }
      }
      for (const m of line.matchAll(ADR)) {
        const named = [...line.matchAll(TOKEN)].flatMap((t) => (t[1] === undefined ? [] : [t[1]]));
        if (!named.some((path) => doc(path)?.includes(m[0]))) {
          problems.push(`${at}: ${m[0]} is not described by a file this line names`);
        }
      }
    });
  }
  return problems;
}
