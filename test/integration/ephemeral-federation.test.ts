/**
 * Ephemeral data across two real Conflux servers (HTTPS on loopback, each trusting the other's
 * self-signed certificate): typing, receipts, presence, to-device messages and device-list
 * updates travel as EDUs through the outbound queues and wake the other server's /sync.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { accountsOf } from "../../src/accounts/of-app.js";
import { eduServices } from "../../src/edu/index.js";
import type { JsonObject } from "../../src/events/types.js";
import { joinRemoteRoom } from "../../src/outbound/membership/index.js";
import { startTwoServers, type TwoServers } from "../helpers/two-servers.js";
import { SyncFixture, type SyncBody, type User } from "./sync-fixture.js";

/** Long-poll until `pick` finds what it wants in a response (each sync wakes on news). */
async function syncUntil<T>(fx: SyncFixture, user: User, since: string, pick: (res: SyncBody) => T | undefined): Promise<T> {
  let token = since;
  for (let i = 0; i < 50; i++) {
    const res = await fx.sync(user, { since: token, timeout: 30_000 });
    const found = pick(res);
    if (found !== undefined) return found;
    token = res.next_batch;
  }
  throw new Error("never arrived");
}

let servers: TwoServers<SyncFixture>;
let A: SyncFixture;
let B: SyncFixture;
let alice: User;
let bob: User;
let roomId: string;

beforeAll(async () => {
  servers = await startTwoServers({ prefix: "conflux-eph-", launch: (o) => SyncFixture.start(o), appOf: (fx) => fx.app });
  A = servers.a.running;
  B = servers.b.running;
  alice = await A.user("alice");
  bob = await B.user("bob");
  roomId = await A.createRoom(alice, { name: "Across", encrypted: true });
  // The resident (A) holds bob's join when the send_join handshake returns.
  await joinRemoteRoom(B.app, { roomId, servers: [A.app.serverName], userId: bob.userId });
});
afterAll(async () => {
  await servers?.stop();
});

function ephemeralOf(res: SyncBody, type: string): JsonObject | undefined {
  return res.rooms.join[roomId]?.ephemeral?.events.find((e) => e.type === type);
}

describe("EDUs between two servers", () => {
  it("joining a room with a new server announces the joiner's devices to it", async () => {
    // B records bob's devices as changes when he joins A's room, so A gets m.device_list_update
    // EDUs for him (and resynchronises his whole list, having never had one).
    const lists = eduServices(A.app).deviceLists;
    const latest = () => accountsOf(B.app).deviceLists.streamId(bob.userId);
    // The EDU can land before A's resync of the whole list finishes (`stale` until then).
    const settled = () => lists.state(bob.userId)?.lastStreamId === latest() && lists.state(bob.userId)?.stale === false;
    for (let i = 0; i < 400 && !settled(); i++) await new Promise((r) => setTimeout(r, 25));
    // Registration was bob's first change; the join added one per device.
    expect(latest()).toBeGreaterThan(1);
    expect(lists.state(bob.userId)).toMatchObject({ lastStreamId: latest(), stale: false });
  });

  it("typing on A shows up in B's sync", async () => {
    const { next_batch } = await B.sync(bob);
    await A.ok(alice, `/rooms/${encodeURIComponent(roomId)}/typing/${encodeURIComponent(alice.userId)}`, { method: "PUT", body: { typing: true, timeout: 30_000 } });
    const typing = await syncUntil(B, bob, next_batch, (res) => {
      const e = ephemeralOf(res, "m.typing");
      return e && (e.content as { user_ids: string[] }).user_ids.includes(alice.userId) ? e : undefined;
    });
    expect(typing).toEqual({ type: "m.typing", content: { user_ids: [alice.userId] } });
    const stopped = (await B.sync(bob)).next_batch;
    await A.ok(alice, `/rooms/${encodeURIComponent(roomId)}/typing/${encodeURIComponent(alice.userId)}`, { method: "PUT", body: { typing: false } });
    const after = await syncUntil(B, bob, stopped, (res) => ephemeralOf(res, "m.typing"));
    expect(after).toEqual({ type: "m.typing", content: { user_ids: [] } });
  });

  it("a read receipt on B reaches A", async () => {
    const before = await B.sync(bob);
    const eventId = await A.send(roomId, alice, "read this");
    // B must hold the event before bob can acknowledge it.
    await syncUntil(B, bob, before.next_batch, (res) => (res.rooms.join[roomId]?.timeline.events.some((e) => e.event_id === eventId) ? true : undefined));
    const { next_batch } = await A.sync(alice);
    await B.ok(bob, `/rooms/${encodeURIComponent(roomId)}/receipt/m.read/${encodeURIComponent(eventId)}`, { body: {} });
    const receipt = await syncUntil(A, alice, next_batch, (res) => ephemeralOf(res, "m.receipt"));
    expect(receipt.content).toMatchObject({ [eventId]: { "m.read": { [bob.userId]: { ts: expect.any(Number) } } } });
  });

  it("presence set on A reaches B", async () => {
    const { next_batch } = await B.sync(bob);
    await A.ok(alice, `/presence/${encodeURIComponent(alice.userId)}/status`, { method: "PUT", body: { presence: "online", status_msg: "federating" } });
    const event = await syncUntil(B, bob, next_batch, (res) => res.presence.events.find((e) => e.sender === alice.userId));
    expect(event.content).toMatchObject({ presence: "online", status_msg: "federating" });
  });

  it("a to-device message from A reaches bob's device on B", async () => {
    const { next_batch } = await B.sync(bob);
    await A.ok(alice, `/sendToDevice/m.room_key_request/${A.txn()}`, { method: "PUT", body: { messages: { [bob.userId]: { [bob.deviceId]: { hello: "bob" } } } } });
    const msgs = await syncUntil(B, bob, next_batch, (res) => (res.to_device.events.length > 0 ? res.to_device.events : undefined));
    expect(msgs).toEqual([{ sender: alice.userId, type: "m.room_key_request", content: { hello: "bob" } }]);
  });

  it("a new device of bob's on B puts bob in A's device_lists.changed", async () => {
    const { next_batch } = await A.sync(alice);
    await B.login(bob.userId);
    const changed = await syncUntil(A, alice, next_batch, (res) => (res.device_lists.changed.includes(bob.userId) ? res.device_lists.changed : undefined));
    expect(changed).toContain(bob.userId);
  });
});
