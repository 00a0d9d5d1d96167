import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pino from "pino";
import { ConfigError } from "../../src/config/load.ts";
import type { Config } from "../../src/config/schema.ts";
import { type ConfigChange, ConfigStore, changedKeys } from "../../src/config/store.ts";

const dir = mkdtempSync(join(tmpdir(), "jetmon-store-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;

function setup(initial: Record<string, unknown>) {
  const path = join(dir, `c${n++}.json`);
  const write = (o: Record<string, unknown> | string) =>
    writeFileSync(path, typeof o === "string" ? o : JSON.stringify(o));
  write(initial);
  const logs: Array<Record<string, unknown>> = [];
  const logger = pino({ level: "debug" }, { write: (line: string) => logs.push(JSON.parse(line)) });
  return { path, write, logs, store: new ConfigStore(path, {}, { logger }) };
}

describe("ConfigStore", () => {
  test("construction loads the file and throws ConfigError when it is unusable", () => {
    const { store } = setup({ AUTH_TOKEN: "a", NUM_WORKERS: 5 });
    expect(store.current.NUM_WORKERS).toBe(5);
    expect(() => new ConfigStore(join(dir, "nope.json"), {})).toThrow(ConfigError);
  });

  test("reload picks up the new token and workers and reports changed keys", () => {
    const { store, write, logs } = setup({ AUTH_TOKEN: "a", NUM_WORKERS: 5 });
    write({ AUTH_TOKEN: "b", NUM_WORKERS: 9 });
    const r = store.reload();
    expect(r).toEqual({
      ok: true,
      warnings: [],
      changed: ["NUM_WORKERS", "AUTH_TOKEN"],
      restartRequired: ["AUTH_TOKEN"],
    });
    expect(store.current.AUTH_TOKEN).toBe("b");
    expect(store.current.NUM_WORKERS).toBe(9);
    expect(logs.find((l) => l.msg === "config reloaded")).toMatchObject({
      changed: ["NUM_WORKERS", "AUTH_TOKEN"],
      restart_required: ["AUTH_TOKEN"],
    });
    expect(logs.find((l) => l.msg === "config change needs a restart")).toMatchObject({
      keys: ["AUTH_TOKEN"],
    });
  });

  for (const [name, bad, prefix] of [
    ["malformed JSON", "{ not json", "parse config:"],
    ["a rule violation", JSON.stringify({ AUTH_TOKEN: "" }), "invalid config: AUTH_TOKEN is required"],
    ["a wrong type", JSON.stringify({ AUTH_TOKEN: "x", NUM_WORKERS: "9" }), "invalid config: NUM_WORKERS"],
  ] as const) {
    test(`a failed reload (${name}) keeps the old config, logs and returns the error`, () => {
      const { store, write, logs } = setup({ AUTH_TOKEN: "a", NUM_WORKERS: 5 });
      const before = store.current;
      let calls = 0;
      store.onChange(() => calls++);
      write(bad);
      const r = store.reload();
      expect(r.ok).toBe(false);
      if (r.ok) return;
      expect(r.error).toBeInstanceOf(ConfigError);
      expect(r.error.message.startsWith(prefix)).toBe(true);
      expect(store.current).toBe(before);
      expect(calls).toBe(0);
      const line = logs.find((l) => l.msg === "config reload failed");
      expect(line?.level).toBe(50);
      expect((line?.err as { message?: string } | undefined)?.message).toBe(r.error.message);
    });
  }

  test("a missing file on reload keeps the old config", () => {
    const { store, path } = setup({ AUTH_TOKEN: "a" });
    rmSync(path);
    const r = store.reload();
    expect(r.ok).toBe(false);
    expect(store.current.AUTH_TOKEN).toBe("a");
  });

  test("subscribers get next, prev and the change; one throwing does not stop the others; unsubscribe works", () => {
    const { store, write, logs } = setup({ AUTH_TOKEN: "a", NUM_WORKERS: 5 });
    const seen: Array<[number, number, ConfigChange]> = [];
    store.onChange(() => {
      throw new Error("boom");
    });
    const off = store.onChange((next: Config, prev: Config, change) =>
      seen.push([next.NUM_WORKERS, prev.NUM_WORKERS, change]),
    );
    write({ AUTH_TOKEN: "a", NUM_WORKERS: 6 });
    store.reload();
    expect(seen).toEqual([[6, 5, { changed: ["NUM_WORKERS"], restartRequired: [] }]]);
    expect(logs.some((l) => l.msg === "config listener failed")).toBe(true);
    off();
    write({ AUTH_TOKEN: "a", NUM_WORKERS: 7 });
    store.reload();
    expect(seen.length).toBe(1);
  });

  test("a reload with no change still swaps and notifies with an empty change", () => {
    const { store } = setup({ AUTH_TOKEN: "a" });
    const changes: ConfigChange[] = [];
    store.onChange((_n, _p, c) => changes.push(c));
    const before = store.current;
    expect(store.reload()).toMatchObject({ ok: true, changed: [], restartRequired: [] });
    expect(store.current).not.toBe(before);
    expect(changes).toEqual([{ changed: [], restartRequired: [] }]);
  });

  test("warnings of the current load are kept and logged on reload", () => {
    const { store, write, logs } = setup({ AUTH_TOKEN: "a" });
    expect(store.warnings).toEqual([]);
    write({ AUTH_TOKEN: "a", NUM_WORKER: 3 });
    store.reload();
    expect(store.warnings).toEqual(['unknown config key "NUM_WORKER" (did you mean "NUM_WORKERS"?)']);
    expect(logs.find((l) => l.msg === "config warning")?.warning).toBe(store.warnings[0]);
  });

  test("changedKeys compares nested values", () => {
    const { store } = setup({ AUTH_TOKEN: "a", VERIFIERS: [{ host: "h", port: 1, auth_token: "t" }] });
    const next = { ...store.current, VERIFIERS: [{ name: "", host: "h", port: 2, auth_token: "t" }] };
    expect(changedKeys(store.current, next)).toEqual(["VERIFIERS"]);
    expect(changedKeys(store.current, { ...store.current })).toEqual([]);
  });
});
