import { describe, expect, it } from "vitest";
import { SyncNotifier } from "../../../src/client/sync/notifier.js";

describe("sync notifier", () => {
  it("wakes the waiters of a room and of a user, and only those", async () => {
    const n = new SyncNotifier();
    const inRoom = n.wait("@a:x", ["!r:x"], 60_000);
    const otherRoom = n.wait("@b:x", ["!s:x"], 60_000);
    const user = n.wait("@c:x", [], 60_000);
    expect(n.waiting).toBe(3);
    n.wakeRoom("!r:x");
    n.wakeUser("@c:x");
    expect(await inRoom).toBe(true);
    expect(await user).toBe(true);
    expect(n.waiting).toBe(1);
    expect(n.hasRoomWaiters("!r:x")).toBe(false);
    expect(n.hasRoomWaiters("!s:x")).toBe(true);
    n.close();
    expect(await otherRoom).toBe(false);
    expect(n.waiting).toBe(0);
  });

  it("times out with false and unregisters", async () => {
    const n = new SyncNotifier();
    expect(await n.wait("@a:x", ["!r:x"], 5)).toBe(false);
    expect(n.waiting).toBe(0);
    expect(n.hasRoomWaiters("!r:x")).toBe(false);
    expect(await n.wait("@a:x", ["!r:x"], 0)).toBe(false);
  });

  it("wakes a thousand waiters of one room with one call", async () => {
    const n = new SyncNotifier();
    const all = Array.from({ length: 1000 }, (_, i) => n.wait(`@u${i}:x`, ["!busy:x", `!own${i}:x`], 60_000));
    n.wakeRoom("!busy:x");
    expect((await Promise.all(all)).every(Boolean)).toBe(true);
    expect(n.waiting).toBe(0);
    expect(n.hasRoomWaiters("!own5:x")).toBe(false);
  });
});
