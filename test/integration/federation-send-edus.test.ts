import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { eduServices, type EduServices } from "../../src/edu/index.js";
import type { JsonObject, JsonValue } from "../../src/events/types.js";
import { waitFor } from "../helpers/wait.js";
import { SendFixture } from "./federation-send-fixture.js";

type Results = { pdus: Record<string, { error?: string }> };

describe("PUT /send/{txnId}: EDUs and server ACLs", () => {
  let fx: SendFixture;
  let edu: EduServices;
  let aclRoom: string;
  let userDevices: JsonObject | undefined;

  beforeAll(async () => {
    fx = await SendFixture.start();
    edu = eduServices(fx.app);
    edu.setLocalDeviceDirectory({ devicesOf: (userId) => (userId === fx.alice ? ["PHONE", "LAPTOP"] : undefined) });
    fx.remote.on("GET", "/_matrix/federation/v1/user/devices/:userId", () => {
      if (!userDevices) throw new Error("no answer prepared");
      return userDevices as JsonValue;
    });
    // A second room bob joins, which alice then closes to bob's server with a server ACL.
    aclRoom = await fx.createRoom();
    await fx.join(aclRoom);
    await fx.app.rooms.send(aclRoom, {
      type: "m.room.server_acl",
      stateKey: "",
      sender: fx.alice,
      content: { allow: ["*"], deny: ["127.0.0.1"], allow_ip_literals: true },
    });
  });
  afterAll(async () => {
    await fx?.stop();
  });

  const eduOf = (edu_type: string, content: JsonObject): JsonObject => ({ edu_type, content });

  it("stores typing for a joined remote user and clears it when they stop", async () => {
    const before = edu.typing.position;
    const res = await fx.send([], [eduOf("m.typing", { room_id: fx.roomId, user_id: fx.bob, typing: true })]);
    expect(res.status).toBe(200);
    expect(res.json()).toEqual({ pdus: {} });
    expect(edu.typing.usersIn(fx.roomId)).toEqual([fx.bob]);
    const changes = edu.typing.since(before);
    expect(changes.rooms).toEqual([{ roomId: fx.roomId, userIds: [fx.bob], pos: changes.position }]);

    await fx.send([], [eduOf("m.typing", { room_id: fx.roomId, user_id: fx.bob, typing: false })]);
    expect(edu.typing.usersIn(fx.roomId)).toEqual([]);
  });

  it("ignores typing for users of another server or not in the room", async () => {
    await fx.send([], [
      eduOf("m.typing", { room_id: fx.roomId, user_id: fx.alice, typing: true }),
      eduOf("m.typing", { room_id: fx.roomId, user_id: fx.remote.userId("carol"), typing: true }),
      eduOf("m.unknown_thing", { whatever: 1 }),
    ]);
    expect(edu.typing.usersIn(fx.roomId)).toEqual([]);
  });

  it("stores receipts, updating only the entries present", async () => {
    const m = fx.message("read me");
    await fx.send([m.pdu]);
    const receipt = (eventId: string, ts: number): JsonObject => ({
      [fx.roomId]: { "m.read": { [fx.bob]: { event_ids: [eventId], data: { ts } } } },
    });
    const before = edu.receipts.position;
    await fx.send([], [eduOf("m.receipt", receipt(m.eventId, 1000))]);
    expect(edu.receipts.get(fx.roomId, "m.read", fx.bob)).toMatchObject({ eventIds: [m.eventId], data: { ts: 1000 } });
    const threaded = { [fx.roomId]: { "m.read": { [fx.bob]: { event_ids: [m.eventId], data: { ts: 2000, thread_id: "$root" } } } } };
    await fx.send([], [eduOf("m.receipt", threaded)]);
    // The unthreaded receipt is untouched by the threaded one.
    expect(edu.receipts.get(fx.roomId, "m.read", fx.bob)?.data).toEqual({ ts: 1000 });
    expect(edu.receipts.get(fx.roomId, "m.read", fx.bob, "$root")?.data).toEqual({ ts: 2000, thread_id: "$root" });
    const changed = edu.receipts.since(before);
    expect(changed.entries.map((e) => e.threadId)).toEqual([undefined, "$root"]);
    // Another server cannot speak for bob.
    await fx.send([], [eduOf("m.receipt", { [fx.roomId]: { "m.read": { [fx.alice]: { event_ids: [m.eventId], data: { ts: 1 } } } } })]);
    expect(edu.receipts.get(fx.roomId, "m.read", fx.alice)).toBeUndefined();
  });

  it("stores presence for users we share a room with", async () => {
    await fx.send([], [
      eduOf("m.presence", {
        push: [
          { user_id: fx.bob, presence: "online", last_active_ago: 5000, currently_active: true, status_msg: "here" },
          { user_id: fx.remote.userId("stranger"), presence: "online", last_active_ago: 0 },
        ],
      }),
    ]);
    expect(edu.presence.get(fx.bob)).toMatchObject({ presence: "online", statusMsg: "here", currentlyActive: true });
    expect(edu.presence.get(fx.remote.userId("stranger"))).toBeUndefined();
    expect(edu.presence.since(0).entries.map((e) => e.userId)).toEqual([fx.bob]);
  });

  it("delivers to-device messages once per message_id, to named devices and to * (all devices)", async () => {
    const toDevice = (messageId: string, device: string): JsonObject =>
      eduOf("m.direct_to_device", {
        sender: fx.bob,
        type: "m.room_key_request",
        message_id: messageId,
        messages: { [fx.alice]: { [device]: { action: "request", n: messageId } } },
      });
    await fx.send([], [toDevice("m1", "PHONE")]);
    await fx.send([], [toDevice("m1", "PHONE")]);
    await fx.send([], [toDevice("m2", "*")]);
    const phone = edu.toDevice.since(fx.alice, "PHONE", 0).messages;
    expect(phone.map((m) => m.content.n)).toEqual(["m1", "m2"]);
    expect(phone[0]).toMatchObject({ sender: fx.bob, type: "m.room_key_request" });
    expect(edu.toDevice.since(fx.alice, "LAPTOP", 0).messages.map((m) => m.content.n)).toEqual(["m2"]);
    expect(await edu.toDevice.deleteUpTo(fx.alice, "PHONE", phone[0]!.pos)).toBe(1);
    expect(edu.toDevice.since(fx.alice, "PHONE", 0).messages.map((m) => m.content.n)).toEqual(["m2"]);
  });

  it("applies device list updates and resyncs from /user/devices on an unknown prev_id", async () => {
    const update = (deviceId: string, streamId: number, prevId: number[]): JsonObject =>
      eduOf("m.device_list_update", {
        user_id: fx.bob,
        device_id: deviceId,
        device_display_name: deviceId.toLowerCase(),
        stream_id: streamId,
        prev_id: prevId,
        keys: { user_id: fx.bob, device_id: deviceId, algorithms: [], keys: {}, signatures: {} },
      });
    userDevices = {
      user_id: fx.bob,
      stream_id: 5,
      devices: [{ device_id: "DESK", keys: { user_id: fx.bob, device_id: "DESK" }, device_display_name: "desk" }],
      master_key: { user_id: fx.bob, usage: ["master"], keys: { "ed25519:m": "m" } },
    };
    const before = edu.deviceLists.position;
    // We never held bob's list: the first update applies, and a resync is started.
    await fx.send([], [update("PHONE", 3, [])]);
    await waitFor("the resync", () => edu.deviceLists.state(fx.bob)?.stale === false);
    expect(edu.deviceLists.devices(fx.bob).map((d) => d.deviceId)).toEqual(["DESK"]);
    expect(edu.deviceLists.crossSigningKeys(fx.bob).master).toMatchObject({ usage: ["master"] });
    expect(edu.deviceLists.since(before).changes.map((c) => c.userId)).toContain(fx.bob);

    // In sequence after the resync's stream_id 5: applied incrementally.
    await fx.send([], [update("TABLET", 6, [5])]);
    expect(edu.deviceLists.state(fx.bob)).toMatchObject({ lastStreamId: 6, stale: false });
    expect(edu.deviceLists.devices(fx.bob).map((d) => d.deviceId).sort()).toEqual(["DESK", "TABLET"]);

    // A gap (prev_id 8 never seen): resync again.
    userDevices = { user_id: fx.bob, stream_id: 9, devices: [{ device_id: "ONLY", keys: {} }] };
    const resyncs = fx.remote.received.filter((r) => r.path.includes("/user/devices/")).length;
    await fx.send([], [update("WATCH", 9, [8])]);
    await waitFor("the second resync", () => fx.remote.received.filter((r) => r.path.includes("/user/devices/")).length > resyncs);
    await waitFor("the second resync to be stored", () => edu.deviceLists.state(fx.bob)?.stale === false);
    expect(edu.deviceLists.devices(fx.bob).map((d) => d.deviceId)).toEqual(["ONLY"]);
  });

  it("stores cross-signing keys from m.signing_key_update", async () => {
    const selfSigning = { user_id: fx.bob, usage: ["self_signing"], keys: { "ed25519:s": "s" } };
    await fx.send([], [eduOf("m.signing_key_update", { user_id: fx.bob, self_signing_key: selfSigning })]);
    expect(edu.deviceLists.crossSigningKeys(fx.bob).selfSigning).toEqual(selfSigning);
  });

  it("applies the server ACL per PDU and to room-scoped EDUs", async () => {
    const denied = fx.build({ roomId: aclRoom, type: "m.room.message", content: { msgtype: "m.text", body: "denied" } });
    const allowed = fx.message("still fine here");
    const res = await fx.send(
      [denied.pdu, allowed.pdu],
      [
        eduOf("m.typing", { room_id: aclRoom, user_id: fx.bob, typing: true }),
        eduOf("m.typing", { room_id: fx.roomId, user_id: fx.bob, typing: true }),
        eduOf("m.receipt", { [aclRoom]: { "m.read": { [fx.bob]: { event_ids: [denied.eventId], data: { ts: 1 } } } } }),
      ],
    );
    expect(res.status).toBe(200);
    const results = res.json<Results>().pdus;
    expect(results[denied.eventId]?.error).toMatch(/server ACL/);
    expect(results[allowed.eventId]).toEqual({});
    expect(fx.status(denied.eventId)).toBeUndefined();
    expect(edu.typing.usersIn(aclRoom)).toEqual([]);
    expect(edu.typing.usersIn(fx.roomId)).toEqual([fx.bob]);
    expect(edu.receipts.forRoom(aclRoom)).toEqual([]);
  });
});
