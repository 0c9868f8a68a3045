/**
 * matrix-js-sdk's own sync loop against Conflux: filter upload, initial sync, long-polling
 * incremental syncs, timeline events, typing, read receipts, presence and to-device messages,
 * as a real client sees them.
 *
 * The SDK will not start its sync loop before GET /pushrules/ succeeds: it gets the server's
 * real rules.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  ClientEvent,
  createClient,
  EventType,
  PushRuleActionName,
  PushRuleKind,
  RoomEvent,
  RoomMemberEvent,
  SyncState,
  type MatrixClient,
  type MatrixEvent,
} from "matrix-js-sdk";
import { logger as sdkLogger } from "matrix-js-sdk/lib/logger.js";
import { SyncFixture, type User } from "./sync-fixture.js";
import { waitFor } from "../helpers/wait.js";

let fx: SyncFixture;
let alice: User;
let bob: User;
let aliceClient: MatrixClient;
let bobClient: MatrixClient;
let roomId: string;

async function startClient(user: User): Promise<MatrixClient> {
  const client = createClient({ baseUrl: fx.server.clientUrl, accessToken: user.token, userId: user.userId, deviceId: user.deviceId });
  const prepared = new Promise<void>((resolve, reject) => {
    client.on(ClientEvent.Sync, (state: SyncState) => {
      if (state === SyncState.Prepared) resolve();
      if (state === SyncState.Error) reject(new Error("sync error"));
    });
  });
  await client.startClient({ initialSyncLimit: 10 });
  await prepared;
  return client;
}

function next<T>(subscribe: (done: (value: T) => void) => void): Promise<T> {
  return new Promise((resolve) => subscribe(resolve));
}

beforeAll(async () => {
  if (!process.env.SDK_LOG) sdkLogger.disableAll();
  fx = await SyncFixture.start();
  alice = await fx.user("alice");
  bob = await fx.user("bob");
  roomId = await fx.createRoom(alice, { name: "SDK room" });
  await fx.membership(roomId, bob, bob.userId, "join");
  await fx.send(roomId, alice, "before the clients started");
  aliceClient = await startClient(alice);
  bobClient = await startClient(bob);
});
afterAll(async () => {
  aliceClient?.stopClient();
  bobClient?.stopClient();
  await fx?.stop();
});

describe("matrix-js-sdk sync loop", () => {
  it("the initial sync gives the SDK the room, its name, members and history", () => {
    const room = bobClient.getRoom(roomId)!;
    expect(room).not.toBeNull();
    expect(room.name).toBe("SDK room");
    expect(room.getMyMembership()).toBe("join");
    expect(room.getJoinedMemberCount()).toBe(2);
    const bodiesSeen = room.getLiveTimeline().getEvents().map((e) => e.getContent().body);
    expect(bodiesSeen).toContain("before the clients started");
  });

  it("a message sent by one client reaches the other's timeline", async () => {
    const arrived = next<MatrixEvent>((done) =>
      bobClient.on(RoomEvent.Timeline, (ev) => {
        if (ev.getType() === EventType.RoomMessage && ev.getContent().body === "hi bob") done(ev);
      }),
    );
    const { event_id } = await aliceClient.sendTextMessage(roomId, "hi bob");
    const ev = await arrived;
    expect(ev.getId()).toBe(event_id);
    expect(ev.getSender()).toBe(alice.userId);
  });

  it("typing notifications and read receipts", async () => {
    const typing = next<void>((done) =>
      bobClient.on(RoomMemberEvent.Typing, (_ev, member) => {
        if (member.userId === alice.userId && member.typing) done();
      }),
    );
    await aliceClient.sendTyping(roomId, true, 30_000);
    await typing;

    const room = aliceClient.getRoom(roomId)!;
    const last = room.getLiveTimeline().getEvents().at(-1)!;
    const receipt = next<void>((done) =>
      aliceClient.on(RoomEvent.Receipt, () => {
        if (room.getReadReceiptForUserId(bob.userId)?.eventId === last.getId()) done();
      }),
    );
    await bobClient.sendReadReceipt(bobClient.getRoom(roomId)!.findEventById(last.getId()!)!);
    await receipt;
  });

  it("a room created later through the SDK appears in the other client after an invite", async () => {
    const invited = next<string>((done) =>
      bobClient.on(ClientEvent.Room, (room) => {
        if (room.getMyMembership() === "invite") done(room.roomId);
      }),
    );
    const { room_id } = await aliceClient.createRoom({ name: "Second", invite: [bob.userId] });
    expect(await invited).toBe(room_id);
    await bobClient.joinRoom(room_id);
    // The SDK's joinRoom returns before its sync loop has seen the join ("v2 will do this for
    // us"); the join reaches the client through /sync.
    await waitFor("Bob's client to see the join", () => bobClient.getRoom(room_id)?.getMyMembership() === "join");
  });

  it("to-device messages arrive through the sync loop", async () => {
    const got = next<MatrixEvent>((done) =>
      bobClient.on(ClientEvent.ToDeviceEvent, (ev) => {
        if (ev.getType() === "org.example.ping") done(ev);
      }),
    );
    await aliceClient.sendToDevice("org.example.ping", new Map([[bob.userId, new Map([[bob.deviceId, { n: 1 }]])]]));
    expect((await got).getContent()).toEqual({ n: 1 });
  });

  it("push rules, account data and tags: the server's rules at start, changes through the sync loop", async () => {
    // The SDK started with the server's GET /pushrules/.
    expect(aliceClient.pushRules?.global.override?.[0]?.rule_id).toBe(".m.rule.master");

    const rulesChanged = next<void>((done) =>
      aliceClient.on(ClientEvent.AccountData, (ev) => {
        if (ev.getType() === EventType.PushRules && ev.getContent().global?.content?.[0]?.rule_id === "sdk-cake") done();
      }),
    );
    await aliceClient.addPushRule("global", PushRuleKind.ContentSpecific, "sdk-cake", { pattern: "cake", actions: [PushRuleActionName.Notify] });
    await rulesChanged;
    expect(aliceClient.pushRules?.global.content?.map((r) => r.rule_id)).toEqual(["sdk-cake", ".m.rule.contains_user_name"]);

    const direct = next<MatrixEvent>((done) =>
      aliceClient.on(ClientEvent.AccountData, (ev) => {
        if (ev.getType() === EventType.Direct) done(ev);
      }),
    );
    await aliceClient.setAccountData(EventType.Direct, { [bob.userId]: [roomId] });
    expect((await direct).getContent()).toEqual({ [bob.userId]: [roomId] });

    const room = aliceClient.getRoom(roomId)!;
    const tagged = next<void>((done) =>
      room.on(RoomEvent.Tags, () => {
        if (room.tags["m.favourite"] !== undefined) done();
      }),
    );
    await aliceClient.setRoomTag(roomId, "m.favourite", { order: 0.5 });
    await tagged;
    expect(room.tags).toEqual({ "m.favourite": { order: 0.5 } });
  });
});
