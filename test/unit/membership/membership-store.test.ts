import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { MembershipStore, membershipStore, type MembershipChange } from "../../../src/rooms/membership/membership-store.js";
import type { Pdu } from "../../../src/events/types.js";
import { Storage } from "../../../src/storage/storage.js";

const USER = "@bob:local.test";
const stripped = [{ type: "m.room.create", state_key: "", sender: "@c:r.test", content: { room_version: "12" } }];
const event = (room: string, membership: string) =>
  JSON.stringify({ type: "m.room.member", state_key: USER, sender: "@c:r.test", room_id: room, content: { membership } });

describe("MembershipStore", () => {
  let dir: string;
  let storage: Storage;
  let store: MembershipStore;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "conflux-membership-"));
    storage = Storage.open(dir);
    store = membershipStore(storage);
  });
  afterEach(async () => {
    await storage.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("records invites and knocks per user, with stripped state and the event", async () => {
    await store.putInvite({ userId: USER, roomId: "!a:r.test", roomVersion: "12", event: event("!a:r.test", "invite"), strippedState: stripped, origin: "r.test" });
    await store.putKnock({ userId: USER, roomId: "!b:r.test", roomVersion: "10", event: event("!b:r.test", "knock"), strippedState: [] });
    const [inv] = store.invitesOf(USER);
    expect(inv).toMatchObject({ kind: "invite", userId: USER, roomId: "!a:r.test", roomVersion: "12", origin: "r.test", strippedState: stripped });
    expect(inv!.event.content).toEqual({ membership: "invite" });
    expect(store.knocksOf(USER).map((k) => [k.roomId, k.origin])).toEqual([["!b:r.test", undefined]]);
    expect(store.invitesOf("@other:local.test")).toEqual([]);
    expect(store.knock(USER, "!a:r.test")).toBeUndefined();
  });

  it("numbers every change on one stream, reports it to listeners, and can replay it", async () => {
    const seen: MembershipChange[] = [];
    const off = store.onChange((c) => seen.push(c));
    const p1 = await store.putKnock({ userId: USER, roomId: "!a:r.test", roomVersion: "10", event: event("!a:r.test", "knock"), strippedState: [] });
    // An invite answers the knock: the knock ends in the same write.
    const p2 = await store.putInvite({ userId: USER, roomId: "!a:r.test", roomVersion: "10", event: event("!a:r.test", "invite"), strippedState: [] });
    const p3 = await store.removeInvite(USER, "!a:r.test");
    expect(await store.removeInvite(USER, "!a:r.test")).toBeUndefined();
    off();
    expect(p1).toBe(1);
    expect(p2).toBe(3);
    expect(p3).toBe(4);
    expect(store.position).toBe(4);
    const expected = [
      { pos: 1, kind: "knock", userId: USER, roomId: "!a:r.test", removed: false },
      { pos: 2, kind: "knock", userId: USER, roomId: "!a:r.test", removed: true },
      { pos: 3, kind: "invite", userId: USER, roomId: "!a:r.test", removed: false },
      { pos: 4, kind: "invite", userId: USER, roomId: "!a:r.test", removed: true },
    ];
    expect(seen).toEqual(expected);
    expect(store.since(0)).toEqual({ position: 4, changes: expected });
    expect(store.since(2, 1)).toEqual({ position: 4, changes: [expected[2]] });
    expect(store.since(4)).toEqual({ position: 4, changes: [] });
    expect(store.knock(USER, "!a:r.test")).toBeUndefined();
  });

  it("a removal by a leave handshake keeps the leave event on the stream (for /sync's rooms.leave)", async () => {
    await store.putInvite({ userId: USER, roomId: "!a:r.test", roomVersion: "12", event: event("!a:r.test", "invite"), strippedState: [] });
    const leave = { eventId: "$leave", event: JSON.parse(event("!a:r.test", "leave")) as Pdu };
    const seen: MembershipChange[] = [];
    const off = store.onChange((c) => seen.push(c));
    await store.removeInvite(USER, "!a:r.test", leave);
    off();
    const removal = { pos: 2, kind: "invite", userId: USER, roomId: "!a:r.test", removed: true, leave };
    expect(seen).toEqual([removal]);
    expect(store.since(1).changes).toEqual([removal]);
  });

  it("positions survive a restart and several writes in one turn stay ordered", async () => {
    await Promise.all([
      store.putInvite({ userId: USER, roomId: "!a:r.test", roomVersion: "1", event: event("!a:r.test", "invite"), strippedState: [] }),
      store.putInvite({ userId: USER, roomId: "!b:r.test", roomVersion: "1", event: event("!b:r.test", "invite"), strippedState: [] }),
    ]);
    expect(store.since(0).changes.map((c) => [c.pos, c.roomId])).toEqual([
      [1, "!a:r.test"],
      [2, "!b:r.test"],
    ]);
    await storage.close();
    storage = Storage.open(dir);
    store = membershipStore(storage);
    expect(store.position).toBe(2);
    expect(await store.removeInvite(USER, "!b:r.test")).toBe(3);
    expect(store.invitesOf(USER).map((i) => i.roomId)).toEqual(["!a:r.test"]);
  });
});
