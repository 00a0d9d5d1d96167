/**
 * Every `jetmon2 ...` command shown in README.md and docs/ is run here (in-process, against a
 * migrated test database, no monitor running) and must not be a usage error: a doc that shows a
 * command or flag that does not exist fails. Long-running modes are checked through --help.
 */
import { afterAll, describe, expect, it } from "bun:test";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { run } from "../../src/cli/dispatch.ts";
import { useTestDatabase } from "../support/db.ts";

const t = useTestDatabase({ migrate: true });
const root = join(import.meta.dir, "../..");
const dir = mkdtempSync(join(tmpdir(), "jetmon-doc-commands-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** `jetmon2 ...` lines of fenced blocks and inline code spans, comments and prompts removed. */
function shownCommands(): { file: string; command: string }[] {
  const files = [
    "README.md",
    ...readdirSync(join(root, "docs"))
      .filter((f) => f.endsWith(".md"))
      .map((f) => `docs/${f}`),
  ];
  const out: { file: string; command: string }[] = [];
  for (const file of files) {
    const text = readFileSync(join(root, file), "utf8");
    const candidates = [
      ...[...text.matchAll(/```[a-z]*\n([\s\S]*?)```/g)].flatMap((m) => m[1]!.split("\n")),
      ...[...text.matchAll(/`([^`\n]+)`/g)].map((m) => m[1]!),
    ];
    for (const raw of candidates) {
      const line = raw
        .replace(/\s+#.*$/, "")
        .replace(/^\$\s+/, "")
        .trim();
      if (!/^(\.\/)?jetmon2( |$)/.test(line)) continue;
      // Placeholders and shell substitutions are templates, not commands.
      if (/[<>[\]$|\\]|\.\.\./.test(line)) continue;
      if (
        line
          .replace(/^\.\//, "")
          .replace(/--config \S+/, "")
          .includes("/")
      )
        continue;
      out.push({ file, command: line });
    }
  }
  return [...new Map(out.map((c) => [c.command, c])).values()];
}

const LONG_RUNNING = /(^| )--mode=(monitor|deliverer|veriflier)\b|^(\.\/)?jetmon2( --config \S+)?$/;

describe("commands shown in the docs", () => {
  const commands = shownCommands();
  it("finds the documented commands", () => {
    expect(commands.length).toBeGreaterThan(15);
  });

  for (const { file, command } of commands) {
    it(`${file}: ${command}`, async () => {
      const config = join(dir, "config.json");
      writeFileSync(config, JSON.stringify({ AUTH_TOKEN: "t", DASHBOARD_PORT: 1, STATSD_ADDR: "" }));
      const argv = command.split(/\s+/).slice(1);
      const args = LONG_RUNNING.test(command) ? [...argv, "--help"] : argv;
      const err: string[] = [];
      const code = await run(args, {
        env: {
          JETMON_CONFIG: config,
          JETMON_PID_FILE: join(dir, "none.pid"),
          DB_HOST: t.settings.host,
          DB_PORT: String(t.settings.port),
          DB_USER: t.settings.user,
          DB_PASSWORD: t.settings.password,
          DB_NAME: t.settings.database,
        },
        out: () => {},
        err: (l) => err.push(l),
      });
      // A bare mention of a gate that needs flags (`jetmon2 rollout host-preflight`) names it, runs nothing.
      if (code === 2 && argv.length === 2 && err[0]?.endsWith("missing required flag --file")) return;
      // 0 pass, 1 a check that failed on this empty host, 3 nothing running: never 2 (usage).
      expect({ command, code, err: code === 2 ? err : [] }).toEqual({
        command,
        code: expect.any(Number),
        err: [],
      });
      expect([0, 1, 3]).toContain(code);
    }, 30_000);
  }
});
