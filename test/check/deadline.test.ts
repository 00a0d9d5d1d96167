import { describe, expect, test } from "bun:test";
import { Deadline, DeadlineQueue } from "../../src/check/deadline.ts";
import { manualTimers } from "../support/timers.ts";

describe("Deadline", () => {
  test("standalone: fires once after its time, with a TimeoutError reason", async () => {
    const d = new Deadline(30);
    expect(d.signal.aborted).toBe(false);
    expect(d.remaining()).toBeGreaterThan(0);
    await Bun.sleep(60);
    expect(d.timedOut).toBe(true);
    expect(d.signal.aborted).toBe(true);
    expect((d.signal.reason as DOMException).name).toBe("TimeoutError");
    expect(d.remaining()).toBe(0);
  });

  test("standalone: clear() prevents firing", async () => {
    const d = new Deadline(20);
    d.clear();
    await Bun.sleep(50);
    expect(d.timedOut).toBe(false);
    expect(d.signal.aborted).toBe(false);
  });
});

describe("DeadlineQueue", () => {
  test("fires queued deadlines in order, not before their time", () => {
    const timers = manualTimers();
    const q = new DeadlineQueue(5, timers);
    const short = new Deadline(20, q);
    const long = new Deadline(80, q);
    const firedAt: Record<string, number> = {};
    short.signal.addEventListener("abort", () => (firedAt.short = timers.now()));
    long.signal.addEventListener("abort", () => (firedAt.long = timers.now()));
    timers.advance(50);
    expect(short.timedOut).toBe(true);
    expect(long.timedOut).toBe(false);
    expect(firedAt.short!).toBeGreaterThanOrEqual(short.endsAt);
    expect(long.remaining()).toBe(30);
    timers.advance(60);
    expect(long.timedOut).toBe(true);
    expect(firedAt.long!).toBeGreaterThanOrEqual(long.endsAt);
    expect(q.size).toBe(0);
    // An empty queue stops its interval.
    expect(timers.pending).toBe(0);
  });

  test("no deadline fires a moment before its time", () => {
    const timers = manualTimers();
    const q = new DeadlineQueue(5, timers);
    const d = new Deadline(20, q);
    timers.advance(19);
    expect(d.timedOut).toBe(false);
    timers.advance(1);
    expect(d.timedOut).toBe(true);
  });

  test("cleared deadlines never fire and are dropped", () => {
    const timers = manualTimers();
    const q = new DeadlineQueue(5, timers);
    const a = new Deadline(20, q);
    const b = new Deadline(20, q);
    a.clear();
    timers.advance(50);
    expect(a.timedOut).toBe(false);
    expect(a.signal.aborted).toBe(false);
    expect(b.timedOut).toBe(true);
    expect(q.size).toBe(0);
  });

  test("finished heads are dropped as new deadlines arrive", () => {
    const q = new DeadlineQueue(5, manualTimers());
    for (let i = 0; i < 100; i++) new Deadline(10_000, q).clear();
    const live = new Deadline(10_000, q);
    expect(q.size).toBe(1);
    live.clear();
  });

  test("a hung deadline does not stop later, shorter ones from firing", () => {
    const timers = manualTimers();
    const q = new DeadlineQueue(5, timers);
    const hung = new Deadline(10_000, q);
    const quick = new Deadline(15, q);
    timers.advance(40);
    expect(quick.timedOut).toBe(true);
    expect(hung.timedOut).toBe(false);
    hung.clear();
  });

  test("with the system timers: a queued deadline fires on the real clock", async () => {
    const q = new DeadlineQueue(5);
    const d = new Deadline(15, q);
    await Bun.sleep(50);
    expect(d.timedOut).toBe(true);
    expect(q.size).toBe(0);
  });
});
