import { expect, test } from "bun:test";
import { MinHeap } from "../../src/monitor/heap.ts";

test("pops in key order, ties in any order", () => {
  const h = new MinHeap<string>();
  const keys = [5, 3, 9, 1, 7, 3, 0, 12, 4];
  for (const [i, k] of keys.entries()) h.push(k, `v${i}`);
  expect(h.size).toBe(keys.length);
  expect(h.peekKey()).toBe(0);
  const out: number[] = [];
  while (h.size) {
    const k = h.peekKey()!;
    h.pop();
    out.push(k);
  }
  expect(out).toEqual([...keys].sort((a, b) => a - b));
  expect(h.pop()).toBeUndefined();
  expect(h.peekKey()).toBeUndefined();
});

test("random pushes and pops stay ordered", () => {
  const h = new MinHeap<number>();
  let seed = 42;
  const rnd = () => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed;
  };
  const ref: number[] = [];
  for (let i = 0; i < 5000; i++) {
    if (rnd() % 3 === 0 && ref.length) {
      ref.sort((a, b) => a - b);
      expect(h.pop()).toBe(ref.shift()!);
    } else {
      const k = rnd() % 1000;
      h.push(k, k);
      ref.push(k);
    }
  }
  expect(h.size).toBe(ref.length);
});

test("clear empties", () => {
  const h = new MinHeap<number>();
  h.push(1, 1);
  h.clear();
  expect(h.size).toBe(0);
});

test("tags travel with their entries through pushes and pops", () => {
  const h = new MinHeap<string>();
  const keys = [9, 3, 7, 1, 8, 2, 6, 4, 5, 0, 11, 10, 15, 13, 12, 14, 16, 17];
  for (const k of keys) h.push(k, `v${k}`, k * 10);
  const out: [number, number, string][] = [];
  while (h.size > 0) {
    const k = h.peekKey() as number;
    const t = h.peekTag();
    out.push([k, t, h.pop() as string]);
  }
  expect(out).toEqual([...keys].sort((a, b) => a - b).map((k) => [k, k * 10, `v${k}`]));
  expect(h.peekTag()).toBe(0);
});
