import { describe, expect, it } from "vitest";
import { KeyedMutex } from "../../../src/accounts/keyed-mutex.js";
import { checkUsername } from "../../../src/accounts/username.js";
import { RateLimiter } from "../../../src/client/rate-limit.js";

describe("checkUsername", () => {
  it("folds upper case and accepts the localpart grammar", () => {
    expect(checkUsername("Alice.B_c=d-e/f+g", "example.org")).toEqual({ ok: true, localpart: "alice.b_c=d-e/f+g", userId: "@alice.b_c=d-e/f+g:example.org" });
  });

  it.each([[""], ["al ice"], ["al:ice"], ["élodie"], ["12345"], ["a".repeat(250)]])("rejects %j with M_INVALID_USERNAME", (name) => {
    const r = checkUsername(name, "example.org");
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error.errcode).toBe("M_INVALID_USERNAME");
  });
});

describe("RateLimiter", () => {
  it("allows a burst, then refills at the configured rate", () => {
    let now = 0;
    const limiter = new RateLimiter({ ratePerSecond: 2, burst: 3, now: () => now });
    expect([limiter.take("u"), limiter.take("u"), limiter.take("u")]).toEqual([0, 0, 0]);
    expect(limiter.take("u")).toBe(500);
    expect(limiter.take("other")).toBe(0);
    now = 500;
    expect(limiter.take("u")).toBe(0);
    expect(limiter.take("u")).toBeGreaterThan(0);
    now = 100_000;
    expect([limiter.take("u"), limiter.take("u"), limiter.take("u"), limiter.take("u")].filter((w) => w === 0)).toHaveLength(3);
  });

  it("forgets idle requesters instead of growing without bound", () => {
    let now = 0;
    const limiter = new RateLimiter({ ratePerSecond: 10, burst: 1, now: () => now, maxBuckets: 4 });
    for (let i = 0; i < 4; i++) limiter.take(`ip${i}`);
    now = 10_000;
    limiter.take("new");
    expect(limiter.size).toBe(1);
  });
});

describe("KeyedMutex", () => {
  it("runs jobs of one key in order, one at a time, and different keys concurrently", async () => {
    const mutex = new KeyedMutex();
    const log: string[] = [];
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const a1 = mutex.run("a", async () => {
      log.push("a1 start");
      await gate;
      log.push("a1 end");
    });
    const a2 = mutex.run("a", async () => {
      log.push("a2");
    });
    const b = mutex.run("b", async () => {
      log.push("b");
    });
    await b;
    expect(log).toEqual(["a1 start", "b"]);
    release();
    await Promise.all([a1, a2]);
    expect(log).toEqual(["a1 start", "b", "a1 end", "a2"]);
    expect(mutex.size).toBe(0);
  });

  it("releases the key when a job throws", async () => {
    const mutex = new KeyedMutex();
    await expect(mutex.run("k", () => Promise.reject(new Error("boom")))).rejects.toThrow("boom");
    await expect(mutex.run("k", async () => 7)).resolves.toBe(7);
  });
});
