import { describe, expect, it } from "vitest";
import { Mailbox, MailboxFullError } from "../../../src/rooms/mailbox.js";
import { ActorRegistry } from "../../../src/rooms/registry.js";

const tick = () => new Promise((r) => setImmediate(r));

describe("Mailbox", () => {
  it("runs jobs one at a time in arrival order", async () => {
    const mb = new Mailbox("room", 100);
    const log: string[] = [];
    let active = 0;
    let maxActive = 0;
    const job = (name: string) => async () => {
      active++;
      maxActive = Math.max(maxActive, active);
      log.push(`start ${name}`);
      await tick();
      log.push(`end ${name}`);
      active--;
      return name;
    };
    const results = await Promise.all([mb.enqueue(job("a")), mb.enqueue(job("b")), mb.enqueue(job("c"))]);
    expect(results).toEqual(["a", "b", "c"]);
    expect(maxActive).toBe(1);
    expect(log).toEqual(["start a", "end a", "start b", "end b", "start c", "end c"]);
  });

  it("rejects with MailboxFullError when capacity jobs are waiting, and recovers", async () => {
    const mb = new Mailbox("room", 2);
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const running = mb.enqueue(() => gate);
    await tick();
    const w1 = mb.enqueue(async () => 1);
    const w2 = mb.enqueue(async () => 2);
    await expect(mb.enqueue(async () => 3)).rejects.toBeInstanceOf(MailboxFullError);
    expect(mb.depth).toBe(2);
    release();
    await running;
    expect(await w1).toBe(1);
    expect(await w2).toBe(2);
    expect(await mb.enqueue(async () => 4)).toBe(4);
  });

  it("a failing job rejects its caller only; the next job still runs", async () => {
    const mb = new Mailbox("room", 10);
    const bad = mb.enqueue(async () => {
      throw new Error("boom");
    });
    const good = mb.enqueue(async () => "ok");
    await expect(bad).rejects.toThrow("boom");
    expect(await good).toBe("ok");
  });

  it("whenIdle resolves after queued work", async () => {
    const mb = new Mailbox("room", 10);
    let done = 0;
    for (let i = 0; i < 5; i++) void mb.enqueue(async () => { await tick(); done++; });
    await mb.whenIdle();
    expect(done).toBe(5);
    expect(mb.busy).toBe(false);
  });
});

describe("ActorRegistry", () => {
  const make = (id: string) => ({ id, mailbox: new Mailbox(id, 10) });

  it("creates actors on demand and returns the same actor for a room", () => {
    const reg = new ActorRegistry(make, { maxActors: 10, idleMs: 1000 });
    expect(reg.get("!a")).toBe(reg.get("!a"));
    expect(reg.size).toBe(1);
  });

  it("evicts least recently used idle actors beyond maxActors, never busy ones", async () => {
    const reg = new ActorRegistry(make, { maxActors: 2, idleMs: 1000 });
    const a = reg.get("!a");
    let release!: () => void;
    const busy = a.mailbox.enqueue(() => new Promise<void>((r) => (release = r)));
    reg.get("!b");
    reg.get("!c"); // over the limit: !a is LRU but busy, so !b goes
    expect(reg.peek("!a")).toBe(a);
    expect(reg.peek("!b")).toBeUndefined();
    expect(reg.peek("!c")).toBeDefined();
    release();
    await busy;
  });

  it("sweep drops actors idle longer than idleMs", () => {
    const reg = new ActorRegistry(make, { maxActors: 10, idleMs: 50 });
    const a = reg.get("!a");
    reg.get("!b");
    a.mailbox.lastActivity = Date.now() - 100;
    expect(reg.sweep()).toBe(1);
    expect(reg.peek("!a")).toBeUndefined();
    expect(reg.peek("!b")).toBeDefined();
  });
});
