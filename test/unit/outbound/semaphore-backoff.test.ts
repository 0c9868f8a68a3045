import { describe, expect, it } from "vitest";
import { FailureBackoff } from "../../../src/outbound/backoff.js";
import { Semaphore } from "../../../src/outbound/semaphore.js";

describe("Semaphore", () => {
  it("grants up to the limit, then queues in FIFO order", async () => {
    const s = new Semaphore(2);
    const r1 = await s.acquire();
    const r2 = await s.acquire();
    const order: number[] = [];
    const w3 = s.acquire().then((r) => (order.push(3), r));
    const w4 = s.acquire().then((r) => (order.push(4), r));
    expect(s.waiting).toBe(2);
    r1();
    r1(); // releasing twice frees one slot only
    const r3 = await w3;
    expect(s.inUse).toBe(2);
    expect(order).toEqual([3]);
    r2();
    const r4 = await w4;
    expect(order).toEqual([3, 4]);
    r3();
    r4();
    expect(s.inUse).toBe(0);
  });

  it("drops an aborted waiter from the queue", async () => {
    const s = new Semaphore(1);
    const r1 = await s.acquire();
    const ac = new AbortController();
    const waiting = s.acquire(ac.signal);
    ac.abort(new Error("gone"));
    await expect(waiting).rejects.toThrow("gone");
    expect(s.waiting).toBe(0);
    r1();
    expect(s.inUse).toBe(0);
    await expect(s.acquire(AbortSignal.abort(new Error("already")))).rejects.toThrow("already");
  });

  it("refuses a limit below 1", () => {
    expect(() => new Semaphore(0)).toThrow(RangeError);
  });
});

describe("FailureBackoff", () => {
  it("doubles from the base up to the maximum and resets on success", () => {
    let now = 0;
    const b = new FailureBackoff({ baseMs: 10, maxMs: 50, now: () => now });
    expect(b.blocked("x")).toBe(false);
    const delays = [1, 2, 3, 4, 5].map(() => b.failed("x") - now);
    expect(delays).toEqual([10, 20, 40, 50, 50]);
    expect(b.blocked("x")).toBe(true);
    expect(b.retryAt("x")).toBe(50);
    now = 50;
    expect(b.blocked("x")).toBe(false);
    b.succeeded("x");
    expect(b.failed("x") - now).toBe(10);
    expect(b.blocked("y")).toBe(false);
  });

  it("forgets the oldest servers beyond maxEntries", () => {
    const b = new FailureBackoff({ baseMs: 10, maxMs: 10, now: () => 0, maxEntries: 2 });
    b.failed("a");
    b.failed("b");
    b.failed("c");
    expect(b.blocked("a")).toBe(false);
    expect(b.blocked("c")).toBe(true);
  });
});
