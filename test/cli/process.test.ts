import { describe, expect, test } from "bun:test";
import { EventEmitter } from "node:events";
import { CleanupStack, type SignalSource, watchSignals, withinHardStop } from "../../src/cli/process.ts";
import { capturingLogger } from "../monitor/support.ts";
import { manualTimers } from "../support/timers.ts";

const emitter = () => {
  const e = new EventEmitter();
  return { e, signals: e as unknown as SignalSource, emit: (s: NodeJS.Signals) => e.emit(s, s) };
};

describe("watchSignals", () => {
  test("SIGHUP reloads; the first SIGTERM stops; later signals are absorbed and logged", async () => {
    const { e, signals, emit } = emitter();
    const cap = capturingLogger();
    let reloads = 0;
    const w = watchSignals(signals, { log: cap.log, onReload: () => reloads++ });
    emit("SIGHUP");
    expect(reloads).toBe(1);
    emit("SIGTERM");
    expect(await w.stopped).toBe("SIGTERM");
    emit("SIGINT");
    emit("SIGHUP");
    expect(reloads).toBe(1);
    expect(
      cap.lines.filter((l) => l.msg === "shutdown in progress; signal ignored").map((l) => l.signal),
    ).toEqual(["SIGINT", "SIGHUP"]);
    w.dispose();
    expect(e.eventNames()).toEqual([]);
  });

  test("stop() starts the same shutdown; dispose before any signal removes every handler", async () => {
    const { e, signals } = emitter();
    const w = watchSignals(signals, { log: capturingLogger().log, onReload: () => {} });
    expect(e.eventNames().sort()).toEqual(["SIGHUP", "SIGINT", "SIGTERM"]);
    w.stop();
    expect(await w.stopped).toBe("stop requested");
    w.dispose();
    w.dispose();
    expect(e.eventNames()).toEqual([]);
    const again = watchSignals(signals, { log: capturingLogger().log });
    again.dispose();
    expect(e.eventNames()).toEqual([]);
  });

  test("without onReload SIGHUP is left alone (its default stays)", () => {
    const { e, signals } = emitter();
    const w = watchSignals(signals, { log: capturingLogger().log });
    expect(e.eventNames().sort()).toEqual(["SIGINT", "SIGTERM"]);
    w.dispose();
  });
});

describe("CleanupStack", () => {
  test("runs last-pushed first, a failing step does not stop the others, and runs each once", async () => {
    const order: string[] = [];
    const c = new CleanupStack();
    c.push(() => order.push("pool"));
    c.push(async () => {
      order.push("pid");
      throw new Error("boom");
    });
    c.push(() => order.push("dashboard"));
    await c.run();
    await c.run();
    expect(order).toEqual(["dashboard", "pid", "pool"]);
  });
});

describe("withinHardStop", () => {
  test("work that finishes in time: true, nothing logged", async () => {
    const cap = capturingLogger();
    expect(await withinHardStop(async () => {}, 1000, cap.log, manualTimers())).toBe(true);
    expect(cap.lines).toEqual([]);
  });

  test("work that outlasts the bound: false at the bound, logged as a forced exit", async () => {
    const cap = capturingLogger();
    const timers = manualTimers();
    const result = withinHardStop(() => new Promise(() => {}), 1500, cap.log, timers);
    await Promise.resolve();
    timers.advance(1499);
    await Promise.resolve();
    expect(cap.lines).toEqual([]);
    timers.advance(1);
    expect(await result).toBe(false);
    expect(cap.lines.map((l) => [l.msg, l.drain_timeout_ms])).toEqual([
      ["shutdown timeout exceeded, forcing exit", 1500],
    ]);
  });

  test("work that throws counts as finished and is logged", async () => {
    const cap = capturingLogger();
    expect(
      await withinHardStop(
        async () => {
          throw new Error("drain broke");
        },
        1000,
        cap.log,
        manualTimers(),
      ),
    ).toBe(true);
    expect(cap.lines.map((l) => [l.msg, l.err])).toEqual([["shutdown step failed", "drain broke"]]);
  });
});
