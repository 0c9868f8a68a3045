/**
 * The ephemeral client APIs on one server, seen through /sync: typing, receipts (public,
 * private, threaded), presence, send-to-device (delivery, acknowledgement, idempotency) and
 * device_lists changed/left.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { JsonObject } from "../../src/events/types.js";
import { SyncFixture, type User } from "./sync-fixture.js";

let fx: SyncFixture;
let alice: User;
let bob: User;
let roomId: string;

const room = (id: string) => encodeURIComponent(id);

beforeAll(async () => {
  fx = await SyncFixture.start();
  alice = await fx.user("alice");
  bob = await fx.user("bob");
  roomId = await fx.createRoom(alice, { name: "Ephemeral", encrypted: true });
  await fx.membership(roomId, bob, bob.userId, "join");
});
afterAll(async () => {
  await fx?.stop();
});

function ephemeral(res: Awaited<ReturnType<SyncFixture["sync"]>>, type: string): JsonObject | undefined {
  return res.rooms.join[roomId]?.ephemeral?.events.find((e) => e.type === type);
}

describe("typing", () => {
  it("a typing user appears in the others' m.typing, and disappears when they stop", async () => {
    const { next_batch } = await fx.sync(bob);
    const pending = fx.sync(bob, { since: next_batch, timeout: 50_000 });
    await fx.syncsWaiting(1);
    await fx.ok(alice, `/rooms/${room(roomId)}/typing/${encodeURIComponent(alice.userId)}`, { method: "PUT", body: { typing: true, timeout: 30_000 } });
    const started = await pending;
    expect(ephemeral(started, "m.typing")).toEqual({ type: "m.typing", content: { user_ids: [alice.userId] } });
    // An initial sync shows who is typing now.
    expect(ephemeral(await fx.sync(bob), "m.typing")).toEqual({ type: "m.typing", content: { user_ids: [alice.userId] } });

    await fx.ok(alice, `/rooms/${room(roomId)}/typing/${encodeURIComponent(alice.userId)}`, { method: "PUT", body: { typing: false } });
    const stopped = await fx.sync(bob, { since: started.next_batch });
    expect(ephemeral(stopped, "m.typing")).toEqual({ type: "m.typing", content: { user_ids: [] } });
  });

  it("one may only type as oneself, in a room one is in", async () => {
    expect((await fx.call(bob, `/rooms/${room(roomId)}/typing/${encodeURIComponent(alice.userId)}`, { method: "PUT", body: { typing: true } })).status).toBe(403);
    const eve = await fx.user("eve");
    expect((await fx.call(eve, `/rooms/${room(roomId)}/typing/${encodeURIComponent(eve.userId)}`, { method: "PUT", body: { typing: true } })).status).toBe(403);
    expect((await fx.call(alice, `/rooms/${room(roomId)}/typing/${encodeURIComponent(alice.userId)}`, { method: "PUT", body: {} })).status).toBe(400);
  });
});

describe("receipts", () => {
  it("m.read reaches everyone; m.read.private only its owner", async () => {
    const eventId = await fx.send(roomId, bob, "read me");
    const aliceBefore = await fx.sync(alice);
    const bobBefore = await fx.sync(bob);
    await fx.ok(alice, `/rooms/${room(roomId)}/receipt/m.read/${encodeURIComponent(eventId)}`, { body: {} });
    const seen = await fx.sync(bob, { since: bobBefore.next_batch });
    const receipt = ephemeral(seen, "m.receipt")!;
    expect(receipt.content).toMatchObject({ [eventId]: { "m.read": { [alice.userId]: { ts: expect.any(Number) } } } });

    await fx.ok(alice, `/rooms/${room(roomId)}/receipt/m.read.private/${encodeURIComponent(eventId)}`, { body: {} });
    const bobAfter = await fx.sync(bob, { since: seen.next_batch });
    expect(ephemeral(bobAfter, "m.receipt")).toBeUndefined();
    const own = await fx.sync(alice, { since: aliceBefore.next_batch });
    expect(ephemeral(own, "m.receipt")!.content).toMatchObject({ [eventId]: { "m.read.private": { [alice.userId]: {} }, "m.read": { [alice.userId]: {} } } });
    // An initial sync carries the room's receipts, private ones to their owner only.
    expect(JSON.stringify(ephemeral(await fx.sync(bob), "m.receipt"))).not.toContain("m.read.private");
  });

  it("threaded receipts keep their thread_id; bad ones are refused", async () => {
    const eventId = await fx.send(roomId, bob, "in a thread");
    const { next_batch } = await fx.sync(bob);
    await fx.ok(alice, `/rooms/${room(roomId)}/receipt/m.read/${encodeURIComponent(eventId)}`, { body: { thread_id: "main" } });
    const res = await fx.sync(bob, { since: next_batch });
    expect(ephemeral(res, "m.receipt")!.content).toMatchObject({ [eventId]: { "m.read": { [alice.userId]: { thread_id: "main" } } } });
    const empty = await fx.call(alice, `/rooms/${room(roomId)}/receipt/m.read/${encodeURIComponent(eventId)}`, { body: { thread_id: "" } });
    expect(empty.status).toBe(400);
    const type = await fx.call(alice, `/rooms/${room(roomId)}/receipt/m.nonsense/${encodeURIComponent(eventId)}`, { body: {} });
    expect(type.status).toBe(400);
    const unknown = await fx.call(alice, `/rooms/${room(roomId)}/receipt/m.read/${encodeURIComponent("$nope")}`, { body: {} });
    expect(unknown.status).toBe(404);
  });
});

describe("presence", () => {
  it("PUT then GET, and the change reaches room members' syncs", async () => {
    const { next_batch } = await fx.sync(bob);
    await fx.ok(alice, `/presence/${encodeURIComponent(alice.userId)}/status`, { method: "PUT", body: { presence: "unavailable", status_msg: "lunch" } });
    const got = await fx.ok(bob, `/presence/${encodeURIComponent(alice.userId)}/status`);
    expect(got).toMatchObject({ presence: "unavailable", status_msg: "lunch", last_active_ago: expect.any(Number) });
    const res = await fx.sync(bob, { since: next_batch });
    expect(res.presence.events).toContainEqual(expect.objectContaining({ type: "m.presence", sender: alice.userId, content: expect.objectContaining({ presence: "unavailable", status_msg: "lunch" }) }));
  });

  it("syncing marks the user online; others cannot set or see strangers' presence", async () => {
    await fx.sync(bob, { set_presence: "online" });
    expect(await fx.ok(alice, `/presence/${encodeURIComponent(bob.userId)}/status`)).toMatchObject({ presence: "online", currently_active: true });
    expect((await fx.call(bob, `/presence/${encodeURIComponent(alice.userId)}/status`, { method: "PUT", body: { presence: "online" } })).status).toBe(403);
    const stranger = await fx.user("stranger");
    expect((await fx.call(stranger, `/presence/${encodeURIComponent(alice.userId)}/status`)).status).toBe(403);
    expect((await fx.call(alice, `/presence/${encodeURIComponent(alice.userId)}/status`, { method: "PUT", body: { presence: "away" } })).status).toBe(400);
  });
});

describe("send-to-device", () => {
  it("delivers to one device or all, once per transaction, and forgets what was acknowledged", async () => {
    const bob2 = await fx.login(bob.userId);
    const first = await fx.sync(bob);
    const second = await fx.sync(bob2);
    const txn = fx.txn();
    const body = { messages: { [bob.userId]: { [bob.deviceId]: { n: 1 } } } };
    await fx.ok(alice, `/sendToDevice/m.test/${txn}`, { method: "PUT", body });
    await fx.ok(alice, `/sendToDevice/m.test/${txn}`, { method: "PUT", body });
    await fx.ok(alice, `/sendToDevice/m.test/${fx.txn()}`, { method: "PUT", body: { messages: { [bob.userId]: { "*": { n: 2 } } } } });

    const got = await fx.sync(bob, { since: first.next_batch });
    expect(got.to_device.events).toEqual([
      { sender: alice.userId, type: "m.test", content: { n: 1 } },
      { sender: alice.userId, type: "m.test", content: { n: 2 } },
    ]);
    const got2 = await fx.sync(bob2, { since: second.next_batch });
    expect(got2.to_device.events).toEqual([{ sender: alice.userId, type: "m.test", content: { n: 2 } }]);

    // Syncing with a token that names them acknowledges them: gone from the inbox.
    const again = await fx.sync(bob, { since: got.next_batch });
    expect(again.to_device.events).toEqual([]);
    const inbox = [...fx.app.storage.store.dbs.toDeviceInbox.getKeys({ start: [bob.userId, bob.deviceId], end: [bob.userId, `${bob.deviceId}\u0000`] })];
    expect(inbox).toEqual([]);
    // Retrying with the old token (before the acknowledgement) no longer sees them.
    expect((await fx.sync(bob, { since: first.next_batch })).to_device.events).toEqual([]);
  });

  it("a long-poll wakes for a to-device message", async () => {
    const { next_batch } = await fx.sync(bob);
    const pending = fx.sync(bob, { since: next_batch, timeout: 50_000 });
    await fx.syncsWaiting(1);
    await fx.ok(alice, `/sendToDevice/m.ping/${fx.txn()}`, { method: "PUT", body: { messages: { [bob.userId]: { [bob.deviceId]: { ping: true } } } } });
    expect((await pending).to_device.events).toEqual([{ sender: alice.userId, type: "m.ping", content: { ping: true } }]);
  });
});

describe("device lists", () => {
  it("a new device of a room member is in changed; a member leaving an encrypted room is in left", async () => {
    const { next_batch } = await fx.sync(alice);
    await fx.login(bob.userId);
    const changed = await fx.sync(alice, { since: next_batch });
    expect(changed.device_lists.changed).toContain(bob.userId);

    const carol = await fx.user("carol");
    await fx.membership(roomId, carol, carol.userId, "join");
    const joined = await fx.sync(alice, { since: changed.next_batch });
    expect(joined.device_lists.changed).toContain(carol.userId);

    await fx.membership(roomId, carol, carol.userId, "leave");
    const left = await fx.sync(alice, { since: joined.next_batch });
    expect(left.device_lists.left).toEqual([carol.userId]);
  });

  it("a user joining an encrypted room learns about everyone in it", async () => {
    const dave = await fx.user("dave");
    const { next_batch } = await fx.sync(dave);
    await fx.membership(roomId, dave, dave.userId, "join");
    const res = await fx.sync(dave, { since: next_batch });
    expect(res.device_lists.changed).toEqual(expect.arrayContaining([alice.userId, bob.userId]));
  });
});
