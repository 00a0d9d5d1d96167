/**
 * Every export from src is used by src: imported by another src file (or by bench/, scripts/,
 * build.ts), or used in its own file. An export only the tests use, or nobody, is how a rule gets
 * two homes (a tested copy that production never calls beside the live one inline elsewhere), so
 * it fails here unless ALLOWED names it with a reason. The fix is to delete the dead copy and call
 * the tested rule live, or to move a test-only helper into the test.
 */
import { expect, test } from "bun:test";
import { type ExportDecl, filesMatching, parseFile } from "./graph.ts";

/** `file#name` -> why it may be exported with no user in src. Keep it short and each reason true. */
const ALLOWED: Record<string, string> = {
  "src/events/queries.ts#findOpenEvent":
    "the event store's read side; the tests read what the store wrote with it",
  "src/events/queries.ts#getEvent":
    "the event store's read side; the tests read what the store wrote with it",
  "src/events/queries.ts#listTransitions":
    "the event store's read side; the tests read what the store wrote with it",
  "src/events/store.ts#linkCause":
    "the event store's cause link (Go's LinkCause); no caller in this port yet",
  "src/rollout/commands.ts#parseRolloutCommandLine":
    "parses the rollout commands the gates and docs print; the tests run it over every printed line",
};

const src = filesMatching("src/**/*.ts");
const outside = [
  ...filesMatching("test/**/*.ts"),
  ...filesMatching("bench/**/*.ts"),
  ...filesMatching("scripts/**/*.ts"),
  "build.ts",
];
const exportsOf = new Map(src.map((f) => [f, parseFile(f).exports]));

/** `file#name` -> the files that import it, following re-exports (`export { x } from`, `export *`). */
function importers(): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  const mark = (target: string, name: string, user: string, seen: Set<string>): void => {
    const key = `${target}#${name}`;
    const list: ExportDecl[] | undefined = exportsOf.get(target);
    if (!list || seen.has(key)) return;
    seen.add(key);
    if (name === "*") {
      for (const e of list) {
        if (e.name !== "*") mark(target, e.name, user, seen);
        else if (e.from) mark(e.from.target, "*", user, seen);
      }
      return;
    }
    const own = list.find((e) => e.name === name);
    if (own) {
      out.set(key, (out.get(key) ?? new Set()).add(user));
      if (own.from) mark(own.from.target, own.from.name, user, seen);
      return;
    }
    for (const e of list) if (e.name === "*" && e.from) mark(e.from.target, name, user, seen);
  };
  for (const file of [...src, ...outside]) {
    for (const ref of parseFile(file).imports) {
      if (!ref.target || ref.kind === "export-from") continue;
      for (const name of ref.names === "*" ? ["*"] : ref.names) mark(ref.target, name, file, new Set());
    }
  }
  return out;
}

interface Finding {
  key: string;
  users: string[];
}

function unusedInSrc(): Finding[] {
  const users = importers();
  const out: Finding[] = [];
  for (const file of src) {
    const parsed = parseFile(file);
    for (const e of parsed.exports) {
      if (e.name === "*" || e.name === "default") continue;
      const key = `${file}#${e.name}`;
      const all = [...(users.get(key) ?? [])].sort();
      const live = all.filter((u) => !u.startsWith("test/"));
      const usedHere = !e.from && parsed.localRefs.has(e.name);
      if (live.length === 0 && !usedHere) out.push({ key, users: all });
    }
  }
  return out;
}

const findings = unusedInSrc();

test("the reader sees the exports and their importers", () => {
  const users = importers();
  expect(users.get("src/monitor/rules.ts#intervalMs")).toContain("src/monitor/orchestrator.ts");
  // Through the events barrel, and through a dynamic import.
  expect(users.get("src/events/store.ts#closeEvent")).toContain("src/api/events.ts");
  expect(users.get("src/cli/monitor.ts#monitorCommand")).toContain("src/cli/commands.ts");
});

test("no export from src is used only by tests, or not at all, unless allow-listed", () => {
  const bad = findings
    .filter((f) => !(f.key in ALLOWED))
    .map((f) => `${f.key}: ${f.users.length ? `used only by ${f.users.join(", ")}` : "used nowhere"}`);
  expect(bad).toEqual([]);
});

test("every allow-listed export still has no user in src (the list stays exact)", () => {
  const still = new Set(findings.map((f) => f.key));
  expect(Object.keys(ALLOWED).filter((k) => !still.has(k))).toEqual([]);
  for (const reason of Object.values(ALLOWED)) expect(reason.length).toBeGreaterThan(20);
});

test("the rules the architecture review found with two homes each have one live home", () => {
  const users = importers();
  // The recovery reason is decided by recoveryReason, in the file that closes the event.
  expect(parseFile("src/events/lifecycle.ts").localRefs.has("recoveryReason")).toBe(true);
  // The site check interval: monitor/rules.ts intervalMs, called by the orchestrator.
  expect(users.get("src/monitor/rules.ts#intervalMs")).toContain("src/monitor/orchestrator.ts");
  // The deliverer's heartbeat health: delivery/ownership.ts deliveryHealth, called by its heartbeat row.
  expect(users.get("src/delivery/ownership.ts#deliveryHealth")).toContain("src/delivery/heartbeat.ts");
  // "Where is my dashboard", seen from a CLI: config/bind-addr.ts, for `status` and the cutover gate.
  expect(users.get("src/config/bind-addr.ts#dashboardDialHost")).toEqual(
    new Set(["src/cli/control.ts", "src/rollout/dashboard-probe.ts", "test/config/bind-addr.test.ts"]),
  );
  for (const gone of ["src/config/intervals.ts", "src/fleethealth/deliverer.ts"]) {
    expect(src).not.toContain(gone);
  }
});
