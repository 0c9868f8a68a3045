import { afterAll, describe, expect, it } from "vitest";
import { RemoteDeviceLists } from "../../../src/edu/device-lists.js";
import { EduNotifier } from "../../../src/edu/notifier.js";
import { PresenceStore } from "../../../src/edu/presence.js";
import { receiptEventContent, ReceiptStore } from "../../../src/edu/receipts.js";
import { ToDeviceInbox } from "../../../src/edu/to-device.js";
import { tempStorage } from "../storage/helpers.js";

const temp = tempStorage();
afterAll(() => temp.cleanup());

describe("ReceiptStore", () => {
  it("keeps the latest receipt per room/type/user/thread and streams each change once", async () => {
    const storage = temp.open("receipts");
    const receipts = new ReceiptStore(storage, new EduNotifier());
    await receipts.put([
      { roomId: "!r", receiptType: "m.read", userId: "@a:x", eventIds: ["$1"], data: { ts: 1 } },
      { roomId: "!r", receiptType: "m.read", userId: "@b:x", eventIds: ["$1"], data: { ts: 2 } },
    ]);
    const mid = receipts.position;
    expect(await receipts.put([{ roomId: "!r", receiptType: "m.read", userId: "@a:x", eventIds: ["$1"], data: { ts: 1 } }])).toBe(0);
    expect(receipts.position).toBe(mid);
    await receipts.put([{ roomId: "!r", receiptType: "m.read", userId: "@a:x", eventIds: ["$2"], data: { ts: 3 } }]);
    // a@x moved: only its newest state is streamed, once.
    expect(receipts.since(0).entries.map((e) => [e.userId, e.eventIds[0]])).toEqual([
      ["@b:x", "$1"],
      ["@a:x", "$2"],
    ]);
    expect(receipts.since(mid).entries.map((e) => e.userId)).toEqual(["@a:x"]);
    expect(receiptEventContent(receipts.forRoom("!r"))).toEqual({
      $2: { "m.read": { "@a:x": { ts: 3 } } },
      $1: { "m.read": { "@b:x": { ts: 2 } } },
    });
  });

  it("continues its stream position after a restart", async () => {
    const first = temp.open("receipts-restart");
    const receipts = new ReceiptStore(first, new EduNotifier());
    await receipts.put([{ roomId: "!r", receiptType: "m.read", userId: "@a:x", eventIds: ["$1"], data: { ts: 1 } }]);
    await receipts.put([{ roomId: "!r", receiptType: "m.read", userId: "@a:x", eventIds: ["$2"], data: { ts: 2 } }]);
    const pos = receipts.position;
    await first.close();
    const again = new ReceiptStore(temp.open("receipts-restart"), new EduNotifier());
    expect(again.position).toBe(pos);
    await again.put([{ roomId: "!r", receiptType: "m.read", userId: "@c:x", eventIds: ["$3"], data: { ts: 3 } }]);
    expect(again.position).toBe(pos + 1);
  });
});

describe("PresenceStore", () => {
  it("stores absolute last-active times and ignores repeats within the granularity", async () => {
    let now = 10_000_000;
    const presence = new PresenceStore(temp.open("presence"), new EduNotifier(), () => now);
    expect(await presence.put([{ userId: "@a:x", presence: "online", lastActiveAgo: 1000, currentlyActive: true }])).toBe(1);
    expect(presence.get("@a:x")).toMatchObject({ presence: "online", lastActiveTs: now - 1000, currentlyActive: true });
    now += 30_000;
    expect(await presence.put([{ userId: "@a:x", presence: "online", lastActiveAgo: 31_000, currentlyActive: true }])).toBe(0);
    expect(await presence.put([{ userId: "@a:x", presence: "unavailable", lastActiveAgo: 31_000 }])).toBe(1);
    expect(presence.since(0).entries.map((e) => e.presence)).toEqual(["unavailable"]);
  });
});

describe("RemoteDeviceLists", () => {
  it("applies updates in sequence, skips duplicates, and marks gaps stale", async () => {
    const lists = new RemoteDeviceLists(temp.open("devices"), new EduNotifier());
    const u = "@u:remote";
    const up = (deviceId: string, streamId: number, prevIds: number[], deleted = false) => ({ userId: u, deviceId, streamId, prevIds, deleted });
    // Never held a full list: applied, but stale.
    expect(await lists.applyUpdates([up("A", 1, [])])).toEqual(["applied_stale"]);
    await lists.replaceList(u, 4, [{ deviceId: "A" }, { deviceId: "B", displayName: "b" }]);
    expect(lists.state(u)).toMatchObject({ lastStreamId: 4, stale: false });
    expect(await lists.applyUpdates([up("C", 5, [4]), up("C", 5, [4]), up("B", 6, [5], true)])).toEqual(["applied", "duplicate", "applied"]);
    expect(lists.devices(u).map((d) => d.deviceId)).toEqual(["A", "C"]);
    expect(await lists.applyUpdates([up("D", 3, [2])])).toEqual(["duplicate"]);
    expect(await lists.applyUpdates([up("D", 9, [8])])).toEqual(["applied_stale"]);
    expect(lists.state(u)?.stale).toBe(true);
    // One stream row per user: the latest change.
    expect(lists.since(0).changes).toEqual([{ pos: lists.position, userId: u }]);
  });
});

describe("ToDeviceInbox", () => {
  it("delivers once per (origin, message_id), reads from a position, deletes what was seen, prunes IDs", async () => {
    let now = 5_000_000;
    const inbox = new ToDeviceInbox(temp.open("to-device"), new EduNotifier(), () => now);
    const msg = { sender: "@s:remote", type: "m.test", content: { n: 1 } };
    expect(await inbox.deliver([{ userId: "@a:local", deviceId: "D", message: msg }], { origin: "remote", messageId: "x" })).toBe(true);
    expect(await inbox.deliver([{ userId: "@a:local", deviceId: "D", message: msg }], { origin: "remote", messageId: "x" })).toBe(false);
    expect(await inbox.deliver([{ userId: "@a:local", deviceId: "D", message: msg }], { origin: "other", messageId: "x" })).toBe(true);
    const { messages } = inbox.since("@a:local", "D", 0);
    expect(messages).toHaveLength(2);
    expect(inbox.since("@a:local", "E", 0).messages).toEqual([]);
    expect(await inbox.deleteUpTo("@a:local", "D", messages[0]!.pos)).toBe(1);
    expect(inbox.since("@a:local", "D", 0).messages.map((m) => m.pos)).toEqual([messages[1]!.pos]);
    now += 10;
    expect(await inbox.pruneDedup(now)).toBe(2);
    expect(await inbox.deliver([{ userId: "@a:local", deviceId: "D", message: msg }], { origin: "remote", messageId: "x" })).toBe(true);
  });
});
