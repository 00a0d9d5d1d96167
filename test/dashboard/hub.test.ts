import { describe, expect, test } from "bun:test";
import { DashboardHub } from "../../src/dashboard/hub.ts";
import { completeHostState } from "../../src/dashboard/state.ts";

const st = (n: number) => completeHostState({ worker_count: n });

describe("DashboardHub", () => {
  test("delivers updates in order (TestBroadcastDeliversToSSEClients)", async () => {
    const hub = new DashboardHub();
    const c = hub.subscribe()!;
    hub.publish(st(9));
    hub.publish(st(10));
    expect(await c.next(1000)).toMatchObject({ worker_count: 9 });
    expect(await c.next(1000)).toMatchObject({ worker_count: 10 });
  });

  test("a waiting client is woken by a publish", async () => {
    const hub = new DashboardHub();
    const c = hub.subscribe()!;
    const pending = c.next(10_000);
    hub.publish(st(3));
    expect(await pending).toMatchObject({ worker_count: 3 });
  });

  test("idle gap yields keepalive", async () => {
    const hub = new DashboardHub();
    const c = hub.subscribe()!;
    expect(await c.next(5)).toBe("keepalive");
  });

  test("a slow client misses updates beyond its buffer; others get all (TestBroadcastDropsOnSlowClient)", async () => {
    const hub = new DashboardHub({ bufferSize: 16 });
    const slow = hub.subscribe()!;
    const fast = hub.subscribe()!;
    const seen: number[] = [];
    for (let i = 0; i < 20; i++) {
      hub.publish(st(i)); // never waits on anyone
      const got = await fast.next(1000);
      if (typeof got === "object") seen.push(got.worker_count);
    }
    expect(seen).toEqual([...Array(20).keys()]);
    expect(slow.dropped).toBe(4);
    expect(fast.dropped).toBe(0);
    const drained: number[] = [];
    for (let i = 0; i < 16; i++) {
      const got = await slow.next(1000);
      if (typeof got === "object") drained.push(got.worker_count);
    }
    expect(drained).toEqual([...Array(16).keys()]);
    expect(await slow.next(1)).toBe("keepalive");
  });

  test("at most maxClients; closing frees a slot (TestHandleSSERejectsExcessClients)", () => {
    const hub = new DashboardHub();
    const clients = Array.from({ length: 32 }, () => hub.subscribe());
    expect(clients.every((c) => c !== null)).toBe(true);
    expect(hub.subscribe()).toBeNull();
    clients[0]!.close();
    clients[0]!.close(); // idempotent
    expect(hub.clientCount).toBe(31);
    expect(hub.subscribe()).not.toBeNull();
  });

  test("close and abort end a pending wait with closed", async () => {
    const hub = new DashboardHub();
    const a = hub.subscribe()!;
    const pa = a.next(10_000);
    a.close();
    expect(await pa).toBe("closed");
    expect(await a.next(10)).toBe("closed");

    const b = hub.subscribe()!;
    const ac = new AbortController();
    const pb = b.next(10_000, ac.signal);
    ac.abort();
    expect(await pb).toBe("closed");
    expect(hub.clientCount).toBe(0);
    hub.publish(st(1)); // nobody left; nothing happens
  });

  test("an already-aborted signal closes at once", async () => {
    const hub = new DashboardHub();
    const c = hub.subscribe()!;
    expect(await c.next(10_000, AbortSignal.abort())).toBe("closed");
    expect(hub.clientCount).toBe(0);
  });
});
