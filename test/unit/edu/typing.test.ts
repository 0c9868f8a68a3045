import { describe, expect, it } from "vitest";
import { EduNotifier, type EduChange } from "../../../src/edu/notifier.js";
import { TypingStore } from "../../../src/edu/typing.js";

describe("TypingStore", () => {
  function store() {
    let now = 1_000_000;
    const notifier = new EduNotifier();
    const changes: EduChange[] = [];
    notifier.onChange((c) => changes.push(c));
    const typing = new TypingStore(notifier, () => now);
    return { typing, changes, advance: (ms: number) => (now += ms) };
  }

  it("tracks typers per room and reports changed rooms since a position", () => {
    const { typing, changes } = store();
    expect(typing.set("!a", "@u:x", true)).toBe(true);
    expect(typing.set("!a", "@u:x", true)).toBe(false); // a repeat extends, it is not a change
    expect(typing.set("!b", "@v:x", true)).toBe(true);
    const mid = typing.position;
    expect(typing.set("!a", "@w:x", true)).toBe(true);
    expect(typing.since(0).rooms.map((r) => r.roomId)).toEqual(["!b", "!a"]);
    expect(typing.since(mid)).toEqual({ position: typing.position, rooms: [{ roomId: "!a", userIds: ["@u:x", "@w:x"], pos: typing.position }] });
    expect(typing.set("!a", "@u:x", false)).toBe(true);
    expect(typing.set("!a", "@u:x", false)).toBe(false);
    expect(typing.usersIn("!a")).toEqual(["@w:x"]);
    expect(changes.map((c) => [c.stream, c.roomId])).toEqual([
      ["typing", "!a"],
      ["typing", "!b"],
      ["typing", "!a"],
      ["typing", "!a"],
    ]);
    typing.close();
  });

  it("expires a typer after the timeout and announces the change", () => {
    const { typing, changes, advance } = store();
    typing.set("!a", "@u:x", true, 30_000);
    advance(29_999);
    expect(typing.usersIn("!a")).toEqual(["@u:x"]);
    const before = typing.position;
    advance(2);
    expect(typing.usersIn("!a")).toEqual([]);
    expect(typing.position).toBe(before + 1);
    expect(typing.since(before).rooms).toEqual([{ roomId: "!a", userIds: [], pos: before + 1 }]);
    expect(changes.at(-1)).toEqual({ stream: "typing", pos: before + 1, roomId: "!a" });
    typing.close();
  });
});

describe("EduNotifier.waitFor", () => {
  it("resolves with the first matching change, or undefined on abort", async () => {
    const n = new EduNotifier();
    const waiting = n.waitFor((c) => c.stream === "receipts", 60_000);
    n.emit({ stream: "typing", pos: 1, roomId: "!a" });
    n.emit({ stream: "receipts", pos: 7, roomId: "!a" });
    expect(await waiting).toEqual({ stream: "receipts", pos: 7, roomId: "!a" });
    const ac = new AbortController();
    const aborted = n.waitFor(() => true, 60_000, ac.signal);
    ac.abort();
    expect(await aborted).toBeUndefined();
  });
});
